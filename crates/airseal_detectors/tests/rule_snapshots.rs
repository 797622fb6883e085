//! A snapshot per rule file: every example of every rule, run through the full built-in set (so
//! specific-versus-generic precedence is visible), with the codes that fire and the redacted
//! secrets. A change in what a rule finds shows up as a snapshot diff in review.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use airseal_detectors::{DetectorSet, builtin_rule_files, builtin_rules};
use airseal_finding::redact;

#[test]
fn examples_of_every_rule_file() {
    let set = DetectorSet::new(builtin_rules().unwrap()).unwrap();
    for (file, _) in builtin_rule_files() {
        let origin = format!("builtin:{file}");
        let mut lines = Vec::new();
        for rule in set.rules().iter().filter(|r| {
            // Rules record their origin as "builtin"; the file is known from the code's YAML.
            r.meta.origin == "builtin" && rule_file_of(r.meta.code.as_str()) == *file
        }) {
            for (i, example) in rule.examples.iter().enumerate() {
                let found: Vec<String> = set
                    .detect(example.as_bytes())
                    .iter()
                    .map(|d| {
                        format!(
                            "{}@{} {}",
                            set.rules()[d.rule].meta.code,
                            d.secret.start,
                            redact(&example.as_bytes()[d.secret.clone()])
                        )
                    })
                    .collect();
                lines.push(format!(
                    "{} example {}: {}",
                    rule.meta.code,
                    i + 1,
                    found.join(", ")
                ));
            }
        }
        insta::assert_snapshot!(file.trim_end_matches(".yml"), lines.join("\n"), &origin);
    }
}

/// Which built-in file defines `code` (codes are unique across files).
fn rule_file_of(code: &str) -> &'static str {
    builtin_rule_files()
        .iter()
        .find(|(_, text)| {
            text.lines()
                .any(|l| l.trim_start().trim_start_matches("- ").trim() == format!("id: {code}"))
        })
        .map_or("", |(name, _)| name)
}
