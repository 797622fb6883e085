//! ## What it does
//! Finds Airflow connections defined with a password in an env file, a Dockerfile, a compose file or a Kubernetes manifest:
//! `AIRFLOW_CONN_<ID>=scheme://user:password@host/...`, or the JSON form
//! (`AIRFLOW_CONN_<ID>='{"conn_type": "postgres", "password": "..."}'`, Airflow ≥ 2.3) with a
//! password or a secret extra.
//! ## Why is this bad?
//! Environment-defined connections sit in plain text wherever the environment is written (env
//! files, compose files, image layers, pod specs), are invisible in the UI and in `airflow
//! connections list`, and shadow the metadata database — but not the secrets backend, which
//! Airflow asks first, so a stale copy here can mislead. Nobody rotates them.
//! ## Example
//! ```sh
//! AIRFLOW_CONN_WAREHOUSE=postgresql://etl:Tr0ub4dor3x@warehouse.internal:5432/analytics
//! ```
//! ## How to fix
//! Store the connection in the secrets backend under the name Airflow looks up
//! (`airflow/connections/warehouse` with the AWS Secrets Manager backend's default prefix;
//! `airseal migrate` writes it in the form Airflow reads) and delete the variable; or, if the
//! environment is how the platform delivers it, inject the variable from a Kubernetes Secret
//! (`valueFrom.secretKeyRef`) rather than writing the value down.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::rules::{is_not_a_value, is_reference, uri_credentials};
use crate::settings::EnvEntry;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG005",
    name: "connection-in-environment",
    summary: "Airflow connection with a password defined in an env file or Dockerfile (`AIRFLOW_CONN_*`)",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(40),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html#storing-connections-in-environment-variables",
    ],
    source: include_str!("cfg005_connection_in_environment.rs"),
};

/// JSON connection fields and extras that hold a secret.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "token",
    "api_key",
    "private_key",
    "secret",
    "client_secret",
    "passphrase",
    "key_file_content",
];

pub fn check(entry: &EnvEntry<'_>, reports: &mut Reports) {
    let Some(id) = entry.name.strip_prefix("AIRFLOW_CONN_") else {
        return;
    };
    if id.is_empty() || is_reference(entry.value) {
        return;
    }
    let conn_id = id.to_ascii_lowercase();
    let fix = format!(
        "Store connection `{conn_id}` in the secrets backend (`airflow/connections/{conn_id}` with the default AWS prefix) and delete `{}`, or inject it from a Kubernetes Secret.",
        entry.name
    );
    let value = entry.value.trim();
    if value.starts_with('{') {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(value)
        else {
            return;
        };
        let mut secrets: Vec<String> = map
            .iter()
            .filter(|(k, v)| {
                SECRET_FIELDS.contains(&k.as_str())
                    && v.as_str().is_some_and(|s| !is_not_a_value(s))
            })
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(serde_json::Value::Object(extra)) = map.get("extra") {
            secrets.extend(
                extra
                    .iter()
                    .filter(|(k, v)| {
                        SECRET_FIELDS
                            .iter()
                            .any(|f| k.to_ascii_lowercase().contains(f))
                            && v.as_str().is_some_and(|s| !is_not_a_value(s))
                    })
                    .map(|(k, _)| format!("extra.{k}")),
            );
        }
        if secrets.is_empty() {
            return;
        }
        secrets.sort();
        reports.report(
            &RULE,
            entry.value_span.clone(),
            format!(
                "Connection `{conn_id}` is defined in the environment with secrets ({})",
                secrets.join(", ")
            ),
            fix,
            true,
        );
        return;
    }
    let Some((_, password)) = uri_credentials(entry.value) else {
        return;
    };
    if is_not_a_value(&entry.value[password.clone()]) {
        return;
    }
    let start = entry.value_span.start + password.start;
    reports.report(
        &RULE,
        start..start + password.len(),
        format!("Connection `{conn_id}` is defined in the environment with a password"),
        fix,
        true,
    );
}
