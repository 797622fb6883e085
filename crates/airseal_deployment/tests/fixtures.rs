//! One fixture per rule in `tests/fixtures/` (airflow.cfg and env forms), run through the scan
//! engine with the deployment analyzer and pinned by an insta snapshot.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use airseal_deployment::DeploymentAnalyzer;
use airseal_discovery::SourceFile;
use airseal_engine::{RuleSelection, ScanOutcome, ScanSettings, Scanner};

fn scan_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let selection = RuleSelection::new(&[], &[], &[]).unwrap();
    let settings = ScanSettings::new(selection, &[], &[], None).unwrap();
    let scanner = Scanner::new(vec![Box::new(DeploymentAnalyzer::new())], settings);
    let mut outcome = ScanOutcome::default();
    // `.cfg` fixtures are read as airflow.cfg, `.env` ones as env files.
    let as_path = if name.ends_with(".compose.yaml") {
        Path::new("deploy").join("docker-compose.yaml")
    } else if name.ends_with(".env") || name.ends_with(".Dockerfile") || name.ends_with(".yaml") {
        Path::new("deploy").join(name)
    } else {
        Path::new("deploy").join("airflow.cfg")
    };
    let file = SourceFile {
        path: &as_path,
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
            out.push_str(&format!(
                "    | {pad}{}\n",
                "^".repeat(source.highlight.len().max(1))
            ));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    for w in &outcome.warnings {
        out.push_str(&format!("warning: line {:?}: {}\n", w.line, w.message));
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
    cfg001_sensitive_option_in_plain_text => "CFG001.cfg",
    cfg001_sensitive_option_in_plain_text_env => "CFG001.env",
    cfg001_sensitive_option_in_plain_text_dockerfile => "CFG001.Dockerfile",
    cfg002_public_default_secret => "CFG002.cfg",
    cfg003_configuration_exposes_secrets => "CFG003.cfg",
    cfg004_invalid_backend_kwargs => "CFG004.cfg",
    cfg005_connection_in_environment => "CFG005.env",
    cfg006_variable_in_environment => "CFG006.env",
    hlm001_chart_secret_in_values_user_community => "HLM001.user-community.yaml",
    hlm001_chart_secret_in_values_official => "HLM001.official.yaml",
    hlm002_chart_public_default_secret_user_community => "HLM002.user-community.yaml",
    hlm002_chart_public_default_secret_official => "HLM002.official.yaml",
    hlm003_secret_in_embedded_config_file => "HLM003.user-community.yaml",
    hlm004_secrets_readable_by_workers => "HLM004.user-community.yaml",
    hlm005_git_sync_without_known_hosts_user_community => "HLM005.user-community.yaml",
    hlm005_git_sync_without_known_hosts_official => "HLM005.official.yaml",
    kub001_secret_manifest_with_data => "KUB001.yaml",
    kub002_configmap_holds_credentials => "KUB002.yaml",
    kub003_secret_in_container_env => "KUB003.yaml",
    kub003_secret_in_container_env_values => "KUB003.official-values.yaml",
    malformed_values => "malformed.values.yaml",
    cfg001_sensitive_option_in_plain_text_compose => "CFG001.compose.yaml",
    cfg001_sensitive_option_in_plain_text_kubernetes => "CFG001.k8s.yaml",
    malformed_ini => "malformed.cfg",
    malformed_compose => "malformed.compose.yaml",
}

#[test]
fn every_rule_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for rule in airseal_deployment::RULES {
        let prefix = format!("{}.", rule.code);
        assert!(
            names.iter().any(|n| n.starts_with(&prefix)),
            "{} has no fixture",
            rule.code
        );
    }
}
