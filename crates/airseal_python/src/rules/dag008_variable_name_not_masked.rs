//! ## What it does
//! Finds Airflow Variables used as a credential whose name contains none of the secrets
//! masker's keywords (Airflow 2: `password`, `secret`, `token`, `api_key`, `apikey`,
//! `access_token`, `authorization`, `passphrase`, `passwd`, `private_key`, `keyfile_dict`,
//! `service_account`; Airflow 3.3 adds `access_key`, `auth_header`, `bearer`,
//! `connection_string`, `dsn`, `proxy`, `service_key`, `webhook_url`, and the message says
//! when only Airflow 3.3 would mask the name): `Variable.get("db_pw2")` passed as `password=`, assigned to
//! `DB_PASSWORD`, put under an `"Authorization"` header or a secret-named environment
//! variable, or `{{ var.value.db_pw2 }}` after `PGPASSWORD=` in a template.
//! ## Why is this bad?
//! Airflow's masker hides a Variable's value in task logs and the UI only when the Variable's
//! name contains one of those keywords (a substring test on the lower-cased name). `db_pw2`,
//! `pg_pass`, `dsn-private-key` or `snowflake_creds` are not masked: any log line, exception or
//! rendered field that contains the value shows it in clear. (Airflow 3 also never masks values
//! shorter than `[logging] min_length_masked_secret`, 5 characters by default.)
//! ## Example
//! ```python
//! @task
//! def load():
//!     psycopg2.connect(host="warehouse", user="etl", password=Variable.get("db_pw2"))
//! ```
//! ## How to fix
//! Rename the Variable so its name contains a masker keyword (`db_pw2` → `db_password`; with
//! the AWS backend that is the secret `airflow/variables/db_password`), or add the name to
//! `[core] sensitive_var_conn_names` (`AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES=db_pw2`). Better
//! still, keep database credentials in a connection.

use ruff_python_ast::{Expr, ExprCall, ExprDict};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, SecretSource, expr_span};
use crate::names::{is_sensitive_name, masker_hides, masker_hides_airflow3, secret_word};
use crate::registry::RuleSpec;
use crate::rules::dag007_secret_in_template::{JINJA_BLOCK, VAR_REF};
use crate::strings::static_string;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG008",
    name: "variable-name-not-masked",
    summary: "Variable used as a credential under a name the secrets masker does not hide",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/mask-sensitive-values.html",
        "https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html#sensitive-var-conn-names",
    ],
    source: include_str!("dag008_variable_name_not_masked.rs"),
};

fn report(checker: &mut Checker<'_>, key: &str, sink: &str, span: std::ops::Range<usize>) {
    let word = secret_word(sink);
    let airflow3 = if masker_hides_airflow3(key) {
        " on Airflow 2 (Airflow 3.3's longer list does mask it)"
    } else {
        ""
    };
    checker.report(
        &RULE,
        span,
        format!(
            "Variable `{key}` is used as a {word} (`{sink}`) but its name has no masker keyword, so Airflow will not mask it{airflow3}"
        ),
        format!(
            "Rename the Variable to a name containing `{word}` (e.g. `{key}_{word}`), or add `{key}` to `[core] sensitive_var_conn_names`."
        ),
        false,
    );
}

/// A Variable flowing into a sink named `sink` (a keyword, dict key, assignment target).
fn check_value(checker: &mut Checker<'_>, sink: &str, value: &Expr) {
    if !is_sensitive_name(sink) {
        return;
    }
    if let Some((SecretSource::Variable { key: Some(key) }, at)) = checker.secret_source(value)
        && !masker_hides(&key)
    {
        // A name like `db_password` that holds the Variable was reported where it was assigned.
        if let Expr::Name(name) = at
            && is_sensitive_name(name.id.as_str())
        {
            return;
        }
        // On the key literal when the call is right here, else on the name that holds it.
        let span = match at {
            Expr::Call(call) => call
                .arguments
                .args
                .first()
                .map_or_else(|| expr_span(at), expr_span),
            other => expr_span(other),
        };
        report(checker, &key, sink, span);
    }
}

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    for keyword in &call.arguments.keywords {
        if let Some(name) = keyword.arg.as_ref() {
            check_value(checker, name.as_str(), &keyword.value);
        }
    }
}

pub fn check_dict(checker: &mut Checker<'_>, dict: &ExprDict) {
    for item in &dict.items {
        if let Some(key) = item.key.as_ref().and_then(static_string) {
            check_value(checker, &key, &item.value);
        }
    }
}

pub fn check_assign(checker: &mut Checker<'_>, targets: &[Expr], value: &Expr) {
    for target in targets {
        let name = match target {
            Expr::Name(n) => n.id.to_string(),
            Expr::Attribute(a) => a.attr.to_string(),
            _ => continue,
        };
        check_value(checker, &name, value);
    }
}

/// `PGPASSWORD='{{ var.value.db_pw2 }}'`, `--password {{ var.value.x }}`: a template Variable
/// right after a credential's name.
pub fn check_string(checker: &mut Checker<'_>, expr: &Expr) {
    let range = expr_span(expr);
    let text = checker.text(range.clone());
    if !text.contains("var.") {
        return;
    }
    let (Some(block_re), Some(var_re)) = (JINJA_BLOCK.as_ref(), VAR_REF.as_ref()) else {
        return;
    };
    for block in block_re.find_iter(text) {
        let Some(c) = var_re.captures(block.as_str()) else {
            continue;
        };
        let Some(key) = c.get(2).or(c.get(3)).or(c.get(4)) else {
            continue;
        };
        let key = key.as_str();
        if masker_hides(key) || !c.get(5).is_none_or(|m| m.as_str().is_empty()) {
            continue;
        }
        let before = &text[..block.start()];
        if let Some(sink) = credential_name_before(before) {
            let start = range.start + block.start();
            report(checker, key, &sink, start..range.start + block.end());
        }
    }
}

/// The name of the credential a template is assigned to: `PGPASSWORD='`, `password: `,
/// `--password `, `-p` is too vague and is not taken.
fn credential_name_before(before: &str) -> Option<String> {
    let trimmed = before.trim_end_matches(['\'', '"', ' ']);
    let trimmed = trimmed
        .strip_suffix('=')
        .or_else(|| trimmed.strip_suffix(':'))
        .unwrap_or(trimmed)
        .trim_end();
    let name: String = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let name = name.trim_start_matches('-').to_owned();
    (!name.is_empty() && is_sensitive_name(&name)).then_some(name)
}
