//! ## What it does
//! Finds an `Allow` statement written with `NotAction` or `NotResource`.
//! ## Why is this bad?
//! "Allow everything except ..." grants every action (or resource) AWS adds in future as well,
//! and in practice far more than the one read Airflow needs; it is almost never least
//! privilege.
//! ## Example
//! ```json
//! {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
//! ```
//! ## How to fix
//! List the allowed actions and resources explicitly: `airseal iam policy` prints Airflow's.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM005",
    name: "allow-with-not-action",
    summary: "`Allow` with `NotAction` or `NotResource`",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
    ],
    source: include_str!("iam005_allow_with_not_action.rs"),
};

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    for statement in statements.iter().filter(|s| s.allow) {
        let element = if statement.has_not_action {
            "NotAction"
        } else if statement.has_not_resource {
            "NotResource"
        } else {
            continue;
        };
        reports.push((
            &RULE,
            statement.span.clone(),
            format!("an `Allow` with `{element}` grants everything it does not exclude"),
            "List the allowed actions and resources explicitly; `airseal iam policy` prints Airflow's reader policy.".to_owned(),
        ));
    }
}
