//! ## What it does
//! Reports a successful read of one of Airflow's secrets or parameters
//! (`secretsmanager:GetSecretValue`, `BatchGetSecretValue`, `ssm:GetParameter`,
//! `GetParameters`, `GetParametersByPath`, `GetParameterHistory`) by a principal that is
//! neither one of Airflow's readers (`[watch] readers`, `--principal`) nor one of its writers
//! (`[watch] writers`: the deployment and rotation roles, which read what they change). A role
//! ARN matches its sessions (`assumed-role/ROLE/...`); globs are allowed. Without any reader
//! configured the detection is off (`watch` says so): every read would be unexpected.
//! ## Why is this bad?
//! Airflow's secrets are read by a handful of workloads — workers, the scheduler, the API
//! server, the triggerer — under a few roles. A read by anyone else (a developer's console
//! session, another application's role, a CI job) is either a policy far wider than Airflow
//! needs or someone collecting credentials. GuardDuty flags only reads it finds anomalous;
//! this one knows which principals are Airflow's.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
//!  "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42"},
//!  "requestParameters": {"secretId": "airflow/connections/warehouse"}}
//! ```
//! ## How to fix
//! If the principal should read Airflow's secrets, add it to `[watch] readers`. Otherwise narrow
//! the policies that let it (resource policies on the secrets, `airseal iam lint` on the
//! identity policies) and rotate the secrets it read (`airseal rotate run`).

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD002",
    name: "unexpected-reader",
    summary: "Airflow's secrets read by a principal outside Airflow's readers and writers",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-cloudtrail.html",
    ],
    source: include_str!("aud002_unexpected_reader.rs"),
};

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if scope.readers.is_empty() || call.failed() || !call.is_read() || call.secrets.is_empty() {
        return None;
    }
    if scope.readers.contains(&call.principal) || scope.writers.contains(&call.principal) {
        return None;
    }
    Some(call.alert(
        &RULE,
        RULE.severity,
        format!(
            "`{}` read {} ({}), and is not one of Airflow's readers",
            call.principal.display(),
            call.secrets_text(),
            call.action()
        ),
    ))
}
