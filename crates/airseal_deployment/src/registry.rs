//! The registry of `CFG###` rules: one [`RuleSpec`] per file in `rules/`, whose `//!` comment is
//! the rule's user documentation.

use std::ops::Range;

use airseal_finding::{Confidence, Finding, FindingBuilder, RuleCode, RuleDoc, RuleMeta, Severity};

use crate::rules;

pub struct RuleSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// See `Finding::overlap_rank`.
    pub overlap_rank: Option<u8>,
    pub references: &'static [&'static str],
    pub source: &'static str,
}

/// Every rule, in code order. Codes are stable: a retired rule's code is never reused.
pub const RULES: &[&RuleSpec] = &[
    &rules::cfg001_sensitive_option_in_plain_text::RULE,
    &rules::cfg002_public_default_secret::RULE,
    &rules::cfg003_configuration_exposes_secrets::RULE,
    &rules::cfg004_invalid_backend_kwargs::RULE,
];

impl RuleSpec {
    pub fn meta(&self) -> RuleMeta {
        let doc = RuleDoc::from_source(self.source);
        RuleMeta {
            code: RuleCode::new(self.code).unwrap_or_else(|_| panic!("invalid code {}", self.code)),
            name: self.name.to_owned(),
            summary: self.summary.to_owned(),
            severity: self.severity,
            confidence: self.confidence,
            what_it_does: doc.what_it_does,
            why_bad: doc.why_bad,
            how_to_fix: doc.how_to_fix,
            example: doc.example,
            references: self.references.iter().map(|r| (*r).to_owned()).collect(),
            origin: "builtin".to_owned(),
        }
    }
}

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
        let Ok(code) = RuleCode::new(spec.code) else {
            return;
        };
        let mut builder = Finding::builder(code, spec.name)
            .severity(severity)
            .confidence(spec.confidence)
            .message(message)
            .fix(fix);
        if !span_is_secret {
            builder = builder.span_is_code();
        }
        if let Some(rank) = spec.overlap_rank {
            builder = builder.overlap_rank(rank);
        }
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
