//! ## What it does
//! Finds `Connection(...)` objects built in DAG code (`airflow.models.Connection`,
//! `airflow.sdk.Connection`) that carry a secret: a `password=` (a constant, or a value read
//! from anywhere), a `uri=` with `user:password@`, or an `extra=` with a sensitive key
//! (`token`, `key_path` is fine, `private_key` is not).
//! ## Why is this bad?
//! A connection built in a DAG file bypasses the secrets backend: its password is in the
//! repository (or in whatever the code read it from), it is created on every parse by the
//! scheduler or DAG processor, it is not masked unless Airflow happens to see it through a
//! lookup, and it cannot be rotated or audited where Airflow's other secrets are. Code that then
//! calls `session.add(conn)` writes the plain-text password into the metadata database.
//! ## Example
//! ```python
//! warehouse = Connection(
//!     conn_id="warehouse",
//!     conn_type="postgres",
//!     host="warehouse.internal",
//!     login="etl",
//!     password="Tr0ub4dor&3",
//! )
//! ```
//! ## How to fix
//! Create the connection once in the secrets backend under the name Airflow looks up
//! (`airflow/connections/warehouse` with the AWS Secrets Manager backend's default prefix, or
//! `AIRFLOW_CONN_WAREHOUSE` in the environment; `airseal migrate` does this), delete the
//! `Connection(...)` from the DAG, and pass the id to the operator (`postgres_conn_id=
//! "warehouse"`) or read it in the task with `BaseHook.get_connection("warehouse")`.

use ruff_python_ast::{Expr, ExprCall};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, SecretSource, expr_span};
use crate::names::is_sensitive_name;
use crate::registry::RuleSpec;
use crate::rules::{argument, connection_locations};
use crate::semantic;
use crate::strings::{ValueKind, classify_value, static_string};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG003",
    name: "connection-in-code",
    summary: "Connection with a secret built in DAG code instead of read from the secrets backend",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(50),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html",
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/secrets-backend/index.html",
    ],
    source: include_str!("dag003_connection_in_code.rs"),
};

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    if !semantic::is_connection_constructor(&checker.imports, call) {
        return;
    }
    let conn_id = argument(call, 0, "conn_id").and_then(static_string);
    let id_text = conn_id.as_deref().unwrap_or("<conn_id>");
    let fix = format!(
        "Store connection `{id_text}` in the secrets backend ({}), delete this `Connection(...)`, and pass `conn_id` to the operator or read it in the task with `BaseHook.get_connection(\"{id_text}\")`.",
        connection_locations(id_text)
    );
    let label = conn_id.as_deref().map_or_else(
        || "A connection".to_owned(),
        |id| format!("Connection `{id}`"),
    );
    // Connection(conn_id, conn_type, description, host, login, password, schema, port, extra, uri)
    if let Some(password) = argument(call, 5, "password") {
        match static_string(password) {
            Some(value) if classify_value(&value) == ValueKind::Credential => {
                checker.report(
                    &RULE,
                    expr_span(password),
                    format!("{label} is built in DAG code with a hardcoded password"),
                    fix.clone(),
                    true,
                );
            }
            // A password from the environment or a Variable; a plain parameter (a CLI building
            // a connection from its arguments) is not a DAG's doing.
            None if checker.secret_source(password).is_some_and(|(source, _)| {
                matches!(
                    source,
                    SecretSource::Environment { .. } | SecretSource::Variable { .. }
                )
            }) =>
            {
                let what = checker
                    .secret_source(password)
                    .map(|(source, _)| source.describe())
                    .unwrap_or_default();
                checker.report(
                    &RULE,
                    expr_span(password),
                    format!("{label} is built in DAG code with a password from {what}"),
                    fix.clone(),
                    false,
                );
            }
            _ => {}
        }
    }
    if let Some(uri) = argument(call, 9, "uri")
        && let Some(value) = static_string(uri)
        && let Some(parsed) = crate::rules::dag004_credentials_in_uri::credential_uri(&value)
        && classify_value(parsed.password) == ValueKind::Credential
    {
        checker.report(
            &RULE,
            expr_span(uri),
            format!("{label} is built in DAG code from a URI with a password"),
            fix.clone(),
            true,
        );
    }
    if let Some(Expr::Dict(extra)) = argument(call, 8, "extra") {
        for item in &extra.items {
            let Some(key) = item.key.as_ref().and_then(static_string) else {
                continue;
            };
            let secret = static_string(&item.value)
                .is_some_and(|v| classify_value(&v) == ValueKind::Credential);
            if secret && is_sensitive_name(&key) {
                checker.report(
                    &RULE,
                    expr_span(&item.value),
                    format!("{label} is built in DAG code with the secret extra `{key}`"),
                    fix.clone(),
                    true,
                );
            }
        }
    }
}
