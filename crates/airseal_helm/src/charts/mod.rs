//! What each chart needs changed: [`user_community`] (airflow-helm/charts) and [`official`]
//! (apache/airflow). Both work on a [`Work`]: the original values, the values being changed,
//! and the slots found so far. The helpers here decide what a value is (plain text, a
//! reference, or nothing to move) and name its place in the store.

pub mod official;
pub mod user_community;

use airseal_connection::Connection;
use airseal_migrate::sources::{Origin, SourceSecret, is_literal};
use airseal_stores::{SecretKind, SecretValue};
use serde_json::Value as Json;
use serde_yaml_ng::Value;

use crate::reference::Reference;
use crate::values_tree::{self, KeyPath};
use crate::{Options, Problem, Provider, Remote, SecretKeyRef, Slot, stored_property};

pub struct Work<'a> {
    pub source_path: &'a str,
    pub original: &'a Value,
    pub changed: Value,
    pub options: &'a Options,
    pub slots: Vec<Slot>,
    pub problems: Vec<Problem>,
    pub notes: Vec<String>,
    pub written: Vec<KeyPath>,
}

/// A value at a secret key.
pub enum Found {
    Plain(String),
    Reference(Reference),
}

/// What goes into the store for a plain value.
pub struct Item {
    pub kind: SecretKind,
    pub id: String,
    pub value: SecretValue,
    /// For a connection, the JSON field the Kubernetes Secret key takes (`password`).
    pub field: Option<&'static str>,
    pub written_as: String,
}

impl<'a> Work<'a> {
    pub fn new(source_path: &'a str, original: &'a Value, options: &'a Options) -> Work<'a> {
        Work {
            source_path,
            original,
            changed: original.clone(),
            options,
            slots: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            written: Vec::new(),
        }
    }

    pub fn at(&self, path: &KeyPath) -> Option<&'a Value> {
        values_tree::get(self.original, path)
    }

    /// The text at `path` when it is a string (or a number: YAML `password: 1234`).
    pub fn text(&self, path: &KeyPath) -> Option<String> {
        scalar_text(self.at(path)?)
    }

