//! Every detection against its fixtures (`tests/fixtures/audNNN-*.jsonl`, one CloudTrail record
//! per line): each record of a one-call detection's `positive` file raises exactly one alert of
//! that detection, no record of its `negative` file raises one; AUD004's files are sequences.
//! The positive alerts are snapshots (insta), so a changed message or evidence shows in review.

use std::path::PathBuf;

use airseal_watch::cloudtrail::reader::ReadOptions;
use airseal_watch::report::alert_json;
use airseal_watch::{Alert, RULES, Scope, ScopeSpec, WatchOptions, run};

fn scope() -> Scope {
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Scope::new(ScopeSpec {
        readers: strings(&["arn:aws:iam::111122223333:role/airflow-worker"]),
        writers: strings(&["arn:aws:iam::111122223333:role/airflow-deployer"]),
        source_networks: strings(&["10.0.0.0/8"]),
        regions: strings(&["eu-west-1"]),
        user_agents: strings(&["*Boto3*"]),
        kms_keys: strings(&[
            "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-2222-bbbb-3333-cccc4444dddd",
        ]),
        ..ScopeSpec::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn options() -> WatchOptions {
    WatchOptions {
        read: ReadOptions::default(),
        // Fixtures are dated 2026-11-30.
        now: 1_796_083_200, // 2026-12-01T00:00:00Z
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from("tests/fixtures").join(name)
}

/// The alerts of one file, and the lines of the file.
fn alerts_of(name: &str) -> (Vec<Alert>, Vec<String>) {
    let path = fixture(name);
    let batch = run(std::slice::from_ref(&path), scope(), options());
    assert!(batch.warnings.is_empty(), "{name}: {:?}", batch.warnings);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    (batch.alerts, text.lines().map(str::to_owned).collect())
}

fn one_call_rule(code: &str) {
    let lower = code.to_ascii_lowercase();
    let (alerts, lines) = alerts_of(&format!("{lower}-positive.jsonl"));
    assert!(!lines.is_empty());
    for record in 1..=lines.len() {
        let of_record: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.rule.code == code && a.evidence[0].record == record)
            .collect();
        assert_eq!(
            of_record.len(),
            1,
            "{code}: positive record {record} raised {} alerts: {}",
            of_record.len(),
            lines[record - 1]
        );
    }
    let mine: Vec<serde_json::Value> = alerts
        .iter()
        .filter(|a| a.rule.code == code)
        .map(alert_json)
        .collect();
    insta::assert_json_snapshot!(format!("{lower}-positive"), mine);
    let (alerts, lines) = alerts_of(&format!("{lower}-negative.jsonl"));
    assert!(!lines.is_empty());
    let raised: Vec<&Alert> = alerts.iter().filter(|a| a.rule.code == code).collect();
    assert!(
        raised.is_empty(),
        "{code}: negative records raised {:?}",
        raised.iter().map(|a| &a.message).collect::<Vec<_>>()
    );
}

#[test]
fn aud001_failed_access() {
    one_call_rule("AUD001");
}

#[test]
fn aud002_unexpected_reader() {
    one_call_rule("AUD002");
}

#[test]
fn aud003_unexpected_origin() {
    one_call_rule("AUD003");
}

#[test]
fn aud005_protection_weakened() {
    one_call_rule("AUD005");
}

#[test]
fn aud006_rotation_failed() {
    one_call_rule("AUD006");
}

#[test]
fn aud007_unexpected_writer() {
    one_call_rule("AUD007");
}

#[test]
fn aud008_previous_version_read() {
    one_call_rule("AUD008");
}

#[test]
fn aud004_enumeration_then_bulk_read() {
    let (alerts, _) = alerts_of("aud004-positive.jsonl");
    let bulk: Vec<&Alert> = alerts.iter().filter(|a| a.rule.code == "AUD004").collect();
    // One for Secrets Manager (ListSecrets, 10 reads out of order), one for SSM
    // (DescribeParameters, 5 GetParameters of 2 names each).
    assert_eq!(
        bulk.len(),
        2,
        "{:?}",
        bulk.iter().map(|a| &a.message).collect::<Vec<_>>()
    );
    assert!(bulk.iter().all(|a| a.secrets.len() == 10));
    assert_eq!(bulk[0].evidence[0].event_name, "ListSecrets");
    assert_eq!(bulk[1].evidence[0].event_name, "DescribeParameters");
    let json: Vec<serde_json::Value> = bulk.iter().map(|a| alert_json(a)).collect();
    insta::assert_json_snapshot!("aud004-positive", json);
    for negative in [
        "aud004-negative-reads-before-listing.jsonl",
        "aud004-negative-reads-after-window.jsonl",
        "aud004-negative-few-distinct.jsonl",
        "aud004-negative-writer.jsonl",
    ] {
        let (alerts, _) = alerts_of(negative);
        assert!(
            alerts.iter().all(|a| a.rule.code != "AUD004"),
            "{negative}: {:?}",
            alerts.iter().map(|a| &a.message).collect::<Vec<_>>()
        );
    }
}

#[test]
fn aud004_counts_each_secret_of_a_batch_read() {
    // ListSecrets, then two BatchGetSecretValue calls of 7 and 5 ids: 12 distinct secrets.
    let (alerts, _) = alerts_of("aud004-positive-batch.jsonl");
    let bulk: Vec<&Alert> = alerts.iter().filter(|a| a.rule.code == "AUD004").collect();
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0].secrets.len(), 12);
    assert_eq!(bulk[0].evidence.len(), 3);
    let json: Vec<serde_json::Value> = bulk.iter().map(|a| alert_json(a)).collect();
    insta::assert_json_snapshot!("aud004-positive-batch", json);
}

#[test]
fn aud004_merges_across_files_in_any_order() {
    // The listing in one file, the reads in another: the state of the two merges.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(fixture("aud004-positive.jsonl")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(dir.path().join("b.jsonl"), lines[..5].join("\n")).unwrap_or_default();
    std::fs::write(dir.path().join("a.jsonl"), lines[5..].join("\n")).unwrap_or_default();
    let batch = run(&[dir.path().to_path_buf()], scope(), options());
    let bulk = batch
        .alerts
        .iter()
        .filter(|a| a.rule.code == "AUD004")
        .count();
    assert_eq!(bulk, 2);
}

#[test]
fn every_rule_has_fixtures_and_documentation() {
    for rule in RULES {
        let lower = rule.code.to_ascii_lowercase();
        assert!(
            fixture(&format!("{lower}-positive.jsonl")).exists(),
            "{}",
            rule.code
        );
        let meta = rule.meta();
        for (section, text) in [
            ("What it does", &meta.what_it_does),
            ("Why is this bad?", &meta.why_bad),
            ("Example", &meta.example),
            ("How to fix", &meta.how_to_fix),
        ] {
            assert!(!text.is_empty(), "{}: no `{section}`", rule.code);
        }
    }
}
