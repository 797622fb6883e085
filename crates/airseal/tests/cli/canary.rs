//! Secrets never leak: random canaries are planted, every output format, the baseline and the
//! error paths run, and no canary may appear anywhere unless `--show-secrets` asks for it.
use std::fs;

use crate::common::{Canaries, airseal, plant_canaries, stderr, stdout, write};

const FORMATS: [&str; 6] = ["human", "json", "jsonl", "sarif", "junit", "github"];

fn assert_no_canary(canaries: &Canaries, context: &str, text: &str) {
    for value in &canaries.values {
        assert!(
            !text.contains(value.as_str()),
            "{context}: a canary secret leaked:\n{text}"
        );
    }
}

#[test]
fn no_output_format_prints_a_secret() {
    let canaries = plant_canaries();
    let root = canaries.dir.path();
    for format in FORMATS {
        let output = airseal()
            .args(["scan", "--format", format])
            .arg(root)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        assert_no_canary(&canaries, format, &stdout(&output));
        assert_no_canary(&canaries, format, &stderr(&output));
    }
    // Every canary is found (so the test proves redaction, not blindness).
    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.len() >= canaries.values.len(),
        "only {} findings: {report:#}",
        findings.len()
    );
}

#[test]
fn show_secrets_prints_them_in_every_format() {
    let canaries = plant_canaries();
    for format in FORMATS {
        let output = airseal()
            .args(["scan", "--show-secrets", "--format", format])
            .arg(canaries.dir.path())
            .output()
            .unwrap();
        let text = stdout(&output);
        for value in &canaries.values {
            assert!(
                text.contains(value.as_str()),
                "{format} hides {value}:\n{text}"
            );
        }
    }
}

#[test]
fn output_files_and_baselines_hold_no_secret() {
    let canaries = plant_canaries();
    let root = canaries.dir.path();
    let out_dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let file = out_dir.path().join(format!("report.{format}"));
        let output = airseal()
            .args(["scan", "--format", format, "--output"])
            .arg(&file)
            .arg(root)
            .output()
            .unwrap();
        assert_no_canary(&canaries, format, &stderr(&output));
        assert_no_canary(&canaries, format, &fs::read_to_string(&file).unwrap());
    }
    let baseline = out_dir.path().join("baseline.json");
    let output = airseal()
        .args(["baseline", "create", "--output"])
        .arg(&baseline)
        .arg(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_no_canary(&canaries, "baseline stderr", &stderr(&output));
    assert_no_canary(
        &canaries,
        "baseline",
        &fs::read_to_string(&baseline).unwrap(),
    );
}

#[test]
fn error_messages_hold_no_secret() {
    let canaries = plant_canaries();
    let root = canaries.dir.path();
    let canary = &canaries.values[0];
    // Values that may hold a secret (allowlist entries, mistyped values) must not be echoed.
    let broken: [(&str, String); 4] = [
        ("airseal.toml", format!("allowlist = [\"{canary}\"\n")),
        ("airseal.toml", format!("max-file-size = \"{canary}\"\n")),
        ("airseal.toml", format!("allowlist = [\"({canary}\"]\n")),
        (
            "pyproject.toml",
            format!("[tool.airseal]\nstopwords = \"{canary}\"\n"),
        ),
    ];
    for (name, content) in broken {
        let config = write(root, name, &content);
        let output = airseal().arg("scan").arg(root).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{content}: {}",
            stdout(&output)
        );
        assert_no_canary(&canaries, &content, &stderr(&output));
        assert_no_canary(&canaries, &content, &stdout(&output));
        fs::remove_file(config).unwrap();
    }
    let bad_baselines = [
        format!("{{\"version\": \"{canary}\", \"findings\": []}}"),
        format!(
            "{{\"version\": 1, \"findings\": [{{\"path\": \"{canary}\", \"code\": \"KEY001\", \"fingerprint\": \"{canary}\"}}]}}"
        ),
        format!("{{\"version\": 1, \"findings\": [\"{canary}"),
    ];
    let out_dir = tempfile::tempdir().unwrap();
    for content in bad_baselines {
        let baseline = write(out_dir.path(), "baseline.json", &content);
        let output = airseal()
            .arg("scan")
            .arg("--baseline")
            .arg(&baseline)
            .arg(root)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{content}");
        assert_no_canary(&canaries, &content, &stderr(&output));
    }
    let rule_file = write(
        out_dir.path(),
        "rules.yml",
        format!("rules:\n  - id: USR001\n    name: x\n    severity: \"{canary}\"\n"),
    );
    let output = airseal()
        .args(["rules", "check"])
        .arg(&rule_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_no_canary(&canaries, "rules check", &stderr(&output));
}
