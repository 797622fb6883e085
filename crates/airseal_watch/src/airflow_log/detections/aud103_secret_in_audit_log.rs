//! ## What it does
//! Reports a row of Airflow's audit log whose `extra` holds a secret in clear, and says which:
//! - CLI rows (`extra.full_command`, the `airflow` command line): a password in a
//!   `--conn-uri` (Airflow before 2.11 never masks it; no version masks `--conn-uri=...`), a
//!   sensitive query parameter in the URI, sensitive keys in `--conn-extra` (never masked) or
//!   in the `extra` of `--conn-json`, an unmasked `--conn-password`, and the value of
//!   `variables set` under a sensitive key (masked from 2.10 only when the value is the last
//!   argument);
//! - API and UI rows (request bodies): a sensitive field or `extra` key in clear, the value of
//!   a Variable under a sensitive key — which `bulk_variables` (the Airflow 3 UI's variable
//!   import) logs in clear before 3.3.1.
//!
//! "Sensitive" is Airflow's own list (`password`, `secret`, `token`, `api_key`, `private_key`,
//! `passphrase`, `authorization`, ...), matched within the key as Airflow's masker does.
//! ## Why is this bad?
//! The `log` table is readable by every user with the audit-log permission, exported to
//! SIEMs and kept for years; a secret written there has leaked, whatever the secrets backend
//! protects. Airflow's masking of command lines and request bodies has gaps that differ by
//! version (docs/notes/airflow-log-events.md).
//! ## Example
//! ```json
//! {"event": "cli_connections_add", "owner": "ops",
//!  "extra": "{\"full_command\": \"['airflow', 'connections', 'add', 'warehouse', '--conn-extra', '{\\\"token\\\": \\\"T0K\\\"}']\"}"}
//! ```
//! ## How to fix
//! Rotate the secret (`airseal rotate run` for database connections). Delete or redact the
//! row (`DELETE FROM log WHERE id = ...`; `airflow db clean` removes old rows). Add
//! connections from a file (`airflow connections import`) or through the secrets backend
//! (`airseal migrate`) instead of on the command line, and upgrade to an Airflow that masks
//! the argument.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::Alert;
use crate::airflow_log::leaks::{body_leaks, command_line_leaks};
use crate::airflow_log::{LogChange, LogPolicy};

pub const RULE: StaticRule = StaticRule {
    code: "AUD103",
    name: "secret-in-audit-log",
    summary: "A secret written in clear into Airflow's audit log (a command line or request body)",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/mask-sensitive-values.html",
    ],
    source: include_str!("aud103_secret_in_audit_log.rs"),
};

pub fn check(change: &LogChange<'_>, _policy: &LogPolicy) -> Option<Alert> {
    let leaks = match (&change.argv, &change.body) {
        (Some(argv), _) => command_line_leaks(argv),
        (None, Some(body)) => body_leaks(body),
        _ => return None,
    };
    if leaks.is_empty() {
        return None;
    }
    let place = if change.argv.is_some() {
        "command line"
    } else {
        "request body"
    };
    Some(change.alert(
        &RULE,
        RULE.severity,
        format!(
            "`{}` ({} by `{}`) wrote into the audit log's {place} in clear: {}",
            change.row.event,
            change.what(),
            change.owner(),
            leaks.join(", ")
        ),
    ))
}
