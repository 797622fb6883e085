//! Output formats: the JSON contract, SARIF valid against the OASIS schema, JUnit, GitHub
//! annotations, exit codes and a closed pipe.
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;

use crate::common::{ALNUM, airseal, json, plant_canaries, random_string, stderr, stdout, write};

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

#[test]
fn json_output_follows_the_contract() {
    let canaries = plant_canaries();
    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(canaries.dir.path())
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    let findings = report["findings"].as_array().unwrap();
    for finding in findings {
        for key in [
            "code",
            "name",
            "severity",
            "confidence",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "fingerprint",
        ] {
            assert!(!finding[key].is_null(), "finding lacks {key}: {finding:#}");
        }
        // `secret` is always there; only findings about code (a DAG rule's call or template,
        // a syntax error) have none.
        let object = finding.as_object().unwrap();
        assert!(object.contains_key("secret"), "{finding:#}");
        assert!(
            finding["secret"].is_string() || finding["code"].as_str().unwrap().starts_with("DAG"),
            "{finding:#}"
        );
        assert!(
            !finding["path"].as_str().unwrap().starts_with('/'),
            "paths are relative"
        );
    }
    let summary = &report["summary"];
    assert_eq!(summary["findings"], findings.len());
    assert_eq!(summary["files_scanned"], 5);
    assert!(summary["bytes_scanned"].as_u64().unwrap() > 100);
    let by_severity: u64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| summary["by_severity"][s].as_u64().unwrap())
        .sum();
    assert_eq!(by_severity as usize, findings.len());

    let output = airseal()
        .args(["scan", "--format", "jsonl"])
        .arg(canaries.dir.path())
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(&lines, findings);
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_rules_and_fingerprints() {
    let canaries = plant_canaries();
    let output = airseal()
        .args(["scan", "--format", "sarif"])
        .arg(canaries.dir.path())
        .output()
        .unwrap();
    let sarif = json(&output);
    let schema_path = shared_dir().join("schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 80, "rule metadata for every enabled rule");
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(
            result["partialFingerprints"]["airseal/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert!(rules[index]["properties"]["security-severity"].is_string());
    }
}

#[test]
fn junit_and_github_formats() {
    let canaries = plant_canaries();
    let output = airseal()
        .args(["scan", "--format", "junit"])
        .arg(canaries.dir.path())
        .output()
        .unwrap();
    let xml = stdout(&output);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testsuite name=\"dags/etl.py\""), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");

    let output = airseal()
        .args(["scan", "--format", "github"])
        .arg(canaries.dir.path())
        .output()
        .unwrap();
    let text = stdout(&output);
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
        assert!(
            line.contains(",line=") && line.contains(",title="),
            "{line}"
        );
    }
    assert!(text.contains("::error file=dags/etl.py,line=2,"), "{text}");
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clean.py", "x = 1\n");
    airseal().arg("scan").arg(dir.path()).assert().code(0);
    write(
        dir.path(),
        "token.py",
        format!("T = \"ghp_{}Aa1\"\n", random_string(ALNUM, 33)),
    );
    airseal().arg("scan").arg(dir.path()).assert().code(1);
    airseal()
        .args(["scan", "--fail-on", "critical"])
        .arg(dir.path())
        .assert()
        .code(0);
    airseal()
        .args(["scan", "--select", "KEY9"])
        .arg(dir.path())
        .assert()
        .code(0);
    airseal()
        .args(["scan", "--ignore", "KEY2"])
        .arg(dir.path())
        .assert()
        .code(0);
    airseal()
        .args(["scan", "--select", "nope"])
        .arg(dir.path())
        .assert()
        .code(2);
    airseal()
        .args(["scan", "--format", "xml"])
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for _ in 0..3000 {
        lines.push_str(&format!("T = \"ghp_{}Aa1\"\n", random_string(ALNUM, 33)));
    }
    write(dir.path(), "many.py", lines);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("airseal"))
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn inline_suppression_in_several_comment_syntaxes() {
    let dir = tempfile::tempdir().unwrap();
    let t = || format!("ghp_{}Aa1", random_string(ALNUM, 33));
    write(
        dir.path(),
        "a.py",
        format!(
            "A = \"{}\"  # airseal: ignore[KEY2]\n# airseal: ignore\nB = \"{}\"\nC = \"{}\"  # airseal: ignore[KEY001]\n",
            t(),
            t(),
            t()
        ),
    );
    write(
        dir.path(),
        "b.yaml",
        format!("# airseal: ignore[KEY200]\nt: {}\n", t()),
    );
    write(
        dir.path(),
        "c.sql",
        format!("SELECT '{}'; -- airseal: ignore\n", t()),
    );
    write(
        dir.path(),
        "d.md",
        format!("<!-- airseal: ignore -->\n`{}`\n", t()),
    );
    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json(&output);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["path"], "a.py");
    assert_eq!(findings[0]["line"], 4);
    assert_eq!(report["summary"]["suppressed"]["inline"], 5);
}
