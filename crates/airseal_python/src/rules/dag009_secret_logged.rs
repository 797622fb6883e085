//! ## What it does
//! Finds a secret written to a log or to standard output: `print(...)`, `logging.info(...)`,
//! `log.warning(...)`, `logger.debug(...)`, `self.log.info(...)` whose arguments contain a
//! connection's password (`conn.password`, `conn.get_password()`), its URI (`conn.get_uri()`),
//! a sensitive extra (`conn.extra_dejson["token"]`), a Variable with a sensitive name, or a
//! secret environment variable — directly, in an f-string, a concatenation or a format call, or
//! through a local name that holds one.
//! ## Why is this bad?
//! Task logs are kept on disk, shipped to remote logging (S3, GCS, Elasticsearch) and readable by
//! everyone who can see the DAG. The secrets masker replaces only exact values it registered: not
//! a URI-encoded or base64 form, not a password printed at parse time (scheduler and DAG
//! processor logs), not a Variable whose name has no masker keyword, and nothing at all when
//! `hide_sensitive_var_conn_fields` is off. Relying on it to clean up a deliberate print is
//! relying on luck.
//! ## Example
//! ```python
//! @task
//! def check():
//!     conn = BaseHook.get_connection("warehouse")
//!     print(f"connecting with {conn.login}:{conn.password}")
//! ```
//! ## How to fix
//! Do not log the secret. Log the connection id, the host or the login instead; if a library
//! logs it, lower that library's log level.

use ruff_python_ast::ExprCall;

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::registry::RuleSpec;
use crate::rules::callee_name;
use crate::semantic;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG009",
    name: "secret-logged",
    summary: "Secret written to a log or standard output",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: Some(45),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/mask-sensitive-values.html",
    ],
    source: include_str!("dag009_secret_logged.rs"),
};

pub fn check_call<'a>(checker: &mut Checker<'a>, call: &'a ExprCall) {
    if !semantic::is_logging_call(&checker.imports, call) {
        return;
    }
    let callee = callee_name(checker, call);
    let values = call
        .arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|k| &k.value));
    let mut found = Vec::new();
    for value in values {
        if let Some((source, at)) = checker.secret_source(value)
            && source.is_secret()
        {
            found.push((source.describe(), expr_span(at)));
        }
    }
    for (what, span) in found {
        checker.report(
            &RULE,
            span,
            format!("{} written to the log by `{callee}`", capitalized(&what)),
            "Do not log the secret: log the connection id, host or login instead. The masker hides only exact registered values, and nothing at parse time.".to_owned(),
            false,
        );
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