    pub fn problem(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// What sits at `path`: a plain secret, a reference, or nothing to move (absent, empty,
    /// a template expression or placeholder). A malformed reference is a problem.
    pub fn found(&mut self, path: &KeyPath) -> Option<Found> {
        let text = self.text(path)?;
        match Reference::parse(&text) {
            Ok(Some(reference)) => Some(Found::Reference(reference)),
            Err(error) => {
                self.problem(path, error.to_string());
                None
            }
            Ok(None) if is_literal(&text) && !is_placeholder(&text) => Some(Found::Plain(text)),
            Ok(None) => None,
        }
    }

    /// Like [`Work::found`] for a value read from embedded YAML (an `extraSecrets` block),
    /// where no values path reaches it.
    pub fn found_text(&mut self, path: &KeyPath, text: &str) -> Option<Found> {
        match Reference::parse(text) {
            Ok(Some(reference)) => Some(Found::Reference(reference)),
            Err(error) => {
                self.problem(path, error.to_string());
                None
            }
            Ok(None) if is_literal(text) && !is_placeholder(text) => {
                Some(Found::Plain(text.to_owned()))
            }
            Ok(None) => None,
        }
    }

    /// The Kubernetes Secret for one purpose: `<release>-airseal-<purpose>`.
    pub fn secret_name(&self, purpose: &str) -> String {
        format!("{}-airseal-{purpose}", self.options.release)
    }

    /// Records a slot for a plain value: its store name from the backend naming.
    pub fn add_plain(
        &mut self,
        path: &KeyPath,
        what: &str,
        target: Option<SecretKeyRef>,
        item: Item,
    ) -> bool {
        let provider = self.options.provider;
        let naming = provider.naming(&self.options.kwargs);
        let Some(name) = naming.name(item.kind, &item.id, lookup_pattern_matches) else {
            self.problem(
                path,
                format!(
                    "the {} backend never looks up {} `{}` (its prefix is off or its lookup pattern does not match): set `{}` in --backend-kwargs",
                    provider.title(),
                    item.kind.name(),
                    item.id,
                    prefix_kwarg(provider, item.kind)
                ),
            );
            return false;
        };
        if let Some(rule) = provider.name_rule_broken(&name) {
            self.problem(
                path,
                format!("{} cannot hold the name `{name}`: {rule}", provider.title()),
            );
            return false;
        }
        if let SecretValue::Text(text) = &item.value
            && is_public_default(self.options.chart, path, text)
        {
            self.notes.push(format!(
                "{path}: the value is the chart's own public default; it is moved as it is (the running deployment uses it), rotate it after the switch"
            ));
        }
        let property = stored_property(provider, item.kind, item.field);
        self.slots.push(Slot {
            path: path.clone(),
            what: what.to_owned(),
            target,
            remote: Remote {
                provider,
                name,
                property,
            },
            template: None,
            migrate: Some(SourceSecret {
                kind: item.kind,
                id: item.id,
                value: item.value,
                path: self.source_path.to_owned(),
                line: 0,
                written_as: item.written_as,
                origin: Origin::ChartValues,
            }),
        });
        true
    }

    pub fn add_reference(
        &mut self,
        path: &KeyPath,
        what: &str,
        target: SecretKeyRef,
        reference: Reference,
        template: Option<String>,
    ) {
        self.slots.push(Slot {
            path: path.clone(),
            what: what.to_owned(),
            target: Some(target),
            remote: Remote {
                provider: reference.provider,
                name: reference.name,
                property: reference.property,
            },
            template,
            migrate: None,
        });
    }

    /// Sets a values key in the result and records it as written on purpose.
    pub fn set(&mut self, path: &KeyPath, value: Value) {
        values_tree::set(&mut self.changed, path, value);
        self.written.push(path.clone());
    }

    /// Removes a values key from the result (the overlay writes `null` for it).
    pub fn delete(&mut self, path: &KeyPath) {
        values_tree::remove(&mut self.changed, path);
        self.written.push(path.clone());
    }
}

/// A chart's own default for the key at `path` (`airflow.users[0].password` matches the
/// pattern `airflow.users[].password`), public to everyone who reads the chart.
fn is_public_default(chart: airseal_deployment::Chart, path: &KeyPath, value: &str) -> bool {
    let pattern = path
        .0
        .iter()
        .map(|s| match s {
            values_tree::Segment::Key(k) => format!(".{k}"),
            values_tree::Segment::Index(_) => "[]".to_owned(),
        })
        .collect::<String>();
    let pattern = pattern.trim_start_matches('.');
    airseal_deployment::helm::secret_keys::of(chart)
        .any(|k| k.path == pattern && k.public_defaults.contains(&value))
}

/// `${NAME}` templates of the User-Community chart, `{{ ... }}` Helm expressions and obvious
/// placeholders are references to something else, not secrets.
fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.contains("${") || t.contains("{{") || (t.starts_with('<') && t.ends_with('>'))
}

pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(tagged) => scalar_text(&tagged.value),
        _ => None,
    }
}

/// Airflow's `*_lookup_pattern` is `re.match(pattern, id, re.IGNORECASE)`.
fn lookup_pattern_matches(pattern: &str, id: &str) -> bool {
    regex::RegexBuilder::new(&format!("^(?:{pattern})"))
        .case_insensitive(true)
        .build()
        .is_ok_and(|re| re.is_match(id))
}

fn prefix_kwarg(provider: Provider, kind: SecretKind) -> String {
    let noun = match kind {
        SecretKind::Connection => "connections",
        SecretKind::Variable => "variables",
        SecretKind::Config => "config",
    };
    match provider {
        Provider::Vault => format!("{noun}_path"),
        _ => format!("{noun}_prefix"),
    }
}

