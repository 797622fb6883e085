//! ## What it does
//! Reports a successful change that weakens the protection of Airflow's secrets:
//! - Secrets Manager on an Airflow secret: `PutResourcePolicy`, `DeleteResourcePolicy`,
//!   `DeleteSecret`, `RemoveRegionsFromReplication`, `StopReplicationToReplica`,
//!   `CancelRotateSecret`, and `UpdateSecret` with a `kmsKeyId` (re-encryption under another
//!   key, whose policy may be wider);
//! - SSM on an Airflow parameter: `DeleteParameter`, `DeleteParameters` (Parameter Store's
//!   `DeleteSecret`; no recovery window);
//! - KMS on a key in `[watch] kms-keys`: `ScheduleKeyDeletion`, `DisableKey`, `PutKeyPolicy`,
//!   `CreateGrant`, `DisableKeyRotation`.
//!
//! Deletions and key changes are **critical** when made by a principal outside
//! `[watch] writers`, **high** otherwise (still worth a second look: these are rare).
//! ## Why is this bad?
//! An attacker who wants the secrets for longer, or wants to hide, opens the resource policy to
//! another account, moves the secret to a key they control, cancels its rotation, or destroys
//! the key so nothing can be recovered. Deleting secrets breaks every DAG that uses them.
//! The seed audit asks for alarms on changes to secret policies.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "PutResourcePolicy",
//!  "requestParameters": {"secretId": "airflow/connections/warehouse",
//!    "resourcePolicy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\"}]}"}}
//! ```
//! ## How to fix
//! Check the change with whoever made it. Restore the policy or key from version control,
//! `RestoreSecret` a deleted secret within its recovery window, `CancelKeyDeletion` a key, and
//! protect them with an SCP that lets only the deployment role make these calls.

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::event::Service;
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD005",
    name: "protection-weakened",
    summary: "Resource policy, replication, rotation, deletion or KMS key of Airflow's secrets changed",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html",
        "https://docs.aws.amazon.com/kms/latest/developerguide/ct-schedule-key-deletion.html",
    ],
    source: include_str!("aud005_protection_weakened.rs"),
};

/// What the change does, when it is one of the weakening changes.
fn weakening(call: &Call<'_>) -> Option<&'static str> {
    match (call.service, call.name.as_ref()) {
        (Service::SecretsManager, "PutResourcePolicy") => Some("replaced the resource policy of"),
        (Service::SecretsManager, "DeleteResourcePolicy") => Some("deleted the resource policy of"),
        (Service::SecretsManager, "DeleteSecret") => Some("deleted"),
        (Service::SecretsManager, "RemoveRegionsFromReplication") => {
            Some("removed replica regions of")
        }
        (Service::SecretsManager, "StopReplicationToReplica") => Some("stopped replication of"),
        (Service::SecretsManager, "CancelRotateSecret") => Some("cancelled the rotation of"),
        (Service::SecretsManager, "UpdateSecret") if call.params.kms_key_id.is_some() => {
            Some("changed the KMS key of")
        }
        (Service::ParameterStore, "DeleteParameter" | "DeleteParameters") => Some("deleted"),
        (Service::Kms, "ScheduleKeyDeletion") => Some("scheduled the deletion of"),
        (Service::Kms, "DisableKey") => Some("disabled"),
        (Service::Kms, "PutKeyPolicy") => Some("replaced the key policy of"),
        (Service::Kms, "CreateGrant") => Some("granted use of"),
        (Service::Kms, "DisableKeyRotation") => Some("turned off key rotation of"),
        _ => None,
    }
}

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if call.failed() || call.service_event {
        return None;
    }
    let what = weakening(call)?;
    let target = if call.service == Service::Kms {
        if !call.key_in_scope {
            return None;
        }
        format!(
            "Airflow's KMS key `{}`",
            call.params.key_id.as_deref().unwrap_or("?")
        )
    } else {
        if call.secrets.is_empty() {
            return None;
        }
        call.secrets_text()
    };
    let severity = if scope.writers.contains(&call.principal) {
        Severity::High
    } else {
        Severity::Critical
    };
    Some(call.alert(
        &RULE,
        severity,
        format!(
            "`{}` {what} {target} ({})",
            call.principal.display(),
            call.action()
        ),
    ))
}
