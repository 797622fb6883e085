//! ## What it does
//! Finds secrets-backend lookups that run when the DAG file is parsed: `Variable.get(...)` and
//! connection lookups (`BaseHook.get_connection(...)`, `Connection.get(...)`) at module level,
//! in a class body, in a `@dag` function's body, or in the arguments of an operator or `DAG(...)`
//! constructor (even inside a DAG factory function). `Variable.get` inside a `@task` function
//! or a `python_callable` runs at task time and is fine.
//! ## Why is this bad?
//! The scheduler / DAG processor parses every DAG file every `min_file_process_interval` (30 s by
//! default): each parse-time lookup is a request to the secrets backend (AWS Secrets Manager
//! bills per 10,000 calls and throttles) or a metadata-database query, on a process that should
//! not need the secret at all. The value then sits in the parser's memory and is baked into
//! the serialized DAG that the web UI shows, and it is frozen at parse time, so a rotated secret
//! is not picked up until the next parse. Airflow's best-practices guide calls this out
//! explicitly.
//! ## Example
//! ```python
//! from airflow.models import Variable
//!
//! API_TOKEN = Variable.get("partner_api_token")
//!
//! with DAG("partner_sync", schedule="@daily"):
//!     SimpleHttpOperator(task_id="push", headers={"X-Token": Variable.get("partner_api_token")})
//! ```
//! ## How to fix
//! Read it when the task runs: in a templated field (`"{{ var.value.partner_api_token }}"`,
//! `"{{ var.json.settings }}"` for `deserialize_json=True`), or with `Variable.get(...)` inside
//! the `@task` function. For connections, pass the id (`*_conn_id="..."`) and let the hook look
//! it up at run time.

use ruff_python_ast::ExprCall;

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, node_span};
use crate::registry::RuleSpec;
use crate::semantic;
use crate::strings::static_string;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG006",
    name: "variable-get-at-parse-time",
    summary: "Variable or connection looked up when the DAG file is parsed",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/best-practices.html#airflow-variables",
    ],
    source: include_str!("dag006_variable_get_at_parse_time.rs"),
};

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let variable = semantic::is_variable_get(&checker.imports, call);
    let connection = !variable && semantic::is_connection_lookup(&checker.imports, call);
    if !variable && !connection {
        return;
    }
    let where_ = if checker.at_parse_time() {
        "when the DAG file is parsed"
    } else if checker.in_constructor_arguments() {
        "in an operator or DAG constructor's arguments, when the DAG file is parsed"
    } else {
        return;
    };
    let key = call.arguments.args.first().and_then(static_string);
    let key_text = key.as_deref().unwrap_or("<key>");
    if variable {
        let json = semantic::keyword(call, "deserialize_json")
            .is_some_and(|v| matches!(v, ruff_python_ast::Expr::BooleanLiteral(b) if b.value));
        let template = if json {
            format!("{{{{ var.json.{key_text} }}}}")
        } else {
            format!("{{{{ var.value.{key_text} }}}}")
        };
        checker.report(
            &RULE,
            node_span(call),
            format!("`Variable.get(\"{key_text}\")` runs {where_}"),
            format!(
                "Read it at run time: use \"{template}\" in a templated field, or call `Variable.get(\"{key_text}\")` inside the `@task` function / `python_callable`."
            ),
            false,
        );
    } else {
        checker.report(
            &RULE,
            node_span(call),
            format!("Connection `{key_text}` is looked up {where_}"),
            format!(
                "Pass `conn_id=\"{key_text}\"` (the operator's `*_conn_id`) and let the hook look the connection up at run time, or call `BaseHook.get_connection(\"{key_text}\")` inside the task."
            ),
            false,
        );
    }
}
