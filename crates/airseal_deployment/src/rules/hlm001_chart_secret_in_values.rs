//! ## What it does
//! Finds a secret written in plain text at one of the Airflow charts' secret keys in Helm
//! values, in the User-Community chart (airflow-helm/charts: `airflow.fernetKey`,
//! `airflow.webserverSecretKey`, `airflow.users[].password`, `airflow.connections[].password`
//! and credentials in their `extra`, `airflow.variables[]` with secret-like keys,
//! `externalDatabase.password`, `externalRedis.password`, `postgresql.postgresqlPassword`,
//! `redis.password`) and in the official chart (apache/airflow: `fernetKey`,
//! `webserverSecretKey`, `apiSecretKey`, `jwtSecret`, `data.metadataConnection.pass`,
//! `data.resultBackendConnection.pass`, a password in `data.brokerUrl`, `redis.password`,
//! `postgresql.auth.postgresPassword` / `password`, `webserver.defaultUser.password`,
//! `flower.password`, `elasticsearch` / `opensearch` / `registry` `connection.pass`,
//! `dags.gitSync.sshKey`, `kerberos.keytabBase64Content`, and `extraSecrets.*.data` /
//! `stringData` entries, base64-decoded first). The chart is recognised from the values' shape
//! (or `--chart`). The message names the key path; the finding sits on the value's line.
//! Empty values, `~`, placeholders and template expressions (`"{{ .Values.x }}"`,
//! `${NAME}` of the `*Templates` keys) are not reported; a chart's public default is `HLM002`.
//! ## Why is this bad?
//! Values files are committed, copied between environments and passed to `helm` on command
//! lines; `helm get values` prints them back to anyone with access to the release. The chart
//! then renders the secret into a Kubernetes Secret anyway — the plain copy in git is the leak.
//! ## Example
//! ```yaml
//! airflow:
//!   connections:
//!     - id: warehouse
//!       type: postgres
//!       password: "W4rehouse-Pr0d!"
//! externalDatabase:
//!   password: "Tr0ub4dor3x"
//! ```
//! ## How to fix
//! Use each key's secure alternative (the fix names it): `airflow.connectionsTemplates` /
//! `usersTemplates` / `variablesTemplates` with `${NAME}` references, `*SecretName` /
//! `passwordSecret` keys pointing at a Secret created out of band (External Secrets Operator,
//! Sealed Secrets), or `extraEnv` with `valueFrom.secretKeyRef`. Rotate the exposed value.

use base64::Engine;

use airseal_finding::{Confidence, Severity};
use airseal_yaml::Node;

use crate::helm::secret_keys::{self, Kind, SecretKey};
use crate::helm::{AtPath, Values, resolve, scalar_in};
use crate::kubernetes::data_entries;
use crate::registry::{Reports, RuleSpec};
use crate::rules::cfg001_sensitive_option_in_plain_text::CREDENTIAL_KWARGS;
use crate::rules::cfg006_variable_in_environment::SECRET_WORDS;
use crate::rules::{is_not_a_value, is_yaml_null, uri_credentials};

pub const RULE: RuleSpec = RuleSpec {
    code: "HLM001",
    name: "chart-secret-in-values",
    summary: "Secret in plain text at an Airflow Helm chart's values key that has a secure alternative",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(40),
    references: &[
        "https://github.com/airflow-helm/charts/blob/main/charts/airflow/docs/faq/security/set-fernet-key.md",
        "https://airflow.apache.org/docs/helm-chart/stable/production-guide.html",
    ],
    source: include_str!("hlm001_chart_secret_in_values.rs"),
};

pub fn check(values: &Values<'_, '_>, reports: &mut Reports) {
    for key in secret_keys::of(values.chart) {
        for at in resolve(values.root, key.path) {
            match key.kind {
                Kind::Whole => whole(values, key, &at, reports),
                Kind::UriPassword => uri_password(values, key, &at, reports),
                Kind::ConnectionExtra => connection_extra(values, key, &at, reports),
                Kind::VariableValue => variable(values, key, &at, reports),
                Kind::SecretData => secret_data(values, key, &at, reports),
            }
        }
    }
}

