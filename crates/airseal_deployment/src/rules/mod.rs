//! One file per rule (`CFG###` Airflow configuration, `HLM###` Helm values, `KUB###` Kubernetes
//! manifests); each file's `//!` comment is the rule's documentation.

pub mod cfg001_sensitive_option_in_plain_text;
pub mod cfg002_public_default_secret;
pub mod cfg003_configuration_exposes_secrets;
pub mod cfg004_invalid_backend_kwargs;
pub mod cfg005_connection_in_environment;
pub mod cfg006_variable_in_environment;
pub mod hlm001_chart_secret_in_values;
pub mod hlm002_chart_public_default_secret;
pub mod hlm003_secret_in_embedded_config_file;
pub mod hlm004_secrets_readable_by_workers;
pub mod hlm005_git_sync_without_known_hosts;
pub mod kub001_secret_manifest_with_data;
pub mod kub002_configmap_holds_credentials;
pub mod kub003_secret_in_container_env;

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use airseal_detectors::looks_like_placeholder;

/// A value that is not a secret written here: empty, or a reference resolved elsewhere
/// (`${FERNET_KEY}`, `{{ .Values.x }}`, `$(cat file)`), or one of the placeholders of Airflow's
/// own config template (`{FERNET_KEY}`, `{SECRET_KEY}`, `{JWT_SECRET_KEY}`), which Airflow
/// replaces with a generated value when it writes a new airflow.cfg.
pub(crate) fn is_reference(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    let template_placeholder = value.len() > 2
        && value.starts_with('{')
        && value.ends_with('}')
        && value[1..value.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_');
    value.is_empty()
        || template_placeholder
        || value.contains("${")
        || value.contains("{{")
        || value.contains("$(")
}

/// [`is_reference`], or a placeholder (`changeme`, `<password>`). Judge the secret itself with
/// this, not a whole URI or JSON document (`db.example.com` in a URI is not a placeholder
/// password).
pub(crate) fn is_not_a_value(value: &str) -> bool {
    let trimmed = value.trim().trim_matches(['"', '\'']);
    is_reference(value) || looks_like_placeholder(trimmed.as_bytes())
}

/// A YAML null (`~`, `null`) or empty scalar: nothing is set.
pub(crate) fn is_yaml_null(value: &str) -> bool {
    matches!(value.trim(), "" | "~" | "null" | "Null" | "NULL")
}

/// `scheme://user:password@host`: the password's range inside `text`.
static URI_PASSWORD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b[a-z][a-z0-9+.\-]{1,30}://([^\s:/@]*):([^\s@/]+)@").ok());

/// (user, password range) of the first URI with a password in `text`.
pub(crate) fn uri_credentials(text: &str) -> Option<(&str, Range<usize>)> {
    let captures = URI_PASSWORD.as_ref()?.captures(text)?;
    let user = captures.get(1)?.as_str();
    let password = captures.get(2)?;
    Some((user, password.range()))
}

/// Options whose value is a URI: only the password inside is secret.
pub(crate) fn is_uri_option(key: &str) -> bool {
    matches!(
        key,
        "sql_alchemy_conn"
            | "sql_alchemy_conn_async"
            | "broker_url"
            | "result_backend"
            | "celery_result_backend"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_passwords() {
        let text = "postgresql+psycopg2://airflow:s3cr%40t@db:5432/airflow";
        let (user, range) = uri_credentials(text).unwrap_or_default();
        assert_eq!(user, "airflow");
        assert_eq!(&text[range], "s3cr%40t");
        assert!(uri_credentials("sqlite:////tmp/airflow.db").is_none());
        assert!(is_not_a_value("${AIRFLOW_FERNET_KEY}"));
        assert!(is_reference("{FERNET_KEY}") && is_reference("{JWT_SECRET_KEY}"));
        assert!(!is_reference("{Ab3dE}"));
    }
}
