//! ## What it does
//! Finds DAG code that reads a secret from an environment variable whose name says it is one:
//! `os.environ["DB_PASSWORD"]`, `os.environ.get("API_TOKEN")`, `os.getenv("CLIENT_SECRET")`,
//! also through `from os import environ, getenv` and aliases.
//! ## Why is this bad?
//! Environment secrets bypass everything Airflow does for secrets: they are not masked in task
//! logs, not rotated, not audited, and readable by every process in the worker (and, on
//! Kubernetes, by anyone who can read the pod spec). Read at module level, the scheduler and DAG
//! processor need the secret too. A DAG that reads `os.environ` directly also silently breaks
//! when it runs where the variable is not set.
//! ## Example
//! ```python
//! import os
//! DB_PASSWORD = os.environ["DB_PASSWORD"]
//! ```
//! ## How to fix
//! Keep the secret in the secrets backend as a connection (the hook reads it:
//! `PostgresHook(postgres_conn_id="warehouse")`) or as a Variable with a sensitive name, read
//! inside the task. If the environment is how the deployment delivers it, name it the way
//! Airflow reads it (`AIRFLOW_CONN_WAREHOUSE`, `AIRFLOW_VAR_WAREHOUSE_PASSWORD`) and use
//! `BaseHook.get_connection` / `Variable.get`: Airflow then masks it.

use ruff_python_ast::{ExprCall, ExprContext, ExprSubscript};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, node_span};
use crate::names::is_sensitive_name;
use crate::registry::RuleSpec;
use crate::semantic;
use crate::strings::static_string;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG005",
    name: "secret-from-environment",
    summary: "Secret read from an environment variable in DAG code",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    overlap_rank: Some(30),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html#storing-connections-in-environment-variables",
    ],
    source: include_str!("dag005_secret_from_environment.rs"),
};

fn report(checker: &mut Checker<'_>, name: &str, span: std::ops::Range<usize>) {
    let when = if checker.at_parse_time() {
        " at parse time (the scheduler and DAG processor need it too)"
    } else {
        ""
    };
    let fix = if let Some(id) = name.strip_prefix("AIRFLOW_CONN_") {
        format!(
            "Let Airflow read it: `BaseHook.get_connection(\"{}\")` (or the operator's `*_conn_id`), which also masks the password.",
            id.to_ascii_lowercase()
        )
    } else if let Some(key) = name.strip_prefix("AIRFLOW_VAR_") {
        format!(
            "Let Airflow read it: `Variable.get(\"{}\")` inside the task, which also masks it.",
            key.to_ascii_lowercase()
        )
    } else {
        format!(
            "Keep `{name}` in the secrets backend as a connection (read by the hook through `*_conn_id`) or a Variable with a sensitive name, read inside the task; Airflow masks those, not environment variables."
        )
    };
    checker.report(
        &RULE,
        span,
        format!("Secret read from environment variable `{name}`{when}"),
        fix,
        false,
    );
}

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let Some(name) = semantic::env_read_name(&checker.imports, call).and_then(static_string) else {
        return;
    };
    if is_secret_env_name(&name) {
        report(checker, &name, node_span(call));
    }
}

pub fn check_subscript(checker: &mut Checker<'_>, subscript: &ExprSubscript) {
    if subscript.ctx != ExprContext::Load {
        return;
    }
    let Some(name) =
        semantic::env_subscript_name(&checker.imports, subscript).and_then(static_string)
    else {
        return;
    };
    if is_secret_env_name(&name) {
        report(checker, &name, node_span(subscript));
    }
}

/// Variables whose names say credential but which hold a path by convention.
const PATH_VARIABLES: &[&str] = &["GOOGLE_APPLICATION_CREDENTIALS"];

/// A secret-like name, or `AIRFLOW_CONN_*` (a whole connection URI, password included).
fn is_secret_env_name(name: &str) -> bool {
    (is_sensitive_name(name) && !PATH_VARIABLES.contains(&name))
        || name.starts_with("AIRFLOW_CONN_")
}
