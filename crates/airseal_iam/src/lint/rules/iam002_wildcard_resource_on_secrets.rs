//! ## What it does
//! Finds an `Allow` of a secrets action (Secrets Manager, Parameter Store reads, `kms:Decrypt`)
//! on `Resource: "*"` or on every secret of the account (`...:secret:*`, `...:parameter/*`).
//! ## Why is this bad?
//! Airflow reads only the secrets under its configured prefixes. `*` lets a compromised worker
//! read every other application's secrets in the account and region — database masters, CI
//! tokens, other teams' keys.
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
//! ```
//! ## How to fix
//! Name the prefixes from `backend_kwargs` (`arn:aws:secretsmanager:<region>:<account>:secret:
//! airflow/connections/*`); `airseal iam policy` prints them.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::rules::touches_secrets;
use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM002",
    name: "wildcard-resource-on-secrets",
    summary: "IAM policy allows a secrets action on every resource",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html",
    ],
    source: include_str!("iam002_wildcard_resource_on_secrets.rs"),
};

fn everything(resource: &str) -> bool {
    resource == "*"
        || resource.ends_with(":secret:*")
        || resource.ends_with(":parameter/*")
        || resource.ends_with(":key/*")
}

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    for statement in statements.iter().filter(|s| s.allow) {
        if !statement.actions.iter().any(|(a, _)| touches_secrets(a)) {
            continue;
        }
        for (resource, span) in &statement.resources {
            if everything(resource) {
                reports.push((
                    &RULE,
                    span.clone(),
                    format!("secrets actions are allowed on `{resource}`, every secret of the account"),
                    "Restrict `Resource` to the backend's prefixes (`...:secret:airflow/connections/*`); `airseal iam policy` prints them.".to_owned(),
                ));
            }
        }
    }
}
