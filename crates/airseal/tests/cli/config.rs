use crate::common::{airseal, github_token as token, json, stderr, write};

#[test]
fn configuration_selects_ignores_excludes_and_allowlists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let allowed = token();
    write(
        root,
        "dags/a.py",
        format!("A = \"{}\"\nB = \"{allowed}\"\n", token()),
    );
    write(root, "tests/test_a.py", format!("A = \"{}\"\n", token()));
    write(root, "fixtures/f.py", format!("A = \"{}\"\n", token()));
    write(
        root,
        "dags/stop.py",
        format!("A = \"{}acmedemo\"\n", &token()[..30]),
    );
    write(
        root,
        "pyproject.toml",
        format!(
            "[project]\nname = \"x\"\n\n[tool.airseal]\nexclude = [\"fixtures/**\"]\nallowlist = [\"^{allowed}$\"]\nstopwords = [\"AcmeDemo\"]\nfail-on = \"critical\"\n\n[tool.airseal.per-file-ignores]\n\"tests/**\" = [\"KEY2\"]\n"
        ),
    );
    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "fail-on critical: {}",
        stderr(&output)
    );
    let report = json(&output);
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["dags/a.py"], "{report:#}");
    assert_eq!(report["summary"]["suppressed"]["config"], 3);
}

#[test]
fn user_rules_load_from_config_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "ci/rules.yml",
        "rules:\n  - id: ACM001\n    name: acme-internal-token\n    title: Acme internal token\n    severity: high\n    confidence: high\n    keywords: [acme_]\n    pattern: '\\b(acme_[a-z0-9]{20})\\b'\n    description: d\n    why: w\n    fix: f\n    examples: ['t = acme_0123456789abcdefghij']\n    negative_examples: ['acme_short']\n",
    );
    write(
        root,
        "airseal.toml",
        "extra-rule-files = [\"ci/rules.yml\"]\nselect = [\"ACM\"]\n",
    );
    write(root, "app.py", "T = 'acme_9z8y7x6w5v4u3t2s1r0q'\n");
    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    let report = json(&output);
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["ACM001", "ACM001"],
        "app.py and the rule's own example"
    );

    airseal()
        .args(["rules", "check"])
        .arg(root.join("ci/rules.yml"))
        .assert()
        .code(0);
    write(
        root,
        "bad.yml",
        "rules:\n  - id: ACM002\n    name: acme-bad\n    title: t\n    severity: high\n    confidence: high\n    keywords: [acme_]\n    pattern: '\\b(acme_[a-z]{5})\\b'\n    description: d\n    why: w\n    fix: f\n    examples: ['acme_12345']\n",
    );
    let output = airseal()
        .args(["rules", "check"])
        .arg(root.join("bad.yml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("ACM002") && stderr(&output).contains("example 1 is not detected")
    );
    write(root, "broken.yml", "rules:\n  - id: ACM003\n    nmae: x\n");
    let output = airseal()
        .args(["rules", "check"])
        .arg(root.join("broken.yml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken.yml:3"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("nmae"), "{}", stderr(&output));
}

#[test]
fn an_unknown_config_key_is_an_error_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "airseal.toml",
        "select = [\"KEY\"]\nignor = [\"KEY901\"]\n",
    );
    let output = airseal().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("ignor") && message.contains("airseal.toml:2"),
        "{message}"
    );
}