fn report(
    values: &Values<'_, '_>,
    key: &SecretKey,
    path: &str,
    span: std::ops::Range<usize>,
    reports: &mut Reports,
) {
    reports.report(
        &RULE,
        span,
        format!(
            "`{path}` holds {} in plain text ({})",
            key.what,
            values.chart.name()
        ),
        format!(
            "Secure alternative: {}. Rotate the exposed value.",
            key.instead
        ),
        true,
    );
}

fn whole(values: &Values<'_, '_>, key: &SecretKey, at: &AtPath<'_>, reports: &mut Reports) {
    let (Some(value), Some((_, span, _))) = (at.node.as_str(), scalar_in(values.text, at.node))
    else {
        return;
    };
    if is_yaml_null(value) || is_not_a_value(value) || key.public_defaults.contains(&value) {
        return;
    }
    report(values, key, &at.path, span, reports);
}

fn uri_password(values: &Values<'_, '_>, key: &SecretKey, at: &AtPath<'_>, reports: &mut Reports) {
    let Some((text, span, _)) = scalar_in(values.text, at.node) else {
        return;
    };
    let Some((_, password)) = uri_credentials(text) else {
        return;
    };
    if is_not_a_value(&text[password.clone()]) {
        return;
    }
    let start = span.start + password.start;
    report(
        values,
        key,
        &at.path,
        start..start + password.len(),
        reports,
    );
}

/// Credential keys in an `extra` given as a JSON string or as a mapping.
fn connection_extra(
    values: &Values<'_, '_>,
    key: &SecretKey,
    at: &AtPath<'_>,
    reports: &mut Reports,
) {
    let is_credential =
        |name: &str| CREDENTIAL_KWARGS.contains(&name.to_ascii_lowercase().as_str());
    match at.node {
        Node::Mapping { entries, .. } => {
            for (name, value) in entries {
                let (Some(name), Some(text)) = (name.as_str(), value.as_str()) else {
                    continue;
                };
                if !is_credential(name) || is_yaml_null(text) || is_not_a_value(text) {
                    continue;
                }
                if let Some((_, span, _)) = scalar_in(values.text, value) {
                    report(values, key, &format!("{}.{name}", at.path), span, reports);
                }
            }
        }
        Node::Scalar { value, .. } => {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str(value) else {
                return;
            };
            let holds_credential = map.iter().any(|(name, v)| {
                is_credential(name) && v.as_str().is_none_or(|s| !is_not_a_value(s)) && !v.is_null()
            });
            if let (true, Some((_, span, _))) = (holds_credential, scalar_in(values.text, at.node))
            {
                report(values, key, &at.path, span, reports);
            }
        }
        _ => {}
    }
}

/// `{key: db_password, value: ...}`: secret when the key's name says so.
fn variable(values: &Values<'_, '_>, key: &SecretKey, at: &AtPath<'_>, reports: &mut Reports) {
    let (Some(name), Some(value)) = (
        at.node.get("key").and_then(Node::as_str),
        at.node.get("value"),
    ) else {
        return;
    };
    let lower = name.to_ascii_lowercase();
    if !SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        return;
    }
    let (Some(text), Some((_, span, _))) = (value.as_str(), scalar_in(values.text, value)) else {
        return;
    };
    if is_yaml_null(text) || is_not_a_value(text) {
        return;
    }
    report(values, key, &format!("{}.value", at.path), span, reports);
}

/// Entries of `extraSecrets.<name>.data` / `stringData`: a YAML string (the chart's documented
/// form) or a mapping.
fn secret_data(values: &Values<'_, '_>, key: &SecretKey, at: &AtPath<'_>, reports: &mut Reports) {
    let base64 = at.path.ends_with(".data");
    for entry in data_entries(values.text, at.node) {
        if is_yaml_null(&entry.value) || is_not_a_value(&entry.value) {
            continue;
        }
        if base64 {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(entry.value.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            // Undecodable data is still reported: Kubernetes would reject it, but it is
            // probably a secret all the same.
            if decoded.is_some_and(|d| is_not_a_value(&d)) {
                continue;
            }
        }
        report(
            values,
            key,
            &format!("{}.{}", at.path, entry.key),
            entry.span,
            reports,
        );
    }
}