/// A connection from the User-Community chart's `airflow.connections[]` fields.
pub fn connection_of(item: &Value) -> Connection {
    let text = |key: &str| {
        item.get(key)
            .and_then(scalar_text)
            .filter(|v| !v.is_empty())
    };
    Connection {
        conn_type: text("type"),
        description: text("description"),
        host: text("host"),
        login: text("login"),
        password: text("password"),
        schema: text("schema"),
        port: text("port").and_then(|p| p.trim().parse().ok()),
        extra: text("extra").or_else(|| {
            // `extra` may be written as a mapping; Airflow takes it as its JSON text.
            item.get("extra")
                .filter(|e| e.is_mapping())
                .and_then(|e| serde_json::to_value(e).ok())
                .map(|j: Json| j.to_string())
        }),
    }
}

/// Adds `[secrets] backend` / `backend_kwargs` for Airflow to read connections and Variables
/// from the store itself, in the chart's config keys, and the service-account annotation that
/// gives the pods their cloud identity.
pub fn direct_backend(work: &mut Work<'_>) {
    let options = work.options;
    let provider = options.provider;
    let class = provider.backend_class();
    let kwargs = Json::Object(options.kwargs.clone()).to_string();
    match options.chart {
        airseal_deployment::Chart::UserCommunity => {
            let config = KeyPath::parse("airflow.config");
            work.set(&config.key("AIRFLOW__SECRETS__BACKEND"), Value::from(class));
            work.set(
                &config.key("AIRFLOW__SECRETS__BACKEND_KWARGS"),
                Value::from(kwargs),
            );
        }
        airseal_deployment::Chart::Official => {
            let secrets = KeyPath::parse("config.secrets");
            work.set(&secrets.key("backend"), Value::from(class));
            work.set(&secrets.key("backend_kwargs"), Value::from(kwargs));
        }
    }
    annotate_service_accounts(work);
}

/// Annotates the Airflow service accounts with the provider's cloud identity (IRSA role ARN,
/// Azure client id, Google service account): what pods need when they read the store
/// themselves, through Airflow's backend or the CSI driver.
pub fn annotate_service_accounts(work: &mut Work<'_>) {
    let options = work.options;
    let provider = options.provider;
    let accounts: &[&str] = match options.chart {
        airseal_deployment::Chart::UserCommunity => &["serviceAccount"],
        airseal_deployment::Chart::Official => official::SERVICE_ACCOUNTS,
    };
    match (provider.identity_annotation(), &options.settings.identity) {
        (Some(annotation), Some(identity)) => {
            for account in accounts {
                let path = KeyPath::parse(account).key("annotations").key(annotation);
                work.set(&path, Value::from(identity.as_str()));
            }
            if provider == Provider::AzureKeyVault {
                work.notes.push(
                    "Azure workload identity also needs the pod label `azure.workload.identity/use: \"true\"` on every Airflow pod (see docs/helm.md)".to_owned(),
                );
            }
        }
        (Some(annotation), None) => work.notes.push(format!(
            "pass --identity to annotate the Airflow service accounts with `{annotation}` (the identity that may read the {} secrets)",
            provider.title()
        )),
        (None, _) => work.notes.push(
            "Vault: bind a Vault Kubernetes-auth role to the Airflow service accounts (VaultBackend: `auth_type: kubernetes`, `kubernetes_role` in --backend-kwargs)".to_owned(),
        ),
    }
}

/// Mounts each CSI `SecretProviderClass` into every Airflow container (the driver syncs
/// `secretObjects` into Secrets only while some pod mounts the volume).
pub fn mount_csi(work: &mut Work<'_>, classes: &[String]) {
    if classes.is_empty() {
        return;
    }
    let (volumes_at, mounts_at) = match work.options.chart {
        airseal_deployment::Chart::UserCommunity => {
            ("airflow.extraVolumes", "airflow.extraVolumeMounts")
        }
        airseal_deployment::Chart::Official => ("volumes", "volumeMounts"),
    };
    for (at, index) in [(volumes_at, 0), (mounts_at, 1)] {
        let path = KeyPath::parse(at);
        let mut items = match values_tree::get(&work.changed, &path) {
            Some(Value::Sequence(items)) => items.clone(),
            _ => Vec::new(),
        };
        for class in classes {
            let pair = crate::manifests::csi::volume(class);
            let item = if index == 0 { pair.0 } else { pair.1 };
            let item = serde_yaml_ng::to_value(item).unwrap_or(Value::Null);
            if !items.contains(&item) {
                items.push(item);
            }
        }
        work.set(&path, Value::Sequence(items));
    }
}

