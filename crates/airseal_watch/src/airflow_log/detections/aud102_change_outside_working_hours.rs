//! ## What it does
//! Reports a change to connections or variables in Airflow's audit log (the same changes as
//! AUD101) made outside `[watch] working-hours` (`08:00-18:00`, UTC) on `working-days`
//! (default `mon-fri`), or `--working-hours` / `--working-days`. A window that ends before it
//! starts (`22:00-06:00`) spans midnight. Without working hours configured the detection is
//! off.
//! ## Why is this bad?
//! Credential changes are planned work: a deployment, a rotation, a ticket. One at 03:00 on a
//! Sunday is either an incident being handled — worth knowing about — or someone using an
//! account while its owner sleeps.
//! ## Example
//! ```json
//! {"id": 4712, "dttm": "2026-11-29 03:12:00+00:00", "event": "cli_variables_set",
//!  "owner": "airflow", "extra": "{\"host_name\": \"worker-1\", \"full_command\": \"['airflow', 'variables', 'set', 'api_token', '********']\"}"}
//! ```
//! ## How to fix
//! Check the change with its owner. Run scheduled changes (rotation) as an allowed user and
//! inside the window, or widen the window to what your team works.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::Alert;
use crate::airflow_log::{LogChange, LogPolicy};

pub const RULE: StaticRule = StaticRule {
    code: "AUD102",
    name: "change-outside-working-hours",
    summary: "Connection or variable changed outside working hours",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &["https://airflow.apache.org/docs/apache-airflow/stable/security/audit_logs.html"],
    source: include_str!("aud102_change_outside_working_hours.rs"),
};

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub fn check(change: &LogChange<'_>, policy: &LogPolicy) -> Option<Alert> {
    let (_, weekday, minute) = change.when?;
    if !policy.outside_hours(weekday, minute)? {
        return None;
    }
    Some(change.alert(
        &RULE,
        RULE.severity,
        format!(
            "{} {} by `{}` at {:02}:{:02} UTC on a {}, outside working hours (`{}`)",
            change.what(),
            change.change.action.name(),
            change.owner(),
            minute / 60,
            minute % 60,
            DAY_NAMES[weekday as usize % 7],
            change.row.event
        ),
    ))
}
