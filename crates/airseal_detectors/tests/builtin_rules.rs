//! Every built-in rule file loads, every rule's examples are found and its negative examples are
//! not, and the set covers the credential kinds the product promises.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
use airseal_detectors::{DetectorSet, builtin_rule_files, builtin_rules, check_rules};

#[test]
fn builtin_rules_load_and_their_examples_hold() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e}"));
    let problems = check_rules(&rules);
    let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        report.is_empty(),
        "{} rule problems:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn builtin_rules_have_unique_codes_and_names() {
    let rules = builtin_rules().unwrap();
    DetectorSet::new(rules).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn builtin_rules_cover_at_least_80_credential_kinds() {
    let rules = builtin_rules().unwrap();
    assert!(
        rules.len() >= 80,
        "only {} built-in rules in {} files",
        rules.len(),
        builtin_rule_files().len()
    );
}

#[test]
fn every_rule_has_a_negative_example() {
    let rules = builtin_rules().unwrap();
    let missing: Vec<&str> = rules
        .iter()
        .filter(|r| r.negative_examples.is_empty())
        .map(|r| r.meta.code.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without negative_examples: {missing:?}"
    );
}
