//! ## What it does
//! Finds a URI with a password in a string constant: `postgresql://etl:Tr0ub4dor&3@warehouse:5432/
//! analytics`, `amqp://user:pass@broker//`, `https://user:token@host/`, also inside f-strings
//! (`{password}` parts are variables, not findings). The finding names the connection id to
//! create instead: from the name the URI was assigned or passed to (`WAREHOUSE_URI` →
//! `warehouse`), or else from the host.
//! ## Why is this bad?
//! Connection strings are the most common way a database password ends up in a DAG:
//! `create_engine(...)`, `psycopg2.connect(...)` or `requests` calls with the credentials
//! inline. The password is in the repository and in the DAG processor, is not masked, and
//! appears in every traceback that prints the URI.
//! ## Example
//! ```python
//! WAREHOUSE_URI = "postgresql://etl:Tr0ub4dor&3@warehouse.internal:5432/analytics"
//! engine = create_engine(WAREHOUSE_URI)
//! ```
//! ## How to fix
//! Create a connection with that URI in the secrets backend (`airflow/connections/warehouse`, or
//! `AIRFLOW_CONN_WAREHOUSE`; `airseal migrate` writes it in the form Airflow reads) and use
//! the hook: `PostgresHook(postgres_conn_id="warehouse").get_sqlalchemy_engine()`, or
//! `BaseHook.get_connection("warehouse").get_uri()` inside the task.

use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::Expr;

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::registry::RuleSpec;
use crate::rules::{conn_id_parameter, connection_locations, suggest_conn_id};
use crate::strings::{ValueKind, classify_value};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG004",
    name: "credentials-in-uri",
    summary: "URI with a user and password in a string constant",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(40),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html#uri-format",
    ],
    source: include_str!("dag004_credentials_in_uri.rs"),
};

/// `scheme://user:password@host`: the password cannot contain `@`, `/` or whitespace unescaped
/// in a valid URI, and the host is what follows the last `@` of the authority.
static URI: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b([a-z][a-z0-9+.\-]{1,30})://([^\s:/@'"{}]{0,128}):([^\s@'"/]{1,256})@([^\s/:'"?#@]{1,253})"#,
    )
    .ok()
});

pub struct CredentialUri<'t> {
    pub scheme: &'t str,
    pub password: &'t str,
    pub host: &'t str,
    /// Byte range of the password in the searched text.
    pub password_range: std::ops::Range<usize>,
}

/// The first URI with a password in `text`.
pub fn credential_uri(text: &str) -> Option<CredentialUri<'_>> {
    credential_uris(text).into_iter().next()
}

fn credential_uris(text: &str) -> Vec<CredentialUri<'_>> {
    let Some(re) = URI.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| {
            let password = c.get(3)?;
            Some(CredentialUri {
                scheme: c.get(1)?.as_str(),
                password: password.as_str(),
                host: c.get(4)?.as_str(),
                password_range: password.range(),
            })
        })
        .collect()
}

pub fn check_string(checker: &mut Checker<'_>, expr: &Expr) {
    let range = expr_span(expr);
    let text = checker.text(range.clone());
    if !text.contains("://") {
        return;
    }
    let hint = checker.name_hint.clone();
    for uri in credential_uris(text) {
        // `{password}` in an f-string is a variable; escapes make the raw text differ from the
        // value, so judge the password as written.
        if uri.password.starts_with('{') || classify_value(uri.password) != ValueKind::Credential {
            continue;
        }
        let conn_id = suggest_conn_id(hint.as_deref(), Some(uri.host));
        let parameter = conn_id_parameter(uri.scheme);
        let fix = match &conn_id {
            Some(id) => format!(
                "Create connection `{id}` with this URI in the secrets backend ({}) and use `{parameter}=\"{id}\"` or `BaseHook.get_connection(\"{id}\").get_uri()` inside the task.",
                connection_locations(id)
            ),
            None => format!(
                "Create a connection with this URI in the secrets backend and use `{parameter}=` or `BaseHook.get_connection(...).get_uri()` inside the task."
            ),
        };
        let start = range.start + uri.password_range.start;
        checker.report(
            &RULE,
            start..start + uri.password.len(),
            format!("Password in a `{}://` URI", uri.scheme.to_ascii_lowercase()),
            fix,
            true,
        );
    }
}
