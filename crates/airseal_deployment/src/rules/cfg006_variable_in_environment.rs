//! ## What it does
//! Finds Airflow Variables with a secret-like name defined in an env file, a Dockerfile, a compose file or a Kubernetes manifest:
//! `AIRFLOW_VAR_API_KEY=...`, `AIRFLOW_VAR_SLACK_TOKEN=...`, `AIRFLOW_VAR_DB_PASSWORD=...`.
//! ## Why is this bad?
//! The value is in plain text wherever the environment is written, invisible in the UI, and
//! never rotated; Airflow masks it in task logs only because of its name.
//! ## Example
//! ```sh
//! AIRFLOW_VAR_PARTNER_API_KEY=9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c
//! ```
//! ## How to fix
//! Store the Variable in the secrets backend (`airflow/variables/partner_api_key` with the
//! default AWS prefix) and delete the environment variable, or inject it from a Kubernetes
//! Secret.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::rules::is_not_a_value;
use crate::settings::EnvEntry;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG006",
    name: "variable-in-environment",
    summary: "Airflow Variable with a secret-like name defined in an env file or Dockerfile (`AIRFLOW_VAR_*`)",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: Some(40),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/variable.html#storing-variables-in-environment-variables",
    ],
    source: include_str!("cfg006_variable_in_environment.rs"),
};

/// Words in a Variable's name that say it holds a secret.
pub(crate) const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "passphrase",
    "credential",
];

pub fn check(entry: &EnvEntry<'_>, reports: &mut Reports) {
    let Some(key) = entry.name.strip_prefix("AIRFLOW_VAR_") else {
        return;
    };
    let key = key.to_ascii_lowercase();
    if !SECRET_WORDS.iter().any(|w| key.contains(w)) || is_not_a_value(entry.value) {
        return;
    }
    reports.report(
        &RULE,
        entry.value_span.clone(),
        format!("Variable `{key}` (a secret, by its name) is defined in the environment"),
        format!(
            "Store Variable `{key}` in the secrets backend (`airflow/variables/{key}` with the default AWS prefix) and delete `{}`, or inject it from a Kubernetes Secret.",
            entry.name
        ),
        true,
    );
}
