//! `airseal iam policy`: a valid policy with exactly the backend's prefixes, and wildcards or
//! malformed ids refused with exit 2.
use crate::common::{airseal, stderr, stdout};

#[test]
fn the_reader_policy_grants_one_action_on_exactly_the_prefixes() {
    let output = airseal()
        .args([
            "iam",
            "policy",
            "--backend",
            "ssm",
            "--region",
            "eu-central-1",
        ])
        .args([
            "--account",
            "210987654321",
            "--prefix",
            "/team-a/connections",
        ])
        .args([
            "--kms-key",
            "arn:aws:kms:eu-central-1:210987654321:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let policy: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(
        statements[0]["Action"],
        serde_json::json!(["ssm:GetParameter"])
    );
    assert_eq!(
        statements[0]["Resource"],
        serde_json::json!(["arn:aws:ssm:eu-central-1:210987654321:parameter/team-a/connections/*"])
    );
    assert_eq!(
        statements[1]["Condition"]["StringEquals"]["kms:ViaService"],
        "ssm.eu-central-1.amazonaws.com"
    );
    assert!(!stdout(&output).contains("\"*\""), "no wildcard resource");
}

#[test]
fn wildcards_are_refused() {
    for args in [
        vec!["--region", "*", "--account", "123456789012"],
        vec![
            "--region",
            "eu-west-1",
            "--account",
            "123456789012",
            "--prefix",
            "airflow/*",
        ],
        vec!["--region", "eu-west-1", "--account", "not-an-account"],
    ] {
        let output = airseal()
            .args(["iam", "policy"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("error"), "{args:?}");
    }
}

#[test]
fn iam_lint_reports_a_broad_policy_and_passes_the_generated_one() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(
        dir.path(),
        "broad.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}"#,
    );
    let output = airseal()
        .args(["iam", "lint", "--format", "json"])
        .arg(dir.path().join("broad.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["IAM001", "IAM002"], "{report:#}");

    let generated = airseal()
        .args([
            "iam",
            "policy",
            "--region",
            "eu-west-1",
            "--account",
            "123456789012",
        ])
        .output()
        .unwrap();
    crate::common::write(dir.path(), "reader.json", stdout(&generated));
    let output = airseal()
        .args(["iam", "lint"])
        .arg(dir.path().join("reader.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}
