//! ## What it does
//! Finds a sensitive Airflow option written in plain text, in airflow.cfg (`[core] fernet_key =
//! ...`) or as an environment setting (`AIRFLOW__CORE__FERNET_KEY=...`) in an env file, a
//! Dockerfile `ENV` / `ARG`, a docker-compose `environment:` (map or list form) or a Kubernetes
//! container's `env` (`value:`; `valueFrom.secretKeyRef` is the safe form).
//! "Sensitive" is Airflow's own list — every option its config.yml (and the Celery provider's)
//! marks `sensitive: true`: `fernet_key`, `[webserver]`/`[api] secret_key`, `[api_auth]
//! jwt_secret`, `sql_alchemy_conn`, `broker_url`, `result_backend`, `flower_basic_auth`,
//! `smtp_password`, `sentry_dsn`, `backend_kwargs`, ... For connection URIs only a password
//! inside counts (`sqlite:///...` is fine); for `*_kwargs` JSON, only credential keys inside
//! (a Vault `token`, `secret_id`, Azure `client_secret`, GCP `gcp_keyfile_dict`, AWS keys).
//! Empty values, placeholders and references (`${FERNET_KEY}`) are not reported.
//! ## Why is this bad?
//! airflow.cfg and env files are copied into images, committed, mounted into every component
//! and printed by `airflow config list`. A fernet key in the clear decrypts every connection
//! password in the metadata database; a webserver / API secret key lets anyone forge sessions
//! and tokens; the metadata database URI is the keys to everything.
//! ## Example
//! ```ini
//! [core]
//! fernet_key = 8dZ0r6Vb1u0nQ4yYk9sV3xJb7qWm2cLe5hTg1fAaPzU=
//! [database]
//! sql_alchemy_conn = postgresql+psycopg2://airflow:Tr0ub4dor3x@db:5432/airflow
//! ```
//! ## How to fix
//! Keep the value out of the file. Every sensitive option has two indirect forms: `<option>_cmd`
//! (a command whose output is the value, e.g. `cat /run/secrets/fernet_key`) and `<option>_secret`
//! (a name read from the secrets backend's config prefix: `fernet_key_secret = fernet_key` reads
//! `airflow/config/fernet_key` from AWS Secrets Manager). In the environment they are
//! `AIRFLOW__CORE__FERNET_KEY_CMD` / `AIRFLOW__CORE__FERNET_KEY_SECRET`, or the value itself
//! injected from a Kubernetes Secret. Rotate the exposed value.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::rules::{is_not_a_value, is_reference, is_uri_option, uri_credentials};
use crate::sensitive::sensitive_in;
use crate::settings::Setting;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG001",
    name: "sensitive-option-in-plain-text",
    summary: "Sensitive Airflow option written in plain text in airflow.cfg or an env file",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(40),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/set-config.html",
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/secrets-backend/index.html",
    ],
    source: include_str!("cfg001_sensitive_option_in_plain_text.rs"),
};

/// Keys inside a `*_kwargs` JSON object that hold a credential.
pub const CREDENTIAL_KWARGS: &[&str] = &[
    "token",
    "secret_id",
    "password",
    "radius_secret",
    "client_secret",
    "gcp_keyfile_dict",
    "keyfile_dict",
    "aws_secret_access_key",
    "aws_session_token",
    "private_key",
    "api_key",
    "passphrase",
];

pub fn check(setting: &Setting<'_>, reports: &mut Reports) {
    let Some(releases) = sensitive_in(&setting.section, &setting.key) else {
        return;
    };
    if is_reference(setting.value)
        || super::cfg002_public_default_secret::is_public_default(setting)
    {
        return;
    }
    let option = setting.display();
    let (cmd, secret) = setting.indirect_forms();
    let fix = format!(
        "Remove the value and use {cmd} (a command that prints it) or {secret} (a name in the secrets backend's config prefix, e.g. `airflow/config/<name>`) instead; rotate it."
    );
    if is_uri_option(&setting.key) {
        let Some((_, password)) = uri_credentials(setting.value) else {
            return;
        };
        if is_not_a_value(&setting.value[password.clone()]) {
            return;
        }
        let start = setting.value_span.start + password.start;
        reports.report(
            &RULE,
            start..start + password.len(),
            format!("Password in the {option} URI"),
            fix,
            true,
        );
        return;
    }
    if setting.key.ends_with("kwargs") || setting.key.ends_with("engine_args") {
        let Ok(serde_json::Value::Object(map)) =
            serde_json::from_str::<serde_json::Value>(setting.value)
        else {
            return;
        };
        let mut keys: Vec<&str> = map
            .iter()
            .filter(|(k, v)| {
                CREDENTIAL_KWARGS.contains(&k.to_ascii_lowercase().as_str())
                    && v.as_str().is_none_or(|s| !is_not_a_value(s))
                    && !v.is_null()
            })
            .map(|(k, _)| k.as_str())
            .collect();
        keys.sort_unstable();
        if keys.is_empty() {
            return;
        }
        reports.report(
            &RULE,
            setting.value_span.clone(),
            format!("{option} holds credentials ({})", keys.join(", ")),
            format!(
                "Give the backend its own identity instead (Vault Kubernetes auth, IRSA, workload identity) or move the kwargs behind {cmd} / {secret}; rotate what was exposed."
            ),
            true,
        );
        return;
    }
    if is_not_a_value(setting.value) {
        return;
    }
    // A Sentry DSN only lets its holder send events to the project: sensitive to Airflow, a
    // low risk.
    let severity = if setting.key == "sentry_dsn" {
        Severity::Low
    } else {
        RULE.severity
    };
    reports.report_with_severity(
        &RULE,
        severity,
        setting.value_span.clone(),
        format!("{option} is set in plain text (sensitive in {releases})"),
        fix,
        true,
    );
}
