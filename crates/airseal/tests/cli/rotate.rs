//! `airseal rotate` with the local-files store and no database: status in every format with
//! its exit codes and policy classes, the schedule emitters (snapshots), and bad input that
//! must fail before anything is written — unreachable databases, connections that cannot be
//! rotated, stores without staged versions, broken policies — with no password in any output.
//! Rotation itself, against PostgreSQL, MariaDB and moto, with crashes at every step, is
//! tested end to end by scripts/rotation-roundtrip.sh.
use crate::common::{airseal, json, random_string, stderr, stdout, write};

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

struct Store {
    dir: tempfile::TempDir,
    passwords: Vec<String>,
}

fn store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let passwords: Vec<String> = (0..3).map(|_| random_string(ALPHABET, 24)).collect();
    write(
        dir.path(),
        "secrets/connections.json",
        format!(
            r#"{{
  "warehouse_prod": {{"conn_type": "postgres", "host": "127.0.0.1", "port": 1, "login": "etl", "password": "{}", "schema": "dw"}},
  "crm": {{"conn_type": "http", "host": "crm.example.com", "password": "{}"}},
  "shop": {{"conn_type": "mysql", "host": "127.0.0.1", "port": 1, "login": "shop", "password": "{}"}},
  "no_host": {{"conn_type": "postgres", "login": "x", "password": "p"}}
}}
"#,
            passwords[0], passwords[1], passwords[2]
        ),
    );
    write(
        dir.path(),
        "airseal.toml",
        "[rotation]\ndue-within = \"7d\"\n\n[[rotation.class]]\nname = \"critical\"\nmax-age = \"30d\"\nids = [\"*_prod\"]\n\n[[rotation.class]]\nname = \"databases\"\nmax-age = \"90d\"\nconn-types = [\"mysql\"]\n",
    );
    Store { dir, passwords }
}

fn to(store: &Store) -> String {
    format!("local:{}", store.dir.path().join("secrets").display())
}

fn assert_no_password(store: &Store, output: &std::process::Output) {
    for password in &store.passwords {
        assert!(
            !stdout(output).contains(password.as_str()),
            "a password in stdout"
        );
        assert!(
            !stderr(output).contains(password.as_str()),
            "a password in stderr"
        );
    }
}

#[test]
fn status_classifies_by_policy_in_every_format() {
    let store = store();
    let output = airseal()
        .current_dir(store.dir.path())
        .args(["rotate", "status", "--to", &to(&store), "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    let classes: Vec<(String, String, String)> = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["class"].as_str().unwrap().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            ("crm".into(), "default".into(), "never-rotated".into()),
            ("no_host".into(), "default".into(), "never-rotated".into()),
            ("shop".into(), "databases".into(), "never-rotated".into()),
            (
                "warehouse_prod".into(),
                "critical".into(),
                "never-rotated".into()
            ),
        ]
    );
    assert_eq!(report["summary"]["never-rotated"], 4);
    assert_no_password(&store, &output);

    // --fail-on never-rotated makes the same state an exit 1; SARIF has one result each.
    let output = airseal()
        .current_dir(store.dir.path())
        .args([
            "rotate",
            "status",
            "--to",
            &to(&store),
            "-f",
            "sarif",
            "--fail-on",
            "never-rotated",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif = json(&output);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&sarif), "SARIF valid against 2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["ruleId"] == "ROT004"));
    assert_no_password(&store, &output);

    let output = airseal()
        .current_dir(store.dir.path())
        .args(["rotate", "status", "warehouse_prod", "--to", &to(&store)])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        text.contains("warehouse_prod  critical  0.0d  30.0d  never-rotated"),
        "{text}"
    );
    assert!(text.contains("1 connection(s): 1 never-rotated"), "{text}");
}

