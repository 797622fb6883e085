//! The rule reference and the bundled example stay in step with the code.
use std::path::PathBuf;

use crate::common::{airseal, stdout};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn docs_rules_md_is_current() {
    let output = airseal()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let generated = stdout(&output);
    let committed = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/rules.md is stale: run scripts/update-docs.sh and commit the result"
    );
}

#[test]
fn every_rule_has_documentation() {
    let output = airseal()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(rules.len() >= 80);
    for rule in &rules {
        let code = rule["code"].as_str().unwrap();
        let doc = airseal().args(["rule", code]).output().unwrap();
        let text = stdout(&doc);
        for heading in [
            "### What it does",
            "### Why is this bad?",
            "### Example",
            "### How to fix",
        ] {
            assert!(text.contains(heading), "{code} lacks {heading}");
        }
    }
    airseal().args(["rule", "NOP999"]).assert().code(2);
}

/// The README's first command: the bundled example's findings, redacted, as a snapshot.
#[test]
fn bundled_example_findings() {
    let output = airseal()
        .args(["scan", "--format", "jsonl", "examples/insecure-airflow"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let summary: Vec<String> = stdout(&output)
        .lines()
        .map(|line| {
            let f: serde_json::Value = serde_json::from_str(line).unwrap();
            format!(
                "{}:{}:{} {} {} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                // Code findings (a parse-time `Variable.get`) have no secret.
                f["secret"].as_str().unwrap_or("-")
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"));
}
