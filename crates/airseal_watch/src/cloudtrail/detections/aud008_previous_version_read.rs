//! ## What it does
//! Reports a successful `GetSecretValue` of one of Airflow's secrets with
//! `versionStage: AWSPREVIOUS` by a principal outside `[watch] writers` (a rotation may read
//! the previous version to recover; nothing else needs it).
//! ## Why is this bad?
//! Airflow's backend always reads `AWSCURRENT`. The previous version holds the credential that
//! was just rotated away — which, with alternating users, still works until the next rotation.
//! Reading it is how someone replays an old credential after being cut off from the new one.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
//!  "requestParameters": {"secretId": "airflow/connections/warehouse", "versionStage": "AWSPREVIOUS"}}
//! ```
//! ## How to fix
//! Find out why the principal needed the old version. If in doubt, rotate again (the previous
//! version then holds the credential that was current a moment ago, and the older one stops
//! working) and narrow `secretsmanager:GetSecretValue` with a
//! `secretsmanager:VersionStage` condition of `AWSCURRENT` for Airflow's readers.

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::event::Service;
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD008",
    name: "previous-version-read",
    summary: "An old version (AWSPREVIOUS) of an Airflow secret read",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-condition-keys.html",
    ],
    source: include_str!("aud008_previous_version_read.rs"),
};

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if call.service != Service::SecretsManager
        || call.name != "GetSecretValue"
        || call.failed()
        || call.secrets.is_empty()
        || call.params.version_stage.as_deref() != Some("AWSPREVIOUS")
        || scope.writers.contains(&call.principal)
    {
        return None;
    }
    Some(call.alert(
        &RULE,
        RULE.severity,
        format!(
            "`{}` read the previous version (AWSPREVIOUS) of {}",
            call.principal.display(),
            call.secrets_text()
        ),
    ))
}
