//! ## What it does
//! Finds a constant string passed as a keyword argument whose name says it is a secret
//! (`password=`, `token=`, `client_secret=`, `aws_secret_access_key=`, `webhook_token=`,
//! `private_key=`, `passphrase=`, ...), as the value of such a key in a dict literal (request
//! `headers={"Authorization": "Bearer ..."}`, a connection's `extra`), or as the password of
//! `auth=("user", "...")`. Concatenations, f-strings without variables, and `%` / `.format` of
//! constants count as constants. Empty strings, placeholders (`<password>`, `changeme`),
//! templates (`{{ var.value.x }}`), paths and environment variable names do not.
//!
//! The names are Airflow's secrets-masker field list plus the credential words it lacks, matched
//! on whole words: `db_pw2` and `X-Api-Key` are secrets, `secret_name`, `token_url` and
//! `max_tokens` are not.
//! ## Why is this bad?
//! The secret is in the DAG repository, in every clone and CI log of it, in the DAG
//! processor's memory, and in the serialized DAG that the web UI shows ("Code" view). It cannot
//! be rotated without a commit, and everyone who can read DAGs can read it. Airflow's masker
//! does not know it, so it is printed unmasked wherever the value is logged.
//! ## Example
//! ```python
//! SimpleHttpOperator(
//!     task_id="notify",
//!     http_conn_id="partner_api",
//!     headers={"Authorization": "Bearer 9f8a7b6c5d4e3f2a1b0c"},
//! )
//! ```
//! ## How to fix
//! Keep the secret in an Airflow connection in the secrets backend and pass only its id: the
//! hook reads login, password and extras at run time (`HttpOperator(http_conn_id="partner_api")`
//! sends the connection's password or `extra` headers). For values that are not a connection,
//! use a Variable whose name contains a masker keyword, read inside the task:
//! `Variable.get("partner_api_token")`.

use ruff_python_ast::{Expr, ExprCall, ExprDict};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::names::{is_sensitive_name, secret_word};
use crate::registry::RuleSpec;
use crate::rules::callee_name;
use crate::semantic;
use crate::strings::{is_credential_for, static_string};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG001",
    name: "hardcoded-secret-argument",
    summary: "Hardcoded secret passed as an argument or dict value under a sensitive name",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(20),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/mask-sensitive-values.html",
        "https://bandit.readthedocs.io/en/latest/plugins/b106_hardcoded_password_funcarg.html",
    ],
    source: include_str!("dag001_hardcoded_secret_argument.rs"),
};

/// A literal credential, if `value` is one.
fn literal_credential(name: &str, value: &Expr) -> bool {
    static_string(value).is_some_and(|v| is_credential_for(name, &v))
}

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    // `Secret("env", "DB_PASSWORD", secret="warehouse-db", key="password")` names a Kubernetes
    // Secret: the safe way to hand a pod a credential.
    if checker.imports.last_name(&call.func) == Some("Secret") {
        return;
    }
    for keyword in &call.arguments.keywords {
        let Some(name) = keyword.arg.as_ref().map(|a| a.as_str()) else {
            continue;
        };
        if name == "auth" {
            check_auth_tuple(checker, call, &keyword.value);
            continue;
        }
        if !is_sensitive_name(name) || !literal_credential(name, &keyword.value) {
            continue;
        }
        let callee = callee_name(checker, call);
        let operator = semantic::is_operator_constructor(&checker.imports, call);
        let word = secret_word(name);
        let fix = if operator {
            format!(
                "Store the {word} in an Airflow connection in the secrets backend and pass only its id to `{callee}` (its `*_conn_id` argument); the hook reads it at run time."
            )
        } else {
            format!(
                "Read the {word} at run time instead: from a connection (`BaseHook.get_connection(\"<conn_id>\").password`) or from a Variable whose name contains `{word}` (`Variable.get(\"<name>_{word}\")`), inside the task."
            )
        };
        checker.report(
            &RULE,
            expr_span(&keyword.value),
            format!("Hardcoded {word} passed as `{name}=` to `{callee}`"),
            fix,
            true,
        );
    }
    // requests.auth.HTTPBasicAuth("user", "pass"), aiohttp.BasicAuth("user", "pass")
    if matches!(
        checker.imports.last_name(&call.func).unwrap_or_default(),
        "HTTPBasicAuth" | "HTTPDigestAuth" | "BasicAuth" | "HTTPProxyAuth"
    ) && let Some(password) = crate::rules::argument(call, 1, "password")
        && literal_credential("password", password)
    {
        let callee = callee_name(checker, call);
        checker.report(
            &RULE,
            expr_span(password),
            format!("Hardcoded password passed to `{callee}`"),
            "Keep the login and password in an HTTP connection (`HttpHook(http_conn_id=...)` sends them as basic auth), read at run time.".to_owned(),
            true,
        );
    }
}

/// `auth=("user", "password")` (requests, httpx).
fn check_auth_tuple(checker: &mut Checker<'_>, call: &ExprCall, value: &Expr) {
    let Expr::Tuple(tuple) = value else {
        return;
    };
    if tuple.elts.len() != 2 || !literal_credential("password", &tuple.elts[1]) {
        return;
    }
    let callee = callee_name(checker, call);
    checker.report(
        &RULE,
        expr_span(&tuple.elts[1]),
        format!("Hardcoded password passed as `auth=(user, password)` to `{callee}`"),
        "Keep the login and password in an HTTP connection (`HttpHook(http_conn_id=...)` sends them as basic auth), read at run time.".to_owned(),
        true,
    );
}

/// Keys of UI metadata dicts (a hook's `get_ui_field_behaviour()`): their values label the
/// connection form's fields (`{"relabeling": {"password": "Secret"}}`).
const UI_METADATA_KEYS: &[&str] = &[
    "relabeling",
    "placeholders",
    "labels",
    "hidden_fields",
    "help",
];

pub fn check_dict(checker: &mut Checker<'_>, dict: &ExprDict) {
    if checker
        .name_hint
        .as_deref()
        .is_some_and(|hint| UI_METADATA_KEYS.contains(&hint))
    {
        return;
    }
    for item in &dict.items {
        let Some(key) = item.key.as_ref().and_then(static_string) else {
            continue;
        };
        if !is_sensitive_name(&key) || !literal_credential(&key, &item.value) {
            continue;
        }
        let authorization = key.eq_ignore_ascii_case("authorization");
        let word = if authorization {
            "token"
        } else {
            secret_word(&key)
        };
        let fix = if authorization {
            "Put the token in an HTTP connection (its password, or an `extra` header) and pass `http_conn_id=`: the HTTP hook builds the header at run time.".to_owned()
        } else {
            format!(
                "Move `{key}` into the connection stored in the secrets backend (its password or `extra`), or read it at run time from a Variable whose name contains `{word}`."
            )
        };
        checker.report(
            &RULE,
            expr_span(&item.value),
            format!("Hardcoded {word} as the value of `\"{key}\"` in a dict"),
            fix,
            true,
        );
    }
}
