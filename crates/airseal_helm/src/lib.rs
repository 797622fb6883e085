//! `airseal helm externalize`: turn a values file of either Airflow chart that holds secrets in
//! plain text (or as `airseal:` references, [`reference`]) into
//!
//! - the secrets to write to the store (the same [`SourceSecret`]s `airseal migrate` plans and
//!   applies, under Airflow's names),
//! - Kubernetes manifests that materialise them as Secrets: External Secrets Operator
//!   `SecretStore` + `ExternalSecret`s, or Secrets Store CSI `SecretProviderClass`es
//!   ([`manifests`]),
//! - a values overlay that points every secret key at those Secrets with the chart's own
//!   mechanism ([`charts`]), computed as the smallest Helm overlay ([`values_tree`]),
//! - and, with `direct_backend`, the `[secrets]` configuration for Airflow to read connections
//!   and Variables from the store itself.
//!
//! Nothing here talks to a store or a cluster: the CLI applies the plan through
//! `airseal_migrate` and scans the merged values with the scan engine.

pub mod charts;
pub mod manifests;
pub mod provider;
pub mod reference;
pub mod values_tree;

use std::collections::BTreeMap;

use airseal_deployment::Chart;
use airseal_migrate::sources::SourceSecret;
use airseal_stores::SecretKind;
use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value;

pub use provider::Provider;
pub use reference::Reference;
pub use values_tree::KeyPath;

/// How the Secrets reach Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// External Secrets Operator: `SecretStore` + `ExternalSecret` per Kubernetes Secret.
    ExternalSecrets,
    /// Secrets Store CSI driver: `SecretProviderClass` with `secretObjects` sync.
    Csi,
}

impl Method {
    pub fn parse(text: &str) -> Option<Method> {
        match text {
            "external-secrets" | "eso" => Some(Method::ExternalSecrets),
            "csi" => Some(Method::Csi),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Method::ExternalSecrets => "external-secrets",
            Method::Csi => "csi",
        }
    }
}

/// Where the provider lives; what a `SecretStore` / `SecretProviderClass` skeleton needs.
/// Anything not given is written as a `<...>` placeholder the manifests' reader must fill, and
/// listed in [`Externalized::notes`].
#[derive(Debug, Clone, Default)]
pub struct ProviderSettings {
    /// AWS region (`--region`, else `AWS_REGION`).
    pub region: Option<String>,
    /// Vault address (`--vault-addr`, else `VAULT_ADDR`).
    pub vault_addr: Option<String>,
    /// The Vault Kubernetes-auth role.
    pub vault_role: Option<String>,
    /// `https://<name>.vault.azure.net/`.
    pub azure_vault_url: Option<String>,
    pub azure_tenant_id: Option<String>,
    pub gcp_project: Option<String>,
    /// The cloud identity pods get through their service account: an IAM role ARN (IRSA), an
    /// Azure client id, a Google service account email.
    pub identity: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub chart: Chart,
    pub provider: Provider,
    pub method: Method,
    /// The Helm release name: the charts prefix their objects with it.
    pub release: String,
    pub namespace: Option<String>,
    /// Name of the `SecretStore` (ESO) or `SecretProviderClass` (CSI) for `provider`.
    pub store: String,
    /// The backend kwargs naming the secrets, with the backend's defaults filled in.
    pub kwargs: Map<String, Json>,
    /// Airflow reads connections and Variables from the store itself (`[secrets] backend`).
    pub direct_backend: bool,
    pub settings: ProviderSettings,
    /// ESO `refreshInterval`.
    pub refresh_interval: String,
}

/// A Kubernetes Secret key the chart reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

/// Where a slot's value lives in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub provider: Provider,
    /// The store's name for it (`airflow/connections/warehouse`; Vault `secret/connections/x`).
    pub name: String,
    /// A key inside a JSON (or Vault KV) secret.
    pub property: Option<String>,
}

/// One secret of the values and where it goes.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Where it was written in the values.
    pub path: KeyPath,
    pub what: String,
    /// The Kubernetes Secret key the chart will read instead; `None` when Airflow reads the
    /// store itself (a connection or Variable with `direct_backend`).
    pub target: Option<SecretKeyRef>,
    pub remote: Remote,
    /// Go template (ESO `target.template`) that builds the Secret value from the remote value,
    /// bound as `{{ .value }}`; for a URI built from a referenced password.
    pub template: Option<String>,
    /// What to write to the store; `None` when the value was a reference.
    pub migrate: Option<SourceSecret>,
}

/// Something in the values that cannot be externalized as asked; names the key path, never
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Externalized {
    pub chart: Chart,
    pub slots: Vec<Slot>,
    /// The values after the switch (original merged with [`Externalized::overlay`]).
    pub merged: Value,
    /// What to pass as one more `-f`.
    pub overlay: Value,
    /// Kubernetes objects, in apply order.
    pub manifests: Vec<Json>,
    pub problems: Vec<Problem>,
    /// Placeholders left in the manifests and steps the user still takes.
    pub notes: Vec<String>,
    /// Values keys the chart module wrote on purpose (`*SecretName`, templates, `extraEnv`).
    pub written: Vec<KeyPath>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExternalizeError {
    #[error("{path}: not valid YAML (line {line}): {message}")]
    Yaml {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{0}: the values are not a YAML mapping")]
    NotAMapping(String),
    #[error(
        "{0}: cannot tell which Airflow chart these values are for; pass --chart user-community or --chart official"
    )]
    UnknownChart(String),
}

