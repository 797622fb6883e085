use std::fmt;

use crate::{DetectorSet, Rule};

/// A rule whose own examples disagree with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    pub code: String,
    pub origin: String,
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.origin, self.message)
    }
}

/// Runs every rule, alone, over its `examples` (each must be found) and `negative_examples`
/// (none may be found). Rules run through the same prefilter and windows as in a scan, so a
/// keyword that cannot reach the match is caught here.
pub fn check_rules(rules: &[Rule]) -> Vec<RuleProblem> {
    let mut problems = Vec::new();
    for rule in rules {
        let problem = |message: String| RuleProblem {
            code: rule.meta.code.to_string(),
            origin: rule.meta.origin.clone(),
            message,
        };
        let single = match DetectorSet::new(vec![rule.clone()]) {
            Ok(set) => set,
            Err(error) => {
                problems.push(problem(error.to_string()));
                continue;
            }
        };
        for (i, example) in rule.examples.iter().enumerate() {
            if single.detect(example.as_bytes()).is_empty() {
                problems.push(problem(format!(
                    "example {} is not detected: {}",
                    i + 1,
                    shorten(example)
                )));
            }
        }
        for (i, negative) in rule.negative_examples.iter().enumerate() {
            if !single.detect(negative.as_bytes()).is_empty() {
                problems.push(problem(format!(
                    "negative example {} is detected: {}",
                    i + 1,
                    shorten(negative)
                )));
            }
        }
    }
    problems
}

fn shorten(text: &str) -> String {
    let one_line = text.replace('\n', "\\n");
    if one_line.chars().count() > 100 {
        let cut: String = one_line.chars().take(100).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}
