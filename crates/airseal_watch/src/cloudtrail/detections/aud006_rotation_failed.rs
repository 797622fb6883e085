//! ## What it does
//! Reports Secrets Manager's own rotation events `RotationFailed` and `RotationAbandoned`
//! (`eventType: AwsServiceEvent`) on one of Airflow's secrets. (A rotation that never
//! finishes shows in `airseal rotate status`, as due or overdue.)
//! ## Why is this bad?
//! A failed rotation leaves `AWSPENDING` on a version whose password may or may not be set in
//! the database; an abandoned one means the Lambda gave up. Either way the credential is older
//! than its policy allows, and the next rotation may fail the same way. Airflow keeps using
//! `AWSCURRENT`, so nothing else tells anyone.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "RotationFailed",
//!  "eventType": "AwsServiceEvent",
//!  "additionalEventData": {"SecretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/connections/warehouse-AbC123"}}
//! ```
//! ## How to fix
//! Read the rotation Lambda's logs, fix it, and rotate again (`aws secretsmanager rotate-secret`),
//! or let airseal rotate the connection without a Lambda (`airseal rotate run`, which resumes
//! a staged version safely).

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::event::Service;
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD006",
    name: "rotation-failed",
    summary: "Secrets Manager rotation of an Airflow secret failed or was abandoned",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot_rotation.html",
    ],
    source: include_str!("aud006_rotation_failed.rs"),
};

pub fn check(call: &Call<'_>, _scope: &Scope) -> Option<Alert> {
    if call.service != Service::SecretsManager || call.secrets.is_empty() {
        return None;
    }
    let what = match call.name.as_ref() {
        "RotationFailed" => "failed",
        "RotationAbandoned" => "was abandoned",
        _ => return None,
    };
    Some(call.alert(
        &RULE,
        RULE.severity,
        format!("the rotation of {} {what}", call.secrets_text()),
    ))
}
