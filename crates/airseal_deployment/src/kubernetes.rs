//! Kubernetes manifests (committed manifests, rendered charts, kustomize output, `kind: List`,
//! the User-Community chart's `extraManifests`): the objects the `KUB###` rules judge, and the
//! secret-looking environment names they share with the Helm values rules.

use std::borrow::Cow;

use airseal_yaml::Node;

use crate::helm::{Embedded, scalar_in};
use crate::settings::EnvEntry;

/// Whether a YAML document is a Kubernetes object.
pub fn is_object(document: &Node) -> bool {
    document.get("kind").and_then(Node::as_str).is_some()
        && document.get("apiVersion").and_then(Node::as_str).is_some()
}

/// Every object in a document: itself, or the `items` of a `kind: List`.
pub fn objects(document: &Node) -> Vec<&Node> {
    if !is_object(document) {
        return Vec::new();
    }
    if document.get("kind").and_then(Node::as_str) == Some("List") {
        return document
            .items_of("items")
            .iter()
            .filter(|n| is_object(n))
            .collect();
    }
    vec![document]
}

/// `metadata.name`, for messages.
pub fn name_of(object: &Node) -> &str {
    object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)")
}

/// Words in an environment variable's or a ConfigMap key's name that say it holds a secret.
const SECRET_NAME_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
];

/// Endings that name something about a secret rather than the secret itself.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "_FILE",
    "_PATH",
    "_NAME",
    "_ARN",
    "_ID",
    "_URL",
    "_DIR",
    "_ENABLED",
    "_TTL",
    "_EXPIRY",
    "_EXPIRATION",
    "_LENGTH",
    "_REF",
    "_KEY_ID",
    "_TYPE",
    "_MOUNT",
    "_VERSION",
];

/// Whether a variable / key name says its value is a secret (`DB_PASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`), not a pointer to one (`PASSWORD_FILE`, `SECRET_NAME`).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    SECRET_NAME_WORDS.iter().any(|w| upper.contains(w))
        && !NOT_SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// A literal that can be a secret: not empty, a reference, a placeholder, a path, a number or a
/// boolean.
pub fn is_secret_literal(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    !(crate::rules::is_yaml_null(value)
        || crate::rules::is_not_a_value(value)
        || value.starts_with('/')
        || value.starts_with("./")
        || value.parse::<f64>().is_ok()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        ))
}

/// Container `env: [{name, value}]` entries anywhere in an object, whatever their name.
pub fn container_env<'a>(text: &'a str, object: &Node) -> Vec<EnvEntry<'a>> {
    let mut out = Vec::new();
    walk_env(text, object, &mut out, 0);
    out
}

fn walk_env<'a>(text: &'a str, node: &Node, out: &mut Vec<EnvEntry<'a>>, depth: usize) {
    if depth > 64 {
        return;
    }
    for (key, value) in node.entries() {
        if key.as_str() == Some("env") {
            for item in value.items() {
                let (Some(name), Some(value)) =
                    (item.get("name").and_then(Node::as_str), item.get("value"))
                else {
                    continue;
                };
                if let Some((text, span, line)) = scalar_in(text, value) {
                    out.push(EnvEntry {
                        name: Cow::Owned(name.to_owned()),
                        value: text,
                        value_span: span,
                        line,
                    });
                }
            }
        }
        walk_env(text, value, out, depth + 1);
    }
    for item in node.items() {
        walk_env(text, item, out, depth + 1);
    }
}

/// One `data` / `stringData` entry of a Secret or ConfigMap, located in the file.
pub struct DataEntry<'a> {
    pub key: String,
    /// The value as YAML parsed it.
    pub value: String,
    /// The value's bytes in the file.
    pub raw: &'a str,
    pub span: std::ops::Range<usize>,
    pub line: usize,
}

/// The entries of a `data`-like mapping (or of a YAML string holding one, as the official
/// chart's `extraSecrets` / `extraConfigMaps` take it).
pub fn data_entries<'a>(text: &'a str, data: &Node) -> Vec<DataEntry<'a>> {
    let embedded = Embedded::of(text, data);
    let pairs: Vec<(&Node, &Node)> = match &embedded {
        Some(embedded) => embedded
            .documents
            .iter()
            .flat_map(|d| d.entries().iter().map(|(k, v)| (k, v)))
            .collect(),
        None => data.entries().iter().map(|(k, v)| (k, v)).collect(),
    };
    pairs
        .into_iter()
        .filter_map(|(key, value)| {
            let located = match &embedded {
                Some(embedded) => embedded.scalar_in(text, value),
                None => scalar_in(text, value),
            };
            let (raw, span, line) = located?;
            Some(DataEntry {
                key: key.as_str()?.to_owned(),
                value: value.as_str()?.to_owned(),
                raw,
                span,
                line,
            })
        })
        .collect()
}

trait ItemsOf {
    fn items_of(&self, key: &str) -> &[Node];
}

impl ItemsOf for Node {
    fn items_of(&self, key: &str) -> &[Node] {
        self.get(key).map(Node::items).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "slack-token",
            "API_KEY",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PASSWORD_FILE",
            "SECRET_NAME",
            "AWS_ACCESS_KEY_ID",
            "TOKEN_TTL",
            "HOST",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
        assert!(is_secret_literal("hunter2-Correct"));
        for value in [
            "",
            "~",
            "/run/secrets/x",
            "3600",
            "true",
            "${X}",
            "changeme",
        ] {
            assert!(!is_secret_literal(value), "{value}");
        }
    }
}
