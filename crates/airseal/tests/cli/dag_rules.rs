//! The DAG rules through the CLI: one finding per literal (the rule that says more wins, and
//! switching it off brings the other back), code findings without a secret, inline suppression,
//! and `--ignore DAG` leaving only the credential rules.
use crate::common::{airseal, json, write};

fn codes_at(report: &serde_json::Value, line: u64) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["line"] == line)
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn scan(root: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let output = airseal()
        .args(["scan", "--format", "json"])
        .args(extra)
        .arg(root)
        .output()
        .unwrap();
    json(&output)
}

#[test]
fn the_rule_that_says_more_is_reported_and_switching_it_off_brings_the_other_back() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dags/load.py",
        "import psycopg2\n\
         from airflow.models import Variable\n\
         def load():\n    psycopg2.connect(host=\"wh\", user=\"etl\", password=\"Xq9zR7mK4pLw\")\n\
         BUCKET = Variable.get(\"bucket\")\n\
         ADMIN_PASSWORD = \"Tr0ub4dor3x\"  # airseal: ignore[DAG002]\n",
    );
    let report = scan(dir.path(), &[]);
    // The generic password rule and DAG001 see the same literal: DAG001 (which names the fix in
    // Airflow's terms) is the one reported.
    assert_eq!(codes_at(&report, 4), ["DAG001"], "{report:#}");
    // A finding about code has no secret.
    let parse_time = &report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DAG006")
        .unwrap();
    assert!(parse_time["secret"].is_null(), "{parse_time:#}");
    assert_eq!(parse_time["line"], 5);
    // Suppressed inline by its own code; the generic rule it outranked stays merged away.
    assert!(codes_at(&report, 6).is_empty(), "{report:#}");
    assert_eq!(report["summary"]["suppressed"]["inline"], 1, "{report:#}");

    let without = scan(dir.path(), &["--ignore", "DAG001"]);
    let back = codes_at(&without, 4);
    assert_eq!(back.len(), 1, "{without:#}");
    assert!(back[0].starts_with("KEY9"), "{without:#}");

    let credentials_only = scan(dir.path(), &["--ignore", "DAG"]);
    assert!(
        credentials_only["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"].as_str().unwrap().starts_with("KEY")),
        "{credentials_only:#}"
    );
}

#[test]
fn test_code_is_left_to_the_credential_rules() {
    let dir = tempfile::tempdir().unwrap();
    let source = "import psycopg2\npsycopg2.connect(password=\"Xq9zR7mK4pLw\")\n";
    write(dir.path(), "tests/test_load.py", source);
    write(dir.path(), "dags/load.py", source);
    let report = scan(dir.path(), &[]);
    let by_path = |path: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(by_path("dags/load.py"), ["DAG001"], "{report:#}");
    let in_test = by_path("tests/test_load.py");
    assert!(
        !in_test.is_empty() && in_test.iter().all(|c| c.starts_with("KEY")),
        "{report:#}"
    );
}
