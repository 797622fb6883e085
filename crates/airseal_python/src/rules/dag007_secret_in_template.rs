//! ## What it does
//! Finds Jinja expressions in DAG strings that render a secret into a task's templated field:
//! `{{ conn.<id>.password }}`, `{{ conn.<id>.get_password() }}`, `{{ conn.<id>.get_uri() }}`,
//! `{{ conn.<id>.extra_dejson.<sensitive key> }}`, `{{ var.value.<sensitive name> }}` and
//! `{{ var.json.<...>.<sensitive key> }}` — typically in a `bash_command`, an `sql`, a pod's
//! `arguments` or an HTTP `data`. Strings passed straight to a call that is not an operator
//! (`psycopg2.connect(password="{{ ... }}")`) are never rendered and are not reported.
//! ## Why is this bad?
//! Airflow stores every rendered templated field in the metadata database
//! (`rendered_task_instance_fields`) and shows it in the web UI's "Rendered Template" tab to
//! everyone who can see the DAG. The masker hides the exact registered value at best; a password
//! that was URL-encoded, quoted, base64-encoded or embedded in a URI is shown in clear. A
//! `bash_command` with the password also puts it in the process list (`ps`) of the worker.
//! ## Example
//! ```python
//! BashOperator(
//!     task_id="export",
//!     bash_command="PGPASSWORD='{{ conn.warehouse.password }}' psql -h {{ conn.warehouse.host }} ...",
//! )
//! ```
//! ## How to fix
//! Let a hook read the connection: use an operator with a `*_conn_id` argument
//! (`SQLExecuteQueryOperator(conn_id="warehouse", sql=...)`), or a `@task` that calls
//! `PostgresHook(postgres_conn_id="warehouse")`. If a subprocess needs the password, read it in
//! the task and pass it through the subprocess's environment, never through a templated field.

use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::Expr;

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::names::is_sensitive_name;
use crate::registry::RuleSpec;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG007",
    name: "secret-in-template",
    summary: "Secret rendered into a templated field through Jinja",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(30),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/templates-ref.html",
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/mask-sensitive-values.html",
    ],
    source: include_str!("dag007_secret_in_template.rs"),
};

/// A Jinja expression block.
pub static JINJA_BLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{-?(.*?)-?\}\}").ok());

/// `conn.<id>.<what>` inside a block.
static CONN_REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"\bconn\.([A-Za-z0-9_]+)\.(password|get_password\(\s*\)|get_uri\(\s*\)|extra_dejson(?:\.get\(\s*['"]([^'"]+)['"]|\.([A-Za-z0-9_]+)|\[\s*['"]([^'"]+)['"]\s*\]))"#,
    )
    .ok()
});

/// `var.value.<key>` / `var.value.get('<key>')` / `var.value['<key>']` / `var.json.<key>...`.
/// The `.get(` form comes first: as a plain attribute, `get` would be taken for the key.
pub static VAR_REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"\bvar\.(value|json)(?:\.get\(\s*['"]([^'"]+)['"]|\.([A-Za-z0-9_]+)|\[\s*['"]([^'"]+)['"]\s*\])((?:\.[A-Za-z0-9_]+|\[\s*['"][^'"]+['"]\s*\])*)"#,
    )
    .ok()
});

fn sensitive(name: &str) -> bool {
    is_sensitive_name(name)
}

pub fn check_string(checker: &mut Checker<'_>, expr: &Expr) {
    let range = expr_span(expr);
    let text = checker.text(range.clone());
    if !text.contains("{{") || checker.in_plain_call_arguments() {
        return;
    }
    let (Some(block_re), Some(conn_re), Some(var_re)) =
        (JINJA_BLOCK.as_ref(), CONN_REF.as_ref(), VAR_REF.as_ref())
    else {
        return;
    };
    for block in block_re.find_iter(text) {
        let inner = block.as_str();
        let span = range.start + block.start()..range.start + block.end();
        if let Some(c) = conn_re.captures(inner) {
            let conn_id = c.get(1).map_or("", |m| m.as_str());
            let what = c.get(2).map_or("", |m| m.as_str());
            let extra_key = c.get(3).or(c.get(4)).or(c.get(5)).map(|m| m.as_str());
            let secret = match extra_key {
                Some(key) => {
                    sensitive(key).then(|| format!("the extra `{key}` of connection `{conn_id}`"))
                }
                None if what.starts_with("get_uri") => Some(format!(
                    "the URI (with the password) of connection `{conn_id}`"
                )),
                None => Some(format!("the password of connection `{conn_id}`")),
            };
            if let Some(secret) = secret {
                checker.report(
                    &RULE,
                    span.clone(),
                    format!("Template renders {secret} into a templated field"),
                    format!(
                        "Let a hook read connection `{conn_id}` (an operator's `*_conn_id=\"{conn_id}\"`, or `BaseHook.get_connection(\"{conn_id}\")` in a `@task`); the rendered field is stored in the database and shown in the UI."
                    ),
                    false,
                );
            }
            continue;
        }
        if let Some(c) = var_re.captures(inner) {
            let key = c
                .get(2)
                .or(c.get(3))
                .or(c.get(4))
                .map_or("", |m| m.as_str());
            let path = c.get(5).map_or("", |m| m.as_str());
            let last = path
                .rsplit(['.', '[', '\'', '"', ']'])
                .find(|s| !s.trim().is_empty())
                .unwrap_or("");
            if sensitive(key) || (!last.is_empty() && sensitive(last)) {
                checker.report(
                    &RULE,
                    span.clone(),
                    format!("Template renders Variable `{key}` (a secret) into a templated field"),
                    format!(
                        "Read `Variable.get(\"{key}\")` inside the task and hand it to what needs it directly; the rendered field is stored in the database and shown in the UI."
                    ),
                    false,
                );
            }
        }
    }
}
