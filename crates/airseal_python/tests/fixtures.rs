//! One fixture per rule (and per import style) in `tests/fixtures/`, each run through the scan
//! engine with the Python analyzer and pinned by an insta snapshot: position, code, severity,
//! message, the redacted code frame, and the fix.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use airseal_discovery::SourceFile;
use airseal_engine::{RuleSelection, ScanOutcome, ScanSettings, Scanner};
use airseal_python::PythonAnalyzer;

fn scan_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let selection = RuleSelection::new(&[], &[], &[]).unwrap();
    let settings = ScanSettings::new(selection, &[], &[], None).unwrap();
    let scanner = Scanner::new(vec![Box::new(PythonAnalyzer::new())], settings);
    let mut outcome = ScanOutcome::default();
    // Analyzed as if it were in a DAG folder: the analyzer skips test code, and these files live
    // under `tests/`.
    let dag_path = Path::new("dags").join(name);
    let file = SourceFile {
        path: &dag_path,
        display_path: name,
        bytes: &bytes,
    };
    scanner.analyze_file(&file, &mut outcome);
    let mut findings = outcome.findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut out = String::new();
    for f in &findings {
        let l = &f.location;
        out.push_str(&format!(
            "{}:{} {} {} {}\n",
            l.line, l.column, f.code, f.severity, f.message
        ));
        if let Some(source) = &f.source_line {
            out.push_str(&format!("    | {}\n", source.text));
            let pad = " ".repeat(source.highlight.start);
            let carets = "^".repeat(source.highlight.len().max(1));
            out.push_str(&format!("    | {pad}{carets}\n"));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    out
}

macro_rules! fixture_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!(scan_fixture($file));
            }
        )*
    };
}

fixture_tests! {
    dag001_hardcoded_secret_argument => "DAG001.py",
    dag002_hardcoded_secret_assignment => "DAG002.py",
    dag003_connection_in_code => "DAG003.py",
    dag004_credentials_in_uri => "DAG004.py",
    dag005_secret_from_environment => "DAG005.py",
    dag006_variable_get_at_parse_time => "DAG006.py",
    dag007_secret_in_template => "DAG007.py",
    dag008_variable_name_not_masked => "DAG008.py",
    dag009_secret_logged => "DAG009.py",
    dag010_secret_in_task_environment => "DAG010.py",
    dag011_cloud_client_literal_keys => "DAG011.py",
    dag900_syntax_error => "DAG900.py",
    airflow2_aliases => "airflow2_aliases.py",
    airflow3_sdk => "airflow3_sdk.py",
}

/// Every rule has a fixture, so a new rule cannot ship without one.
#[test]
fn every_rule_has_a_fixture() {
    for rule in airseal_python::RULES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{}.py", rule.code));
        assert!(path.exists(), "{} has no fixture", rule.code);
    }
}
