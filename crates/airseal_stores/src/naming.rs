//! The name each Airflow secrets backend looks an id up under, from its `backend_kwargs`:
//! `{prefix}{sep}{id}` (AWS Secrets Manager, Google Secret Manager), SSM's forced leading `/`,
//! Azure Key Vault's `_`→`-`, Vault's `{mount_point}/{path}/{id}`. `None` when that kind is
//! switched off (`*_prefix: null`) or the id does not match `*_lookup_pattern` — Airflow would
//! never look there, so writing there would be dead.

use serde_json::{Map, Value};

use crate::SecretKind;

/// Which backend's kwargs [`Naming::from_kwargs`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    AwsSecretsManager,
    AwsParameterStore,
    Vault,
    GoogleSecretManager,
    AzureKeyVault,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    AwsSecretsManager {
        prefixes: Prefixes,
        sep: String,
    },
    AwsParameterStore {
        prefixes: Prefixes,
    },
    Vault {
        mount_point: String,
        prefixes: Prefixes,
    },
    GoogleSecretManager {
        prefixes: Prefixes,
        sep: String,
    },
    AzureKeyVault {
        prefixes: Prefixes,
        sep: String,
    },
}

/// Each kind's prefix (or Vault path) and lookup pattern; `None` prefix = not looked up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prefixes {
    pub connections: Option<String>,
    pub variables: Option<String>,
    pub config: Option<String>,
    /// `connections_lookup_pattern`, ... (Python `re.match`, case-insensitive).
    pub connections_lookup_pattern: Option<String>,
    pub variables_lookup_pattern: Option<String>,
    pub config_lookup_pattern: Option<String>,
}

impl Prefixes {
    fn of(&self, kind: SecretKind) -> (Option<&str>, Option<&str>) {
        match kind {
            SecretKind::Connection => (
                self.connections.as_deref(),
                self.connections_lookup_pattern.as_deref(),
            ),
            SecretKind::Variable => (
                self.variables.as_deref(),
                self.variables_lookup_pattern.as_deref(),
            ),
            SecretKind::Config => (
                self.config.as_deref(),
                self.config_lookup_pattern.as_deref(),
            ),
        }
    }
}

impl Naming {
    /// The naming of `backend` from its (effective) `backend_kwargs`: `*_prefix` (Vault:
    /// `*_path`, `mount_point`), `*_lookup_pattern`, `sep` (default `/` for AWS, `-` for
    /// Azure and Google, as the backends' constructors have it).
    pub fn from_kwargs(backend: Backend, kwargs: &Map<String, Value>) -> Naming {
        let text = |key: &str| kwargs.get(key).and_then(Value::as_str).map(str::to_owned);
        let (connections, variables, config) = match backend {
            Backend::Vault => ("connections_path", "variables_path", "config_path"),
            _ => ("connections_prefix", "variables_prefix", "config_prefix"),
        };
        let prefixes = Prefixes {
            connections: text(connections),
            variables: text(variables),
            config: text(config),
            connections_lookup_pattern: text("connections_lookup_pattern"),
            variables_lookup_pattern: text("variables_lookup_pattern"),
            config_lookup_pattern: text("config_lookup_pattern"),
        };
        let sep = |default: &str| text("sep").unwrap_or_else(|| default.to_owned());
        match backend {
            Backend::AwsSecretsManager => Naming::AwsSecretsManager {
                prefixes,
                sep: sep("/"),
            },
            Backend::AwsParameterStore => Naming::AwsParameterStore { prefixes },
            Backend::Vault => Naming::Vault {
                mount_point: text("mount_point").unwrap_or_else(|| "secret".to_owned()),
                prefixes,
            },
            Backend::AzureKeyVault => Naming::AzureKeyVault {
                prefixes,
                sep: sep("-"),
            },
            Backend::GoogleSecretManager => Naming::GoogleSecretManager {
                prefixes,
                sep: sep("-"),
            },
        }
    }