#[test]
fn rotations_that_cannot_start_write_nothing_and_say_why() {
    let store = store();
    let before = std::fs::read(store.dir.path().join("secrets/connections.json")).unwrap();
    let audit = store.dir.path().join("audit.jsonl");
    let output = airseal()
        .current_dir(store.dir.path())
        .args([
            "rotate",
            "run",
            "warehouse_prod",
            "crm",
            "no_host",
            "shop",
            "absent",
            "--to",
            &to(&store),
            "-f",
            "json",
            "--audit-log",
        ])
        .arg(&audit)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let errors: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["outcome"], "failed");
            r["error"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(
        errors[0].contains("cannot reach 127.0.0.1:1")
            && errors[0].contains("nothing was promoted"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("conn_type `http` is not a database airseal rotates"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("has no host"), "{}", errors[2]);
    assert!(
        errors[3].contains("cannot reach 127.0.0.1:1"),
        "{}",
        errors[3]
    );
    assert!(errors[4].contains("`absent` is not in"), "{}", errors[4]);
    // Nothing staged, nothing changed.
    assert_eq!(
        std::fs::read(store.dir.path().join("secrets/connections.json")).unwrap(),
        before
    );
    assert!(
        !store
            .dir
            .path()
            .join("secrets/connections.json.airseal-rotation.json")
            .exists()
    );
    // Two audit records per connection, no values.
    let log = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(log.lines().count(), 10);
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
    for password in &store.passwords {
        assert!(
            !log.contains(password.as_str()),
            "a password in the audit log"
        );
    }
    assert_no_password(&store, &output);
}

#[test]
fn bad_arguments_and_policies_are_fatal_errors() {
    let store = store();
    for (args, expected) in [
        (
            vec!["rotate", "run", "crm", "--strategy", "sideways"],
            "--strategy `sideways`",
        ),
        (
            vec!["rotate", "run", "crm", "--strategy", "alternating-users"],
            "needs --master",
        ),
        (
            vec!["rotate", "run", "crm", "shop", "--token", "t"],
            "exactly one connection id",
        ),
        (
            vec!["rotate", "status", "--fail-on", "sometimes"],
            "--fail-on `sometimes`",
        ),
        (
            vec![
                "rotate",
                "run",
                "crm",
                "--master",
                "absent",
                "--strategy",
                "alternating-users",
            ],
            "--master `absent` is not in",
        ),
    ] {
        let output = airseal()
            .current_dir(store.dir.path())
            .args(&args)
            .args(["--to", &to(&store)])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    write(
        store.dir.path(),
        "broken.toml",
        "[rotation]\n[[rotation.class]]\nname = \"x\"\nmax-age = \"soon\"\n",
    );
    let output = airseal()
        .current_dir(store.dir.path())
        .args([
            "rotate",
            "status",
            "--to",
            &to(&store),
            "--policy",
            "broken.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken.toml") && stderr(&output).contains("max-age"),
        "{}",
        stderr(&output)
    );
    write(
        store.dir.path(),
        "unknown.toml",
        "[rotation]\nmax_age = \"30d\"\n",
    );
    let output = airseal()
        .current_dir(store.dir.path())
        .args([
            "rotate",
            "status",
            "--to",
            &to(&store),
            "--policy",
            "unknown.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown.toml:2"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn schedules_are_a_dag_and_a_cronjob() {
    let dag = airseal()
        .args([
            "rotate",
            "schedule",
            "--emit",
            "airflow-dag",
            "--to",
            "aws-secrets-manager",
            "--region",
            "eu-west-1",
            "--schedule",
            "@daily",
        ])
        .output()
        .unwrap();
    assert_eq!(dag.status.code(), Some(0), "{}", stderr(&dag));
    insta::assert_snapshot!("rotate_schedule_airflow_dag", stdout(&dag));
    let cronjob = airseal()
        .args([
            "rotate",
            "schedule",
            "--emit",
            "k8s-cronjob",
            "--to",
            "aws-secrets-manager",
            "--image",
            "registry.example/airseal:0.1.0",
            "--namespace",
            "airflow",
        ])
        .output()
        .unwrap();
    assert_eq!(cronjob.status.code(), Some(0), "{}", stderr(&cronjob));
    let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout(&cronjob)).unwrap();
    assert_eq!(parsed["spec"]["concurrencyPolicy"], "Forbid");
    insta::assert_snapshot!("rotate_schedule_k8s_cronjob", stdout(&cronjob));
    let output = airseal()
        .args([
            "rotate",
            "schedule",
            "--emit",
            "airflow-dag",
            "--to",
            "nowhere",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown store `nowhere`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn enable_needs_secrets_manager() {
    let store = store();
    let output = airseal()
        .current_dir(store.dir.path())
        .args([
            "rotate",
            "enable",
            "crm",
            "--to",
            &to(&store),
            "--lambda-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            "--every",
            "30d",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("only Secrets Manager does"),
        "{}",
        stdout(&output)
    );
}
