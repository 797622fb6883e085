//! `airseal migrate` with the local-files store (no server needed): plan / apply / verify,
//! idempotence, conflicts, naming from a deployment's `--config`, configuration edits, bad
//! input, and canaries that must never reach any output. The network stores are tested end to
//! end against moto and the Vault test server by scripts/migrate-roundtrip.sh.
use crate::common::{airseal, json, random_string, stderr, stdout, write};

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

struct Project {
    dir: tempfile::TempDir,
    canaries: Vec<String>,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let password = random_string(ALPHABET, 24);
    let token = random_string(ALPHABET, 32);
    let smtp = random_string(ALPHABET, 20);
    let exported = random_string(ALPHABET, 18);
    write(
        dir.path(),
        ".env",
        format!(
            "AIRFLOW_UID=50000\nAIRFLOW_CONN_WAREHOUSE=postgres://etl:{password}@db.internal:5432/dw\nAIRFLOW_VAR_SLACK_TOKEN={token}\nAIRFLOW_VAR_ENVIRONMENT=prod\n"
        ),
    );
    write(
        dir.path(),
        "airflow.cfg",
        format!("[core]\nload_examples = False\n\n[smtp]\nsmtp_password = {smtp}\n"),
    );
    write(
        dir.path(),
        "exports/connections.json",
        format!(
            r#"{{"crm": {{"conn_type": "http", "host": "crm.example.com", "password": "{exported}", "extra": "{{\"verify\": true}}"}}}}"#
        ),
    );
    Project {
        dir,
        canaries: vec![password, token, smtp, exported],
    }
}

fn assert_no_canary(project: &Project, output: &std::process::Output) {
    for canary in &project.canaries {
        assert!(
            !stdout(output).contains(canary.as_str()),
            "a value in stdout"
        );
        assert!(
            !stderr(output).contains(canary.as_str()),
            "a value in stderr"
        );
    }
}