    /// The secret name Airflow looks `id` up under, or `None` when it never looks.
    /// `matches` decides a lookup pattern (Python `re.match(pattern, id, re.IGNORECASE)`); the
    /// caller supplies it so this crate needs no regex engine of its own.
    pub fn name(
        &self,
        kind: SecretKind,
        id: &str,
        matches: impl Fn(&str, &str) -> bool,
    ) -> Option<String> {
        let prefixes = match self {
            Naming::AwsSecretsManager { prefixes, .. }
            | Naming::AwsParameterStore { prefixes }
            | Naming::Vault { prefixes, .. }
            | Naming::GoogleSecretManager { prefixes, .. }
            | Naming::AzureKeyVault { prefixes, .. } => prefixes,
        };
        let (prefix, pattern) = prefixes.of(kind);
        let prefix = prefix?;
        if let Some(pattern) = pattern
            && !matches(pattern, id)
        {
            return None;
        }
        Some(match self {
            Naming::AwsSecretsManager { sep, .. } | Naming::GoogleSecretManager { sep, .. } => {
                // `build_path`: f"{prefix}{sep}{id}"; an empty prefix means the bare id.
                if prefix.is_empty() {
                    id.to_owned()
                } else {
                    format!("{prefix}{sep}{id}")
                }
            }
            Naming::AwsParameterStore { .. } => {
                let prefix = prefix.trim_end_matches('/');
                if prefix.starts_with('/') {
                    format!("{prefix}/{id}")
                } else {
                    format!("/{prefix}/{id}")
                }
            }
            Naming::AzureKeyVault { sep, .. } => format!("{prefix}{sep}{id}").replace('_', "-"),
            // An empty path means the id is the whole path under the mount.
            Naming::Vault { mount_point, .. } if prefix.is_empty() => {
                format!("{mount_point}/{id}")
            }
            Naming::Vault { mount_point, .. } => format!("{mount_point}/{prefix}/{id}"),
        })
    }

    /// The id Airflow would look up as `name` (the inverse of [`Naming::name`]), for listing a
    /// store: `None` when `name` is not one Airflow looks up for `kind`.
    pub fn id_of(
        &self,
        kind: SecretKind,
        name: &str,
        matches: impl Fn(&str, &str) -> bool,
    ) -> Option<String> {
        const MARK: &str = "\u{1}";
        let template = self.name(kind, MARK, |_, _| true)?;
        let (head, tail) = template.split_once(MARK)?;
        let id = name.strip_prefix(head)?.strip_suffix(tail)?;
        (!id.is_empty() && self.name(kind, id, matches).as_deref() == Some(name))
            .then(|| id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(connections: &str, variables: &str) -> Prefixes {
        Prefixes {
            connections: Some(connections.to_owned()),
            variables: Some(variables.to_owned()),
            ..Prefixes::default()
        }
    }

    #[test]
    fn names_per_backend() {
        let any = |_: &str, _: &str| true;
        let sm = Naming::AwsSecretsManager {
            prefixes: defaults("airflow/connections", "airflow/variables"),
            sep: "/".to_owned(),
        };
        assert_eq!(
            sm.name(SecretKind::Connection, "warehouse", any).as_deref(),
            Some("airflow/connections/warehouse")
        );
        assert_eq!(sm.name(SecretKind::Config, "fernet_key", any), None);
        let ssm = Naming::AwsParameterStore {
            prefixes: defaults("airflow/connections", "/airflow/variables/"),
        };
        assert_eq!(
            ssm.name(SecretKind::Connection, "x", any).as_deref(),
            Some("/airflow/connections/x")
        );
        assert_eq!(
            ssm.name(SecretKind::Variable, "y", any).as_deref(),
            Some("/airflow/variables/y")
        );
        let azure = Naming::AzureKeyVault {
            prefixes: defaults("airflow-connections", "airflow-variables"),
            sep: "-".to_owned(),
        };
        assert_eq!(
            azure
                .name(SecretKind::Connection, "smtp_default", any)
                .as_deref(),
            Some("airflow-connections-smtp-default")
        );
        let vault = Naming::Vault {
            mount_point: "secret".to_owned(),
            prefixes: defaults("connections", "variables"),
        };
        assert_eq!(
            vault.name(SecretKind::Connection, "db", any).as_deref(),
            Some("secret/connections/db")
        );
        let patterned = Naming::AwsSecretsManager {
            prefixes: Prefixes {
                connections_lookup_pattern: Some("^db_".to_owned()),
                ..defaults("airflow/connections", "airflow/variables")
            },
            sep: "/".to_owned(),
        };
        let starts = |pattern: &str, id: &str| id.starts_with(pattern.trim_start_matches('^'));
        assert_eq!(patterned.name(SecretKind::Connection, "web", starts), None);
    }
}
