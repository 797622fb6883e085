//! ## What it does
//! Reports a change to connections or variables in Airflow's audit log (the `log` table) by a
//! user outside `[watch] airflow-users` (or `--user`; globs): creation, edits, deletion, bulk
//! changes, imports, `rotate-fernet-key`, and Airflow 3.3's connection test that saves — from
//! the web UI and REST API of Airflow 2 (`connection.create`, `api.variable.edit`,
//! `variables.varimport`, ...), the API and UI of Airflow 3 (`post_connection`,
//! `bulk_variables`, ...) and the CLI of both (`cli_connections_add`, ...). For CLI rows the
//! owner is the operating-system account that ran `airflow`. Airflow 2 web UI rows written
//! when a form is only opened are not changes and are skipped. Without users configured the
//! detection is off.
//! ## Why is this bad?
//! Connections and variables hold Airflow's credentials. Only the deployment (and a few
//! administrators) should change them; a change by anyone else can point a DAG at another
//! database or replace a token. Airflow records who made each change, but nobody reads it.
//! Airflow does not log reads or exports at all, so changes are what there is to watch.
//! ## Example
//! ```json
//! {"id": 4711, "dttm": "2026-11-30 10:00:00+00:00", "event": "patch_connection",
//!  "owner": "intern", "extra": "{\"connection_id\": \"warehouse\", \"method\": \"PATCH\"}"}
//! ```
//! ## How to fix
//! If the user should make such changes, add them to `[watch] airflow-users`. Otherwise check
//! the change with them, restore the connection or variable from the secrets backend, and
//! narrow Airflow's roles (`Op` and `Admin` may edit connections; `Viewer` and `User` may not).

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::Alert;
use crate::airflow_log::{LogChange, LogPolicy};

pub const RULE: StaticRule = StaticRule {
    code: "AUD101",
    name: "change-by-unexpected-user",
    summary: "Connection or variable changed by a user outside the allowed Airflow users",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &["https://airflow.apache.org/docs/apache-airflow/stable/security/audit_logs.html"],
    source: include_str!("aud101_change_by_unexpected_user.rs"),
};

pub fn check(change: &LogChange<'_>, policy: &LogPolicy) -> Option<Alert> {
    if policy.allows(change.owner())? {
        return None;
    }
    Some(change.alert(
        &RULE,
        RULE.severity,
        format!(
            "{} {} through the {} (`{}`) by `{}`, who is not one of the allowed Airflow users",
            change.what(),
            change.change.action.name(),
            change.change.surface.name(),
            change.row.event,
            change.owner()
        ),
    ))
}
