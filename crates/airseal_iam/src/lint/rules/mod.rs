//! One file per `IAM###` rule; each file's `//!` comment is its documentation.

mod iam001_wildcard_action_on_secrets;
mod iam002_wildcard_resource_on_secrets;
mod iam003_action_airflow_never_calls;
mod iam004_kms_decrypt_without_via_service;
mod iam005_allow_with_not_action;
mod iam006_name_wildcard_over_matches_secret;
mod iam007_broad_managed_policy;
pub(crate) mod iam008_reader_misses_configured_prefix;

use airseal_finding::StaticRule;

use super::{Report, Statement};

pub(crate) use iam007_broad_managed_policy::check_text as managed_policies;

/// Every rule, in code order.
pub const RULES: &[&StaticRule] = &[
    &iam001_wildcard_action_on_secrets::RULE,
    &iam002_wildcard_resource_on_secrets::RULE,
    &iam003_action_airflow_never_calls::RULE,
    &iam004_kms_decrypt_without_via_service::RULE,
    &iam005_allow_with_not_action::RULE,
    &iam006_name_wildcard_over_matches_secret::RULE,
    &iam007_broad_managed_policy::RULE,
    &iam008_reader_misses_configured_prefix::RULE,
];

/// The rule that reads a file's text (any JSON, YAML, Terraform or template) rather than a
/// policy document's statements: reported by [`managed_policies`].
pub const MANAGED_POLICY_RULE: &StaticRule = &iam007_broad_managed_policy::RULE;

/// A rule's check over a policy's statements.
pub type Check = fn(&[Statement<'_>], &mut Vec<Report>);

/// Every policy-document rule's check, in the same order ([`MANAGED_POLICY_RULE`], last, has
/// none).
pub const CHECKS: &[Check] = &[
    iam001_wildcard_action_on_secrets::check,
    iam002_wildcard_resource_on_secrets::check,
    iam003_action_airflow_never_calls::check,
    iam004_kms_decrypt_without_via_service::check,
    iam005_allow_with_not_action::check,
    iam006_name_wildcard_over_matches_secret::check,
];

/// Whether an action is about secrets Airflow reads: Secrets Manager, Parameter Store reads,
/// KMS decryption, or a wildcard that covers them.
pub(crate) fn touches_secrets(action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    lower == "*"
        || lower.starts_with("secretsmanager:")
        || lower.starts_with("ssm:getparameter")
        || lower == "ssm:*"
        || lower == "kms:decrypt"
        || lower == "kms:*"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented() {
        let mut previous = "";
        for rule in RULES {
            let meta = rule.meta();
            assert!(rule.code > previous && rule.code.starts_with("IAM"));
            previous = rule.code;
            for text in [
                &meta.what_it_does,
                &meta.why_bad,
                &meta.example,
                &meta.how_to_fix,
            ] {
                assert!(!text.is_empty(), "{}", rule.code);
            }
        }
        // IAM007 reads file text and IAM008 needs the project's configuration: neither is in
        // CHECKS.
        assert_eq!(RULES.len(), CHECKS.len() + 2);
        assert!(std::ptr::eq(RULES[CHECKS.len()], MANAGED_POLICY_RULE));
    }
}
