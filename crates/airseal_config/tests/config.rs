#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
use std::fs;

use airseal_config::Config;
use airseal_finding::Severity;

#[test]
fn airseal_toml_is_found_walking_up_and_paths_resolve_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("airseal.toml"),
        "select = [\"KEY\"]\nignore = [\"KEY901\"]\nfail-on = \"high\"\nextra-rule-files = [\"r.yml\"]\n\n[per-file-ignores]\n\"tests/**\" = [\"KEY9\"]\n",
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("dags/sub")).unwrap();
    let config = Config::discover(&dir.path().join("dags/sub")).unwrap();
    assert_eq!(config.select, vec!["KEY"]);
    assert_eq!(config.ignore, vec!["KEY901"]);
    assert_eq!(config.fail_on, Some(Severity::High));
    assert_eq!(config.extra_rule_files, vec![dir.path().join("r.yml")]);
    assert_eq!(
        config.per_file_ignores,
        vec![("tests/**".to_owned(), vec!["KEY9".to_owned()])]
    );
}

#[test]
fn pyproject_without_tool_airseal_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("airseal.toml"), "fail-on = \"critical\"\n").unwrap();
    let project = dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("pyproject.toml"),
        "[tool.black]\nline-length = 100\n",
    )
    .unwrap();
    let config = Config::discover(&project).unwrap();
    assert_eq!(config.fail_on, Some(Severity::Critical));

    fs::write(
        project.join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.airseal]\nstopwords = [\"acme\"]\n",
    )
    .unwrap();
    let config = Config::discover(&project).unwrap();
    assert_eq!(config.stopwords, vec!["acme"]);
    assert_eq!(config.source, Some(project.join("pyproject.toml")));
}

#[test]
fn unknown_keys_name_the_key_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("airseal.toml");
    fs::write(&path, "select = [\"KEY\"]\nignor = [\"KEY901\"]\n").unwrap();
    let error = Config::discover(dir.path()).unwrap_err().to_string();
    assert!(error.contains("ignor"), "{error}");
    assert!(error.contains("airseal.toml:2"), "{error}");

    let project = dir.path().join("p");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("pyproject.toml"),
        "[tool.airseal]\nfail_on = \"high\"\n",
    )
    .unwrap();
    let error = Config::discover(&project).unwrap_err().to_string();
    assert!(
        error.contains("fail_on") && error.contains("pyproject.toml:2"),
        "{error}"
    );
}

#[test]
fn bad_values_are_rejected_without_quoting_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("airseal.toml");
    fs::write(&path, "fail-on = \"severe\"\n").unwrap();
    let error = Config::load(&path).unwrap_err().to_string();
    assert!(
        error.contains("severe") && error.contains("fail-on"),
        "{error}"
    );

    fs::write(&path, "select = [\"key001\"]\n").unwrap();
    assert!(Config::load(&path).is_err());

    fs::write(&path, "allowlist = [\"ghp_SuperSecretValue123\"\n").unwrap();
    let error = Config::load(&path).unwrap_err().to_string();
    assert!(!error.contains("SuperSecretValue"), "{error}");
}
