//! The AUD1## detections over an audit log of every surface (Airflow 2 web UI and REST API,
//! Airflow 3 API and UI bulk actions): which rows are changes, who and when, and which secrets
//! a body shows in clear. The CLI rows of real Airflow 2.10.5 and 3.3.2 are tested end to end
//! by scripts/airflow-log-roundtrip.sh.

use airseal_watch::airflow_log::source::{Source, read};
use airseal_watch::airflow_log::{LogPolicy, check};
use airseal_watch::report::alert_json;

#[test]
fn every_surface_of_the_audit_log() {
    let source =
        Source::parse("tests/fixtures/airflow-log/log.json").unwrap_or_else(|e| panic!("{e}"));
    let (rows, problems) = read(&source, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 8);
    let policy = LogPolicy::new(
        &["admin".to_owned(), "deployer".to_owned()],
        Some("08:00-18:00"),
        Some("mon-fri"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let alerts = check(&rows, "log.json", &policy);
    let of = |code: &str| -> Vec<String> {
        alerts
            .iter()
            .filter(|a| a.rule.code == code)
            .map(|a| a.evidence[0].event_id.clone())
            .collect()
    };
    // Row 1 only opened the form; row 7 is a task event.
    assert_eq!(of("AUD101"), vec!["4"]);
    assert_eq!(of("AUD102"), vec!["4"]);
    assert_eq!(of("AUD103"), vec!["5", "6"]);
    let leaks: Vec<&str> = alerts
        .iter()
        .filter(|a| a.rule.code == "AUD103")
        .map(|a| a.message.as_str())
        .collect();
    assert!(
        leaks[0].contains("aws_secret_access_key") && !leaks[0].contains("region"),
        "{leaks:?}"
    );
    assert!(leaks[1].contains("api_key"), "{leaks:?}");
    for alert in &alerts {
        assert!(!alert.message.contains("Bulk-Leak") && !alert.message.contains("Bulk-Key"));
    }
    let json: Vec<serde_json::Value> = alerts.iter().map(alert_json).collect();
    insta::assert_json_snapshot!("airflow-log", json);
    // Without users or hours, AUD101 and AUD102 are off; AUD103 is not.
    let alerts = check(
        &rows,
        "log.json",
        &LogPolicy::new(&[], None, None).unwrap_or_else(|e| panic!("{e}")),
    );
    assert!(alerts.iter().all(|a| a.rule.code == "AUD103"));
}

#[test]
fn exports_with_broken_rows_go_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jsonl = dir.path().join("log.jsonl");
    std::fs::write(&jsonl, "{\"id\": 1, \"event\": \"post_variable\", \"owner\": \"x\", \"dttm\": \"2026-11-30T10:00:00Z\"}\nnot json\n[1]\n").unwrap_or_default();
    let (rows, problems) = read(&Source::Export(jsonl), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 1);
    assert_eq!(problems.len(), 2);
    assert!(problems[0].contains("log.jsonl:2"), "{problems:?}");
    let csv = dir.path().join("log.csv");
    std::fs::write(&csv, "id,dttm,event,owner,extra\n1,2026-11-30 10:00:00,delete_connection,x,\"{\"\"connection_id\"\": \"\"c\"\"}\"\n").unwrap_or_default();
    let (rows, _) = read(&Source::Export(csv), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows[0].event, "delete_connection");
    assert!(
        rows[0]
            .extra
            .as_deref()
            .is_some_and(|e| e.contains("connection_id"))
    );
    let bad = dir.path().join("log.json");
    std::fs::write(&bad, "{\"event_logs\": 5}").unwrap_or_default();
    assert!(read(&Source::Export(bad), None).is_err());
}
