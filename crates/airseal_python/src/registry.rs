//! The registry of `DAG###` rules: one [`RuleSpec`] per file in `rules/`, whose `//!` doc comment
//! (What it does / Why is this bad? / Example / How to fix) is the rule's user documentation.

use airseal_finding::StaticRule;

use crate::rules;

/// A rule's fixed facts; the documentation is the rule file's own doc comment.
pub type RuleSpec = StaticRule;

/// Every rule, in code order. Codes are stable: a retired rule's code is never reused.
pub const RULES: &[&RuleSpec] = &[
    &rules::dag001_hardcoded_secret_argument::RULE,
    &rules::dag002_hardcoded_secret_assignment::RULE,
    &rules::dag003_connection_in_code::RULE,
    &rules::dag004_credentials_in_uri::RULE,
    &rules::dag005_secret_from_environment::RULE,
    &rules::dag006_variable_get_at_parse_time::RULE,
    &rules::dag007_secret_in_template::RULE,
    &rules::dag008_variable_name_not_masked::RULE,
    &rules::dag009_secret_logged::RULE,
    &rules::dag010_secret_in_task_environment::RULE,
    &rules::dag011_cloud_client_literal_keys::RULE,
    &rules::dag900_syntax_error::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_fully_documented_and_codes_are_unique_and_sorted() {
        let mut previous = "";
        for rule in RULES {
            let meta = rule.meta();
            assert!(rule.code > previous, "{} out of order", rule.code);
            previous = rule.code;
            assert!(rule.code.starts_with("DAG"));
            for (section, text) in [
                ("What it does", &meta.what_it_does),
                ("Why is this bad?", &meta.why_bad),
                ("Example", &meta.example),
                ("How to fix", &meta.how_to_fix),
            ] {
                assert!(!text.is_empty(), "{} lacks `{section}`", rule.code);
            }
        }
    }
}
