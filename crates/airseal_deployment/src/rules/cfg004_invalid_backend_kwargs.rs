//! ## What it does
//! Finds `[secrets] backend_kwargs` (and Airflow 3's `[workers] secrets_backend_kwargs`) whose
//! value is not a JSON object: a Python dict with single quotes, a trailing comma, a missing
//! brace.
//! ## Why is this bad?
//! Airflow logs the parse error once and silently replaces the kwargs with `{}`: the secrets
//! backend starts with its defaults — the wrong prefixes, the wrong Vault mount, no role, the
//! default region — so lookups miss and fall through to environment variables and the metadata
//! database, or fail only when a task runs.
//! ## Example
//! ```ini
//! [secrets]
//! backend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
//! backend_kwargs = {'connections_prefix': 'airflow/connections', 'region_name': 'eu-west-1'}
//! ```
//! ## How to fix
//! Write strict JSON: double quotes, no trailing commas, `null` rather than `None`
//! (`{"connections_prefix": "airflow/connections", "region_name": "eu-west-1"}`), and check it
//! with `airflow config get-value secrets backend_kwargs | python -m json.tool`.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::rules::is_reference;
use crate::settings::Setting;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG004",
    name: "invalid-backend-kwargs",
    summary: "`backend_kwargs` is not a JSON object: Airflow silently uses `{}`",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/secrets-backend/index.html",
    ],
    source: include_str!("cfg004_invalid_backend_kwargs.rs"),
};

pub fn check(setting: &Setting<'_>, reports: &mut Reports) {
    let is_kwargs = matches!(
        (setting.section.as_str(), setting.key.as_str()),
        ("secrets", "backend_kwargs") | ("workers", "secrets_backend_kwargs")
    );
    if !is_kwargs || is_reference(setting.value) {
        return;
    }
    let problem = match serde_json::from_str::<serde_json::Value>(setting.value) {
        Ok(serde_json::Value::Object(_)) => return,
        Ok(_) => "is JSON but not an object".to_owned(),
        // The parser's message names a line and column inside the value, never its text.
        Err(error) => format!(
            "is not valid JSON ({} at line {} column {})",
            category(&error),
            error.line(),
            error.column()
        ),
    };
    reports.report(
        &RULE,
        setting.value_span.clone(),
        format!("{} {problem}: Airflow ignores it and starts the secrets backend with `{{}}`", setting.display()),
        "Write strict JSON (double quotes, no trailing commas, null not None) and check it with `python -m json.tool`.".to_owned(),
        false,
    );
}

fn category(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Eof => "unexpected end",
        serde_json::error::Category::Data => "wrong data",
        serde_json::error::Category::Io => "read error",
    }
}