/// Parses a values file; errors name the file and line but never quote it (serde's message
/// can hold a fragment of the offending scalar, so only its location survives).
pub fn parse_values(path: &str, text: &str) -> Result<Value, ExternalizeError> {
    let value: Value = if text.trim().is_empty() {
        Value::Mapping(Default::default())
    } else {
        serde_yaml_ng::from_str(text).map_err(|error| ExternalizeError::Yaml {
            path: path.to_owned(),
            line: error.location().map_or(0, |l| l.line()),
            message: yaml_error_kind(&error),
        })?
    };
    match value {
        Value::Mapping(_) => Ok(value),
        Value::Null => Ok(Value::Mapping(Default::default())),
        _ => Err(ExternalizeError::NotAMapping(path.to_owned())),
    }
}

/// serde_yaml_ng's messages quote the scalar at fault in a few cases ("invalid type: string
/// \"...\""); keep the kind of error only.
fn yaml_error_kind(error: &serde_yaml_ng::Error) -> String {
    let text = error.to_string();
    let first = text.split(" at line").next().unwrap_or(&text);
    if first.contains('"') || first.contains('`') {
        "the document does not parse".to_owned()
    } else {
        first.to_owned()
    }
}

/// The chart the values are for: `given`, else from their shape.
pub fn chart_of(path: &str, text: &str, given: Option<Chart>) -> Result<Chart, ExternalizeError> {
    if let Some(chart) = given {
        return Ok(chart);
    }
    airseal_yaml::parse_documents(text)
        .ok()
        .and_then(|documents| {
            documents
                .first()
                .and_then(airseal_deployment::helm::chart::detect)
        })
        .ok_or_else(|| ExternalizeError::UnknownChart(path.to_owned()))
}

/// Builds everything from parsed values. `source_path` names the file in problems and in the
/// migration sources.
pub fn externalize(source_path: &str, values: &Value, options: &Options) -> Externalized {
    let mut work = charts::Work::new(source_path, values, options);
    match options.chart {
        Chart::UserCommunity => charts::user_community::externalize(&mut work),
        Chart::Official => charts::official::externalize(&mut work),
    }
    if options.direct_backend {
        charts::direct_backend(&mut work);
    }
    let manifests = match options.method {
        Method::ExternalSecrets => {
            manifests::external_secrets::manifests(&work.slots, options, &mut work.notes)
        }
        Method::Csi => {
            let manifests = manifests::csi::manifests(
                &work.slots,
                options,
                &mut work.problems,
                &mut work.notes,
            );
            let classes = manifests::csi::class_names(&manifests);
            charts::mount_csi(&mut work, &classes);
            if !classes.is_empty() && !options.direct_backend {
                charts::annotate_service_accounts(&mut work);
            }
            manifests
        }
    };
    let charts::Work {
        slots,
        changed,
        mut problems,
        mut notes,
        written,
        ..
    } = work;
    let overlay = values_tree::overlay(values, &changed)
        .unwrap_or_else(|| Value::Mapping(Default::default()));
    let merged = values_tree::merge(values, &overlay);
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    problems.dedup();
    notes.sort();
    notes.dedup();
    Externalized {
        chart: options.chart,
        slots,
        merged,
        overlay,
        manifests,
        problems,
        notes,
        written,
    }
}

/// Values leaves the externalization changed that are not secrets it moved: every path where
/// the original and the merged values differ must lie under a slot or under a key the chart
/// module wrote on purpose (`*SecretName`, templates, `extraEnv`, ...). The CLI refuses to
/// write an overlay for which this is not empty.
pub fn unexpected_changes(original: &Value, result: &Externalized) -> Vec<KeyPath> {
    values_tree::differences(original, &result.merged)
        .into_iter()
        .filter(|path| {
            !result
                .slots
                .iter()
                .any(|s| path.starts_with(&s.path) || s.path.starts_with(path))
                && !result
                    .written
                    .iter()
                    .any(|w| path.starts_with(w) || w.starts_with(path))
        })
        .collect()
}

/// The Secrets the slots need, each with its keys, sorted.
pub fn target_secrets(slots: &[Slot]) -> BTreeMap<String, Vec<&Slot>> {
    let mut out: BTreeMap<String, Vec<&Slot>> = BTreeMap::new();
    for slot in slots {
        let Some(target) = &slot.target else { continue };
        let keys = out.entry(target.name.clone()).or_default();
        if !keys
            .iter()
            .any(|s| s.target.as_ref().map(|t| &t.key) == Some(&target.key))
        {
            keys.push(slot);
        }
    }
    out
}

/// The property a migrated value is read from in the store: connections are JSON objects
/// (Vault: KV fields with Airflow's key names), Variables and config values plain text (Vault:
/// the `value` field).
pub fn stored_property(
    provider: Provider,
    kind: SecretKind,
    field: Option<&str>,
) -> Option<String> {
    match (kind, provider) {
        (SecretKind::Connection, _) => field.map(str::to_owned),
        (_, Provider::Vault) => Some("value".to_owned()),
        _ => None,
    }
}
