//! `airseal doctor` over small projects in `tests/fixtures/<name>/`: the human report pinned by a
//! snapshot, the JSON checked field by field, and no secret value in either.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;

use airseal_doctor::{Diagnosis, Severity, diagnose, human};

/// Values planted in the fixtures that must never be printed.
const SECRETS: &[&str] = &[
    "W4rehouse-Pr0d",
    "wJalrXUtnFEMIK7MDENGbPxRfiCYzz9Q2v8Lm3Nv",
    "Env-Pa55w0rd",
];

fn run(name: &str) -> (Diagnosis, String, serde_json::Value) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let diagnosis = diagnose(&[root], true);
    let text = human(&diagnosis);
    let json = serde_json::to_string_pretty(&diagnosis).unwrap();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} in the report:\n{text}");
        assert!(!json.contains(secret), "{secret} in the JSON:\n{json}");
    }
    (diagnosis, text, serde_json::from_str(&json).unwrap())
}

fn messages(diagnosis: &Diagnosis, severity: Severity) -> Vec<&str> {
    diagnosis
        .problems
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.message.as_str())
        .collect()
}

#[test]
fn aws_backend_with_bad_kwargs_and_a_shadowed_chart_connection() {
    let (diagnosis, text, json) = run("aws_shadowed");
    insta::assert_snapshot!(text);
    let errors = messages(&diagnosis, Severity::Error);
    assert!(
        errors
            .iter()
            .any(|m| m.contains("`full_url_mode` was removed")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("`connections_lookup_pattern` is not a valid regular expression")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("`aws_secret_access_key` holds a credential")),
        "{errors:#?}"
    );
    // The environment copy beats the chart's metastore copy, which still holds the password.
    let warnings = messages(&diagnosis, Severity::Warning);
    assert!(
        warnings.iter().any(
            |m| m.contains("connection `warehouse` is defined in the metastore")
                && m.contains("plain-text")
        ),
        "{warnings:#?}"
    );
    // variables_prefix null: Variables are not looked up in the backend.
    let bucket = json["resolutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "report_bucket")
        .unwrap();
    assert_eq!(bucket["lookup"][0]["status"], "skipped", "{bucket:#}");
    assert_eq!(
        json["backends"][0]["kwargs_at"]["path"],
        "docker-compose.yaml"
    );
    // The config prefix serves AIRFLOW__CORE__FERNET_KEY_SECRET.
    let infos = messages(&diagnosis, Severity::Info);
    assert!(
        infos
            .iter()
            .any(|m| m.contains("reads `airflow/config/fernet_key`")),
        "{infos:#?}"
    );
    assert_eq!(
        diagnosis.aws_reader_scope().map(|(_, p)| p),
        Some(vec![
            "airflow/connections".to_owned(),
            "airflow/config".to_owned()
        ])
    );
}

#[test]
fn airflow3_workers_backend_and_a_secret_option_without_a_servers_backend() {
    let (diagnosis, text, json) = run("af3_workers");
    insta::assert_snapshot!(text);
    let errors = messages(&diagnosis, Severity::Error);
    assert!(
        errors
            .iter()
            .any(|m| m.contains("sql_alchemy_conn_secret") && m.contains("no `[secrets] backend`")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("`connections_lookup_pattern` is a JSON integer")),
        "{errors:#?}"
    );
    assert_eq!(json["backends"][0]["role"], "workers");
    let api = json["resolutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "partner_api")
        .unwrap();
    assert_eq!(
        api["worker_lookup"][0]["looks_up"],
        "/airflow/prod/connections/partner_api"
    );
    // The per-key environment kwarg sets the Variables prefix.
    let recipients = json["resolutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "report_recipients")
        .unwrap();
    assert_eq!(
        recipients["worker_lookup"][0]["looks_up"],
        "/airflow/prod/variables/report_recipients"
    );
}

#[test]
fn local_files_backend_is_read_and_beats_the_environment() {
    let (diagnosis, text, _) = run("local_files");
    insta::assert_snapshot!(text);
    let warehouse = diagnosis
        .resolutions
        .iter()
        .find(|r| r.id == "warehouse")
        .unwrap();
    assert!(
        warehouse
            .verdict
            .starts_with("connection `warehouse` resolves from the local files"),
        "{}",
        warehouse.verdict
    );
    let warnings = messages(&diagnosis, Severity::Warning);
    assert!(
        warnings
            .iter()
            .any(|m| m.contains("`warehouse` is defined in the environment")
                && m.contains("plain-text")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|m| m.contains("`missing_everywhere` is used but defined nowhere")),
        "{warnings:#?}"
    );
    let ledger = diagnosis
        .resolutions
        .iter()
        .find(|r| r.id == "ledger")
        .unwrap();
    assert!(
        ledger.verdict.contains("resolves from the environment"),
        "{}",
        ledger.verdict
    );
}

#[test]
fn chart_config_with_a_moved_class_and_broken_kwargs() {
    let (diagnosis, text, _) = run("chart_config");
    insta::assert_snapshot!(text);
    let errors = messages(&diagnosis, Severity::Error);
    assert!(
        errors
            .iter()
            .any(|m| m.contains("removed with airflow.contrib")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|m| m.contains("is not valid JSON")),
        "{errors:#?}"
    );
    assert!(diagnosis.has_errors());
}
