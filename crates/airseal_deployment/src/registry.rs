//! The registry of `CFG###` rules: one [`RuleSpec`] per file in `rules/`, whose `//!` comment is
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
            assert!(rule.code > previous && rule.code.starts_with("CFG"));
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
