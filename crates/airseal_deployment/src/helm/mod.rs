//! Helm values of the two Airflow charts (`HLM###` rules): which chart a file is for
//! ([`chart`]), the plain-text secret keys of each and their secure alternatives
//! ([`secret_keys`]), and the Airflow settings and container environment a values file carries
//! (`airflow.config`, `config:`, `env`, `extraEnv`), which the `CFG###` and `KUB###` rules judge
//! like any other configuration.
//!
//! Values files are plain YAML — Helm template expressions in them are quoted strings
//! (`"{{ .Release.Name }}"`), which parse as strings and are treated as references, never as
//! secrets. Strings that hold more YAML (the official chart's `extraEnv: |`, `extraSecrets.*.data`)
//! are parsed again and their findings mapped back to the exact file bytes.

pub mod chart;
pub mod secret_keys;

use std::borrow::Cow;

use airseal_yaml::{LiteralBlock, Node};

pub use chart::Chart;

use crate::settings::{EnvEntry, Origin, Setting};

/// A values file being checked.
pub struct Values<'a, 'n> {
    pub text: &'a str,
    pub root: &'n Node,
    pub chart: Chart,
}

/// A node at a concrete key path.
pub struct AtPath<'n> {
    /// `airflow.connections[2].password`.
    pub path: String,
    pub node: &'n Node,
}

/// Every node matching a pattern: dotted keys, `[]` after a key for every item of its list, `*`
/// for every value of a mapping (`extraSecrets.*.data`).
pub fn resolve<'n>(root: &'n Node, pattern: &str) -> Vec<AtPath<'n>> {
    let mut current = vec![AtPath {
        path: String::new(),
        node: root,
    }];
    for segment in pattern.split('.') {
        let (key, every_item) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (segment, false),
        };
        let mut next = Vec::new();
        for at in current {
            let join = |key: &str| {
                if at.path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{}.{key}", at.path)
                }
            };
            let children: Vec<(String, &Node)> = if key == "*" {
                at.node
                    .entries()
                    .iter()
                    .filter_map(|(k, v)| Some((join(k.as_str()?), v)))
                    .collect()
            } else {
                at.node
                    .get(key)
                    .map(|v| (join(key), v))
                    .into_iter()
                    .collect()
            };
            for (path, node) in children {
                if every_item {
                    for (index, item) in node.items().iter().enumerate() {
                        next.push(AtPath {
                            path: format!("{path}[{index}]"),
                            node: item,
                        });
                    }
                } else {
                    next.push(AtPath { path, node });
                }
            }
        }
        current = next;
    }
    current
}

/// A scalar that turns something on: anything but empty, `~`, `null`, `false`.
pub fn is_set(node: Option<&Node>) -> bool {
    match node {
        Some(Node::Scalar { value, quoted, .. }) => {
            *quoted && !value.is_empty()
                || !matches!(
                    value.as_str(),
                    "" | "~" | "null" | "Null" | "NULL" | "false" | "False"
                )
        }
        Some(Node::Mapping { entries, .. }) => !entries.is_empty(),
        Some(Node::Sequence { items, .. }) => !items.is_empty(),
        Some(Node::Alias { .. }) => true,
        None => false,
    }
}

/// A scalar `false`.
pub fn is_false(node: Option<&Node>) -> bool {
    matches!(
        node.and_then(Node::as_str),
        Some("false" | "False" | "FALSE")
    )
}

/// The exact bytes of a scalar in the file, with its span and line.
pub fn scalar_in<'a>(
    text: &'a str,
    node: &Node,
) -> Option<(&'a str, std::ops::Range<usize>, usize)> {
    let Node::Scalar { span, line, .. } = node else {
        return None;
    };
    Some((text.get(span.clone())?, span.clone(), *line))
}

/// A string value that holds more YAML (`extraEnv: |`, `extraSecrets.x.data: |`), parsed, with
/// a mapper back to the file. `None` for anything but a literal block holding valid YAML.
pub struct Embedded {
    pub value: String,
    pub documents: Vec<Node>,
    pub block: LiteralBlock,
}

impl Embedded {
    pub fn of(text: &str, node: &Node) -> Option<Embedded> {
        let block = LiteralBlock::of(text, node)?;
        let value = node.as_str()?.to_owned();
        let documents = airseal_yaml::parse_documents(&value).ok()?;
        Some(Embedded {
            value,
            documents,
            block,
        })
    }

    /// The file bytes, span and line of a scalar inside the embedded YAML.
    pub fn scalar_in<'a>(
        &self,
        text: &'a str,
        node: &Node,
    ) -> Option<(&'a str, std::ops::Range<usize>, usize)> {
        let Node::Scalar { span, .. } = node else {
            return None;
        };
        let mapped = self.block.map(text, &self.value, span.clone())?;
        Some((
            text.get(mapped.clone())?,
            mapped,
            self.block.line_of(span.start),
        ))
    }
}

