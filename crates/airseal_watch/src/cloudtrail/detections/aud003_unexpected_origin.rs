//! ## What it does
//! Reports a successful read of one of Airflow's secrets or parameters whose origin is outside
//! the allowed sets in `[watch]`: a `sourceIPAddress` outside `source-networks` (CIDRs), an
//! `awsRegion` outside `regions`, or a `userAgent` matching none of `user-agents` (globs, such
//! as `*Boto3*`). Each set is checked only when configured; a `sourceIPAddress` that is a
//! service name (`secretsmanager.amazonaws.com`, `AWS Internal`) is not an address and passes.
//! Any principal counts, Airflow's included: a worker's credentials used from a laptop are
//! still Airflow's credentials.
//! ## Why is this bad?
//! Airflow runs in known networks and regions, through boto3. The same role's credentials
//! used from another address, region or tool usually means they were taken from the worker
//! (instance metadata, a pod's token, a leaked `AIRFLOW_CONN_AWS_DEFAULT`) and replayed
//! elsewhere — the technique Stratus Red Team calls credential theft from EC2.
//! ## Example
//! ```json
//! {"eventSource": "ssm.amazonaws.com", "eventName": "GetParameter",
//!  "sourceIPAddress": "203.0.113.50", "awsRegion": "eu-west-1",
//!  "requestParameters": {"name": "/airflow/connections/warehouse", "withDecryption": true}}
//! ```
//! ## How to fix
//! If the origin is legitimate (a new subnet, a new region), add it to `[watch]`. If not, revoke
//! the principal's sessions, rotate the secrets it read, and restrict reads to Airflow's
//! network with an `aws:SourceVpc` / `aws:SourceIp` condition on the secrets' resource policy.

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call};
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD003",
    name: "unexpected-origin",
    summary: "Airflow's secrets read from a network, region or user agent outside the allowed sets",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.ec2-steal-instance-credentials/",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html",
    ],
    source: include_str!("aud003_unexpected_origin.rs"),
};

pub fn check(call: &Call<'_>, scope: &Scope) -> Option<Alert> {
    if call.failed() || !call.is_read() || call.secrets.is_empty() {
        return None;
    }
    let problem = scope.origin_problem(
        call.source_ip.as_deref(),
        call.region.as_deref(),
        call.user_agent.as_deref(),
    )?;
    Some(call.alert(
        &RULE,
        RULE.severity,
        format!(
            "`{}` read {} ({}): {problem}",
            call.principal.display(),
            call.secrets_text(),
            call.action()
        ),
    ))
}
