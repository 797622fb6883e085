//! ## What it does
//! In a policy that grants Airflow's read (`secretsmanager:GetSecretValue` or
//! `ssm:GetParameter`), finds allowed actions Airflow's secrets backends never call: listing
//! (`ListSecrets`, `DescribeParameters`, `GetParametersByPath`) and anything that writes
//! (`PutSecretValue`, `CreateSecret`, `DeleteSecret`, `UpdateSecret`, `PutResourcePolicy`,
//! `TagResource`, `ssm:PutParameter`, `ssm:DeleteParameter`, ...).
//! ## Why is this bad?
//! A reader role with list and write rights turns one leaked worker credential into
//! enumeration of every secret name and the power to replace a connection's password with an
//! attacker's (the next task run then sends data to them). `ListSecrets` followed by bulk reads
//! is exactly the pattern `airseal watch` looks for.
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:ListSecrets", "secretsmanager:PutSecretValue"], "Resource": "..."}
//! ```
//! ## How to fix
//! Keep the read action only; give writing (migration, rotation) to a separate deployment or
//! rotation role that Airflow's workers cannot assume.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM003",
    name: "action-airflow-never-calls",
    summary: "Reader policy also allows listing or writing secrets, which Airflow never does",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow-providers-amazon/stable/secrets-backends/aws-secrets-manager.html",
    ],
    source: include_str!("iam003_action_airflow_never_calls.rs"),
};

const READS: &[&str] = &["secretsmanager:getsecretvalue", "ssm:getparameter"];
const NEVER_PREFIXES: &[&str] = &[
    "secretsmanager:list",
    "secretsmanager:put",
    "secretsmanager:create",
    "secretsmanager:delete",
    "secretsmanager:update",
    "secretsmanager:tag",
    "secretsmanager:untag",
    "secretsmanager:restore",
    "secretsmanager:rotate",
    "secretsmanager:cancelrotate",
    "secretsmanager:replicate",
    "secretsmanager:removeregions",
    "secretsmanager:stopreplication",
    "ssm:putparameter",
    "ssm:deleteparameter",
    "ssm:describeparameters",
    "ssm:getparametersbypath",
    "ssm:labelparameterversion",
];

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    let reader = statements
        .iter()
        .filter(|s| s.allow)
        .flat_map(|s| &s.actions)
        .any(|(a, _)| READS.contains(&a.to_ascii_lowercase().as_str()));
    if !reader {
        return;
    }
    for statement in statements.iter().filter(|s| s.allow) {
        for (action, span) in &statement.actions {
            let lower = action.to_ascii_lowercase();
            if NEVER_PREFIXES.iter().any(|p| lower.starts_with(p)) {
                reports.push((
                    &RULE,
                    span.clone(),
                    format!("`{action}` is allowed, but Airflow's secrets backends only read"),
                    "Remove it from the reader role; give listing and writing to a separate deployment or rotation role.".to_owned(),
                ));
            }
        }
    }
}
