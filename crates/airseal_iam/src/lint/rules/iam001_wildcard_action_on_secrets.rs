//! ## What it does
//! Finds an `Allow` of `*`, `secretsmanager:*`, `ssm:*` or `kms:*` in an IAM policy.
//! ## Why is this bad?
//! Airflow's reader role needs one action (`secretsmanager:GetSecretValue` or
//! `ssm:GetParameter`). A wildcard also grants writing, deleting, re-encrypting and changing
//! the resource policy of the secrets: whoever gets a worker's credentials can replace a
//! connection's password with their own or delete the lot.
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/*"}
//! ```
//! ## How to fix
//! Grant only the read action on exactly the backend's prefixes: `airseal iam policy` prints
//! that policy.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM001",
    name: "wildcard-action-on-secrets",
    summary: "IAM policy allows `*`, `secretsmanager:*`, `ssm:*` or `kms:*`",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html",
    ],
    source: include_str!("iam001_wildcard_action_on_secrets.rs"),
};

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    for statement in statements.iter().filter(|s| s.allow) {
        for (action, span) in &statement.actions {
            if matches!(
                action.to_ascii_lowercase().as_str(),
                "*" | "secretsmanager:*" | "ssm:*" | "kms:*"
            ) {
                reports.push((
                    &RULE,
                    span.clone(),
                    format!("`{action}` grants every action, not only the read Airflow needs"),
                    "Allow only `secretsmanager:GetSecretValue` (or `ssm:GetParameter`) on the backend's prefixes; `airseal iam policy` prints the policy.".to_owned(),
                ));
            }
        }
    }
}