/// Container environment lists anywhere in the values (`env`, `extraEnv`, `*.extraEnv`, the
/// official chart's `extraEnv: |` string): every `{name, value}` entry, whatever its name.
pub fn environment<'a>(values: &Values<'a, '_>) -> Vec<EnvEntry<'a>> {
    let mut out = Vec::new();
    env_lists(values.text, values.root, &mut out, 0);
    out
}

fn env_lists<'a>(text: &'a str, node: &Node, out: &mut Vec<EnvEntry<'a>>, depth: usize) {
    if depth > 64 {
        return;
    }
    for (key, value) in node.entries() {
        if matches!(key.as_str(), Some("env" | "extraEnv")) {
            match Embedded::of(text, value) {
                Some(embedded) => {
                    for document in &embedded.documents {
                        for item in document.items() {
                            if let Some(entry) = env_item(item, |n| embedded.scalar_in(text, n)) {
                                out.push(entry);
                            }
                        }
                    }
                }
                None => {
                    for item in value.items() {
                        if let Some(entry) = env_item(item, |n| scalar_in(text, n)) {
                            out.push(entry);
                        }
                    }
                }
            }
        }
        env_lists(text, value, out, depth + 1);
    }
    for item in node.items() {
        env_lists(text, item, out, depth + 1);
    }
}

fn env_item<'a>(
    item: &Node,
    locate: impl Fn(&Node) -> Option<(&'a str, std::ops::Range<usize>, usize)>,
) -> Option<EnvEntry<'a>> {
    let name = item.get("name")?.as_str()?;
    let (value, value_span, line) = locate(item.get("value")?)?;
    Some(EnvEntry {
        name: Cow::Owned(name.to_owned()),
        value,
        value_span,
        line,
    })
}

/// The Airflow settings written in the values: the User-Community chart's `airflow.config`
/// (`AIRFLOW__SECTION__KEY: value`, returned as environment entries) and the official chart's
/// `config:` (`section: {key: value}`).
pub fn airflow_config<'a>(values: &Values<'a, '_>) -> (Vec<Setting<'a>>, Vec<EnvEntry<'a>>) {
    let mut settings = Vec::new();
    let mut entries = Vec::new();
    match values.chart {
        Chart::UserCommunity => {
            for at in resolve(values.root, "airflow.config") {
                for (key, value) in at.node.entries() {
                    let (Some(name), Some((text, span, line))) =
                        (key.as_str(), scalar_in(values.text, value))
                    else {
                        continue;
                    };
                    entries.push(EnvEntry {
                        name: Cow::Owned(name.to_owned()),
                        value: text,
                        value_span: span,
                        line,
                    });
                }
            }
        }
        Chart::Official => {
            for at in resolve(values.root, "config") {
                for (section, options) in at.node.entries() {
                    let Some(section) = section.as_str() else {
                        continue;
                    };
                    for (key, value) in options.entries() {
                        let (Some(key), Some((text, span, line))) =
                            (key.as_str(), scalar_in(values.text, value))
                        else {
                            continue;
                        };
                        settings.push(Setting {
                            section: section.to_ascii_lowercase(),
                            key: key.to_ascii_lowercase(),
                            value: text,
                            value_span: span,
                            line,
                            origin: Origin::ChartConfig,
                        });
                    }
                }
            }
        }
    }
    (settings, entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_lists_and_wildcards() {
        let text = "airflow:\n  users:\n    - password: a\n    - password: b\nextraSecrets:\n  one:\n    data: x\n  two:\n    data: y\n";
        let docs = airseal_yaml::parse_documents(text).unwrap_or_default();
        let paths: Vec<String> = resolve(&docs[0], "airflow.users[].password")
            .into_iter()
            .map(|a| a.path)
            .collect();
        assert_eq!(
            paths,
            ["airflow.users[0].password", "airflow.users[1].password"]
        );
        let paths: Vec<String> = resolve(&docs[0], "extraSecrets.*.data")
            .into_iter()
            .map(|a| a.path)
            .collect();
        assert_eq!(paths, ["extraSecrets.one.data", "extraSecrets.two.data"]);
    }

    #[test]
    fn embedded_env_maps_to_the_file() {
        let text = "extraEnv: |\n  - name: AIRFLOW__CORE__FERNET_KEY\n    value: 'abc'\nenv:\n  - name: B\n    value: c\n";
        let docs = airseal_yaml::parse_documents(text).unwrap_or_default();
        let values = Values {
            text,
            root: &docs[0],
            chart: Chart::Official,
        };
        let found: Vec<(String, &str, usize)> = environment(&values)
            .into_iter()
            .map(|e| (e.name.into_owned(), e.value, e.line))
            .collect();
        assert_eq!(
            found,
            [
                ("AIRFLOW__CORE__FERNET_KEY".to_owned(), "abc", 3),
                ("B".to_owned(), "c", 6)
            ]
        );
    }
}
