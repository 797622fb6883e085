//! The registry of `CFG###`, `HLM###` and `KUB###` rules: one [`RuleSpec`] per file in `rules/`, whose `//!` comment is
//! the rule's user documentation.

use std::ops::Range;

use airseal_finding::{FindingBuilder, Severity, StaticRule};

use crate::rules;

/// A rule's fixed facts; the documentation is the rule file's own doc comment.
pub type RuleSpec = StaticRule;

/// Every rule, in code order. Codes are stable: a retired rule's code is never reused.
pub const RULES: &[&RuleSpec] = &[
    &rules::cfg001_sensitive_option_in_plain_text::RULE,
    &rules::cfg002_public_default_secret::RULE,
    &rules::cfg003_configuration_exposes_secrets::RULE,
    &rules::cfg004_invalid_backend_kwargs::RULE,
    &rules::cfg005_connection_in_environment::RULE,
    &rules::cfg006_variable_in_environment::RULE,
    &rules::hlm001_chart_secret_in_values::RULE,
    &rules::hlm002_chart_public_default_secret::RULE,
    &rules::hlm003_secret_in_embedded_config_file::RULE,
    &rules::hlm004_secrets_readable_by_workers::RULE,
    &rules::hlm005_git_sync_without_known_hosts::RULE,
    &rules::kub001_secret_manifest_with_data::RULE,
    &rules::kub002_configmap_holds_credentials::RULE,
    &rules::kub003_secret_in_container_env::RULE,
];

/// Findings of one file, before the engine places them.
#[derive(Default)]
pub struct Reports {
    pub found: Vec<(FindingBuilder, Range<usize>)>,
}

impl Reports {
    pub fn report(
        &mut self,
        spec: &RuleSpec,
        span: Range<usize>,
        message: String,
        fix: String,
        span_is_secret: bool,
    ) {
        self.report_with_severity(spec, spec.severity, span, message, fix, span_is_secret);
    }

    /// [`Reports::report`] with a severity other than the rule's default.
    pub fn report_with_severity(
        &mut self,
        spec: &RuleSpec,
        severity: Severity,
        span: Range<usize>,
        message: String,
        fix: String,
        span_is_secret: bool,
    ) {
        let builder = spec.finding(severity, message, fix, span_is_secret);
        self.found.push((builder, span));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_and_codes_are_sorted() {
        let mut previous = "";
        for rule in RULES {
            let meta = rule.meta();
            assert!(rule.code > previous);
            assert!(
                ["CFG", "HLM", "KUB"]
                    .iter()
                    .any(|p| rule.code.starts_with(p))
            );
            previous = rule.code;
            for text in [
                &meta.what_it_does,
                &meta.why_bad,
                &meta.example,
                &meta.how_to_fix,
            ] {
                assert!(!text.is_empty(), "{} is missing a section", rule.code);
            }
        }
    }
}
