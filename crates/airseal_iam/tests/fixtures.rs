//! One policy per `IAM###` rule in `tests/fixtures/` (and, for `IAM007`, a YAML template and
//! Terraform too), run through the scan engine with the IAM analyzer and pinned by an insta
//! snapshot; and the policy `airseal iam policy` prints passes every rule.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use airseal_discovery::SourceFile;
use airseal_engine::{RuleSelection, ScanOutcome, ScanSettings, Scanner};
use airseal_iam::lint::{ConfiguredScope, IamAnalyzer, RULES};
use airseal_iam::{Backend, ReaderPolicy};

fn findings(name: &str, bytes: &[u8]) -> String {
    findings_with(name, bytes, None)
}

fn findings_with(name: &str, bytes: &[u8], scope: Option<ConfiguredScope>) -> String {
    let selection = RuleSelection::new(&[], &[], &[]).unwrap();
    let settings = ScanSettings::new(selection, &[], &[], None).unwrap();
    let scanner = Scanner::new(vec![Box::new(IamAnalyzer::with_scope(scope))], settings);
    let mut outcome = ScanOutcome::default();
    let path = Path::new("policies").join(name);
    let file = SourceFile {
        path: &path,
        display_path: name,
        bytes,
    };
    scanner.analyze_file(&file, &mut outcome);
    let mut found = outcome.findings;
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    found
        .iter()
        .map(|f| {
            let frame = f
                .source_line
                .as_ref()
                .map_or(String::new(), |s| s.text.clone());
            format!(
                "{}:{} {} {} {}\n    | {}\n",
                f.location.line, f.location.column, f.code, f.severity, f.message, frame
            )
        })
        .collect()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    findings(name, &std::fs::read(path).unwrap())
}

#[test]
fn iam001() {
    insta::assert_snapshot!(fixture("IAM001.json"));
}
#[test]
fn iam002() {
    insta::assert_snapshot!(fixture("IAM002.json"));
}
#[test]
fn iam003() {
    insta::assert_snapshot!(fixture("IAM003.json"));
}
#[test]
fn iam004() {
    insta::assert_snapshot!(fixture("IAM004.json"));
}
#[test]
fn iam005() {
    insta::assert_snapshot!(fixture("IAM005.json"));
}
#[test]
fn iam006() {
    insta::assert_snapshot!(fixture("IAM006.json"));
}
#[test]
fn iam007() {
    insta::assert_snapshot!(fixture("IAM007.json"));
}
#[test]
fn iam007_yaml() {
    insta::assert_snapshot!(fixture("IAM007.yaml"));
}
#[test]
fn iam007_terraform() {
    insta::assert_snapshot!(fixture("IAM007.tf"));
}

#[test]
fn iam007_reads_cli_output_templates_and_terraform_only() {
    let attached = br#"{"AttachedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}"#;
    let yaml = b"ManagedPolicyArns:\n  - arn:aws:iam::aws:policy/AdministratorAccess\n";
    for name in [
        "attached.json",
        "role.template",
        "role.yml",
        "role.YAML",
        "main.tf.json",
    ] {
        let text: &[u8] = if name.ends_with("json") {
            attached
        } else {
            yaml
        };
        let found = findings(name, text);
        assert!(
            found.starts_with("1:") || found.starts_with("2:"),
            "{name}: {found}"
        );
        assert!(found.contains("IAM007 high"), "{name}: {found}");
        assert_eq!(found.matches("IAM007").count(), 1, "{name}: {found}");
    }
    for name in ["notes.md", "deploy.sh", "role.txt"] {
        assert_eq!(findings(name, yaml), "", "{name}");
    }
}

#[test]
fn every_rule_has_a_fixture() {
    for rule in RULES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{}.json", rule.code));
        assert!(path.exists(), "{}", rule.code);
    }
}

#[test]
fn the_generated_reader_policy_passes_every_rule() {
    for backend in [Backend::SecretsManager, Backend::ParameterStore] {
        let policy = ReaderPolicy {
            backend,
            partition: "aws".to_owned(),
            region: "eu-west-1".to_owned(),
            account: "123456789012".to_owned(),
            prefixes: backend
                .default_prefixes()
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            kms_keys: vec![
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .to_owned(),
            ],
        };
        let text = serde_json::to_string_pretty(&policy.document().unwrap()).unwrap();
        assert_eq!(findings("generated.json", text.as_bytes()), "", "{text}");
    }
}

#[test]
fn iam008_against_the_configured_prefixes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/IAM008.json");
    let bytes = std::fs::read(path).unwrap();
    let scope = |prefixes: &[&str]| {
        Some(ConfiguredScope {
            parameter_store: false,
            prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
            source: "deploy/".to_owned(),
        })
    };
    // The policy grants airflow/connections/* and one exact Variable secret.
    insta::assert_snapshot!(findings_with(
        "IAM008.json",
        &bytes,
        scope(&[
            "airflow/prod/connections",
            "airflow/connections",
            "airflow/variables"
        ])
    ));
    // Without a configured scope the rule says nothing.
    assert!(!findings("IAM008.json", &bytes).contains("IAM008"));
    // A Parameter Store scope does not judge a Secrets Manager policy.
    let ssm = Some(ConfiguredScope {
        parameter_store: true,
        prefixes: vec!["/airflow/connections".to_owned()],
        source: "deploy/".to_owned(),
    });
    assert!(!findings_with("IAM008.json", &bytes, ssm).contains("IAM008"));
}
