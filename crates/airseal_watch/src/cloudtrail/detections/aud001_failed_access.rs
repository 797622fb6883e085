//! ## What it does
//! Reports a failed Secrets Manager, SSM Parameter Store or KMS call (a record with an
//! `errorCode`) on one of Airflow's secrets or parameters (a name under the deployment's
//! prefixes) or on a KMS key that encrypts them (`[watch] kms-keys`, or a `Decrypt` whose
//! encryption context names an Airflow secret). Denials (`AccessDenied*`,
//! `UnauthorizedOperation`, KMS `InvalidCiphertextException`, ...) are **high** when the caller
//! is not one of Airflow's principals and **medium** when it is (a broken policy rather than
//! an intruder); throttling is **low**. A `ResourceNotFoundException` / `ParameterNotFound`
//! from one of Airflow's readers is not reported, nor from anyone when no readers are
//! configured: Airflow asks the secrets backend first for every connection and variable, so a
//! miss is what a lookup of an id kept elsewhere (environment, metadata database) looks like.
//! ## Why is this bad?
//! Failed reads of credentials are the first trace of someone probing for them: a stolen
//! workload identity trying ids, a console user without the right to read Airflow's
//! secrets, or a key policy that blocks decryption. The seed audit asks for alarms on failed
//! access to secrets. A broken reader policy fails Airflow tasks too, long before anyone reads
//! the task logs.
//! ## Example
//! ```json
//! {"eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
//!  "errorCode": "AccessDenied",
//!  "userIdentity": {"arn": "arn:aws:iam::123456789012:user/mallory"},
//!  "requestParameters": {"secretId": "airflow/connections/warehouse"}}
//! ```
//! ## How to fix
//! Find the principal in the alert. If it is Airflow's, fix its policy (`airseal iam lint`
//! checks it against the backend's prefixes) and add its role to `[watch] readers`. If it is
//! not, treat its credentials as compromised: revoke its sessions, rotate what it could reach.

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD001",
    name: "failed-access",
    summary: "Failed call on Airflow's secrets, parameters or their KMS key",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-cloudtrail.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html",
    ],
    source: include_str!("aud001_failed_access.rs"),
};

/// A lookup of an id the backend does not hold: how Airflow's backend lookup order works.
fn is_lookup_miss(error: &str) -> bool {
    matches!(
        error,
        "ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound"
    )
}

fn is_throttling(error: &str) -> bool {
    matches!(
        error,
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded"
    )
}

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if !call.failed() || !call.in_scope() {
        return None;
    }
    let error = call.error.as_deref().unwrap_or_default();
    let airflows =
        scope.readers.contains(&call.principal) || scope.writers.contains(&call.principal);
    if is_lookup_miss(error) && (airflows || scope.readers.is_empty()) {
        return None;
    }
    let severity = if is_throttling(error) {
        Severity::Low
    } else if airflows {
        Severity::Medium
    } else {
        Severity::High
    };
    let who = if airflows {
        "one of Airflow's principals"
    } else {
        "not one of Airflow's principals"
    };
    Some(call.alert(
        &RULE,
        severity,
        format!(
            "{} on {} by `{}` ({who}) failed with {error}",
            call.action(),
            call.secrets_text(),
            call.principal.display(),
        ),
    ))
}