/// A container environment variable that holds a secret airseal moves: `AIRFLOW_CONN_*`,
/// secret-named `AIRFLOW_VAR_*` (as `airseal migrate` reads them) and sensitive
/// `AIRFLOW__SECTION__KEY` options (not `_CMD` / `_SECRET`, which already point elsewhere).
pub fn env_item(work: &mut Work<'_>, path: &KeyPath, name: &str, value: &str) -> Option<Item> {
    if let Some(rest) = name.strip_prefix("AIRFLOW__") {
        let (section, key) = rest.split_once("__")?;
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        if section == "secrets"
            || key.ends_with("_cmd")
            || key.ends_with("_secret") && key != "jwt_secret"
            || airseal_deployment::sensitive_in(&section, &key).is_none()
        {
            return None;
        }
        return Some(Item {
            kind: SecretKind::Config,
            id: key,
            value: SecretValue::Text(value.to_owned()),
            field: None,
            written_as: name.to_owned(),
        });
    }
    let mut sources = airseal_migrate::sources::Sources::default();
    airseal_migrate::sources::environment_secret(
        name,
        value,
        work.source_path,
        0,
        Origin::ChartValues,
        &mut sources,
    );
    for problem in sources.problems {
        work.problem(path, problem.message);
    }
    let secret = sources.secrets.pop()?;
    Some(Item {
        kind: secret.kind,
        id: secret.id,
        value: secret.value,
        field: None,
        written_as: name.to_owned(),
    })
}

/// `{name, valueFrom: {secretKeyRef: {name, key}}}`.
pub fn env_from_secret(name: &str, target: &SecretKeyRef) -> Value {
    serde_yaml_ng::to_value(serde_json::json!({
        "name": name,
        "valueFrom": {"secretKeyRef": {"name": target.name, "key": target.key}},
    }))
    .unwrap_or(Value::Null)
}

/// A name fit for a Kubernetes Secret key (`[-._a-zA-Z0-9]+`).
pub fn secret_key_name(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "value".to_owned()
    } else {
        cleaned
    }
}

/// A `${NAME}` template name of the User-Community chart (upper-case word characters).
pub fn template_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Go's `url.QueryEscape`, what the charts' `urlquery` does to a password in a URI.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A values key whose whole value is one secret, moved to one Kubernetes Secret key.
pub struct Whole {
    pub path: &'static str,
    pub what: &'static str,
    /// `<release>-airseal-<purpose>`.
    pub purpose: &'static str,
    /// The data key the chart reads from the Secret.
    pub key: &'static str,
    /// The store id (config kind): the Airflow option's key where it is one.
    pub id: &'static str,
}

/// Records the slot of a [`Whole`] key; the Secret key it now lives in, when there was one.
pub fn whole(work: &mut Work<'_>, spec: &Whole) -> Option<SecretKeyRef> {
    let path = KeyPath::parse(spec.path);
    let found = work.found(&path)?;
    let target = SecretKeyRef {
        name: work.secret_name(spec.purpose),
        key: spec.key.to_owned(),
    };
    match found {
        Found::Plain(value) => {
            let item = Item {
                kind: SecretKind::Config,
                id: spec.id.to_owned(),
                value: SecretValue::Text(value),
                field: None,
                written_as: spec.path.to_owned(),
            };
            if !work.add_plain(&path, spec.what, Some(target.clone()), item) {
                return None;
            }
        }
        Found::Reference(reference) => {
            work.add_reference(&path, spec.what, target.clone(), reference, None);
        }
    }
    Some(target)
}
