//! ## What it does
//! Reports a successful write to one of Airflow's secrets or parameters — a new value
//! (`PutSecretValue`, `UpdateSecret`, `PutParameter`), a moved staging label
//! (`UpdateSecretVersionStage`, `LabelParameterVersion`), creation, restoration, deletion,
//! rotation or tag changes — by a principal outside `[watch] writers` (the deployment and
//! rotation roles; `airseal migrate` and `airseal rotate` run as one of them). Secrets
//! Manager acting on its own (`AWSService`, e.g. replication) is not reported. Without any
//! writer configured the detection is off.
//! ## Why is this bad?
//! Whoever can write a connection can point Airflow at a database of their choosing, or
//! replace a password with one they know, and every task that uses the connection follows. A
//! write by someone other than the deployment or the rotation is an out-of-band change at
//! best, and at worst a way to capture the data Airflow moves.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "PutSecretValue",
//!  "userIdentity": {"arn": "arn:aws:iam::123456789012:user/bob"},
//!  "requestParameters": {"secretId": "airflow/connections/warehouse", "clientRequestToken": "..."}}
//! ```
//! ## How to fix
//! If the principal is a legitimate writer, add it to `[watch] writers`. Otherwise compare the
//! secret's versions (`aws secretsmanager list-secret-version-ids`), move `AWSCURRENT` back to
//! the last good one, and restrict writes to the deployment role.

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD007",
    name: "unexpected-writer",
    summary: "Airflow's secrets written by a principal outside the deployment and rotation roles",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-cloudtrail.html",
    ],
    source: include_str!("aud007_unexpected_writer.rs"),
};

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if scope.writers.is_empty()
        || call.failed()
        || call.service_event
        || call.principal.is_service()
        || !call.is_write()
        || call.secrets.is_empty()
    {
        return None;
    }
    if scope.writers.contains(&call.principal) {
        return None;
    }
    Some(call.alert(
        &RULE,
        RULE.severity,
        format!(
            "`{}` wrote {} ({}), and is not one of Airflow's writers",
            call.principal.display(),
            call.secrets_text(),
            call.action()
        ),
    ))
}