#[test]
fn plan_apply_verify_into_local_files_is_idempotent_and_never_prints_values() {
    let project = project();
    let root = project.dir.path();
    let store = root.join("store");
    let to = format!("local:{}", store.display());
    let from = root.display().to_string();
    let plan = airseal()
        .args([
            "migrate", "plan", "--from", &from, "--to", &to, "--format", "json",
        ])
        .output()
        .unwrap();
    assert_no_canary(&project, &plan);
    let report = json(&plan);
    let ids: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"warehouse") && ids.contains(&"slack_token") && ids.contains(&"crm"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"environment"),
        "a non-secret Variable is configuration, not moved"
    );
    // LocalFilesystemBackend serves no config: the smtp option is a skip, hence exit 1.
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    assert_eq!(report["summary"]["create"], 3);
    assert_eq!(report["summary"]["skip"], 1);
    assert!(!store.exists(), "plan writes nothing");

    let apply = airseal()
        .args(["migrate", "apply", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert_no_canary(&project, &apply);
    assert!(
        stdout(&apply).contains("3 were created"),
        "{}",
        stdout(&apply)
    );
    assert!(stdout(&apply).contains(
        "AIRFLOW__SECRETS__BACKEND=airflow.secrets.local_filesystem.LocalFilesystemBackend"
    ));
    let stored = std::fs::read_to_string(store.join("connections.json")).unwrap();
    assert!(stored.contains("warehouse") && stored.contains("crm"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.join("connections.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = airseal()
        .args([
            "migrate", "apply", "--from", &from, "--to", &to, "--format", "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&again)["summary"]["unchanged"],
        3,
        "{}",
        stdout(&again)
    );
    assert!(json(&again)["summary"].get("create").is_none());

    let verify = airseal()
        .args(["migrate", "verify", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert_no_canary(&project, &verify);
    assert!(
        stdout(&verify).contains("3 read back identical, 0 missing, 0 different"),
        "{}",
        stdout(&verify)
    );
}

#[test]
fn a_different_stored_value_is_a_conflict_until_overwrite() {
    let project = project();
    let root = project.dir.path();
    let store = root.join("store");
    let other = random_string(ALPHABET, 22);
    write(
        &store,
        "connections.json",
        format!(r#"{{"warehouse": "postgres://etl:{other}@db.internal:5432/dw"}}"#),
    );
    let to = format!("local:{}", store.display());
    let from = root.display().to_string();
    let apply = airseal()
        .args([
            "migrate", "apply", "--from", &from, "--to", &to, "--format", "json",
        ])
        .output()
        .unwrap();
    assert!(!stdout(&apply).contains(&other));
    let report = json(&apply);
    let warehouse = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "warehouse")
        .unwrap();
    assert_eq!(warehouse["action"], "conflict");
    assert!(
        std::fs::read_to_string(store.join("connections.json"))
            .unwrap()
            .contains(&other),
        "kept"
    );
    let verify = airseal()
        .args(["migrate", "verify", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert!(stdout(&verify).contains("different"));
    let forced = airseal()
        .args([
            "migrate",
            "apply",
            "--from",
            &from,
            "--to",
            &to,
            "--overwrite",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let warehouse = json(&forced)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "warehouse")
        .cloned()
        .unwrap();
    assert_eq!(warehouse["action"], "update");
    assert!(
        !std::fs::read_to_string(store.join("connections.json"))
            .unwrap()
            .contains(&other)
    );
}

#[test]
fn names_come_from_the_deployments_backend_kwargs_and_write_changes_edits_the_lines() {
    let project = project();
    let root = project.dir.path();
    let deploy = tempfile::tempdir().unwrap();
    write(
        deploy.path(),
        "airflow.cfg",
        format!(
            "[secrets]\nbackend = airflow.secrets.local_filesystem.LocalFilesystemBackend\nbackend_kwargs = {{\"connections_file_path\": \"{}\", \"variables_file_path\": \"{}\"}}\n",
            deploy.path().join("conns.yaml").display(),
            deploy.path().join("vars.env").display()
        ),
    );
    let from = root.display().to_string();
    let config = deploy.path().display().to_string();
    let apply = airseal()
        .args([
            "migrate",
            "apply",
            "--from",
            &from,
            "--config",
            &config,
            "--write-changes",
        ])
        .output()
        .unwrap();
    assert_no_canary(&project, &apply);
    assert!(
        deploy.path().join("conns.yaml").exists() && deploy.path().join("vars.env").exists(),
        "{}",
        stdout(&apply)
    );
    assert!(
        !stdout(&apply).contains("AIRFLOW__SECRETS__BACKEND="),
        "already configured: no backend change printed"
    );
    assert!(stdout(&apply).contains("<redacted>"));
    let env = std::fs::read_to_string(root.join(".env")).unwrap();
    assert!(
        !env.contains("AIRFLOW_CONN_WAREHOUSE") && !env.contains("AIRFLOW_VAR_SLACK_TOKEN"),
        "{env}"
    );
    assert!(
        env.contains("AIRFLOW_UID=50000") && env.contains("AIRFLOW_VAR_ENVIRONMENT=prod"),
        "{env}"
    );
    // The skipped smtp option (no config in local files) keeps its line.
    assert!(
        std::fs::read_to_string(root.join("airflow.cfg"))
            .unwrap()
            .contains("smtp_password = ")
    );
}

#[test]
fn bad_input_is_reported_by_file_and_id_and_the_rest_still_moves() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let secret = random_string(ALPHABET, 20);
    write(
        root,
        "connections.json",
        format!(r#"{{"ok_conn": "http://u:{secret}@h", "bad id": "http://u:{secret}@h"}}"#),
    );
    write(root, "broken-connections.yaml", "a: [unclosed\n");
    write(
        root,
        "dup-connections.env",
        format!("x=http://u:{secret}@h\nx=http://other\n"),
    );
    write(root, "variables.json", "[1, 2]");
    let to = format!("local:{}", root.join("store").display());
    let output = airseal()
        .args([
            "migrate",
            "apply",
            "--from",
            &root.display().to_string(),
            "--to",
            &to,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!stdout(&output).contains(&secret) && !stderr(&output).contains(&secret));
    let report = json(&output);
    let problems = report["problems"].to_string();
    assert!(problems.contains("broken-connections.yaml"), "{problems}");
    assert!(
        problems.contains("dup-connections.env") && problems.contains("defined twice"),
        "{problems}"
    );
    assert!(
        problems.contains("variables.json") && problems.contains("not a JSON object"),
        "{problems}"
    );
    let items = report["items"].as_array().unwrap();
    let action = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["action"].clone())
    };
    assert_eq!(action("ok_conn"), Some("create".into()));
    assert_eq!(action("bad id"), Some("invalid".into()));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().display().to_string();
    for args in [
        vec!["migrate", "plan", "--from", &from],
        vec!["migrate", "plan", "--from", &from, "--to", "dropbox"],
        vec![
            "migrate",
            "plan",
            "--from",
            &from,
            "--to",
            "local:x",
            "--backend-kwargs",
            "[1]",
        ],
        vec!["migrate", "plan", "--from", &from, "--config", &from],
    ] {
        let output = airseal().args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("airseal: error"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}
