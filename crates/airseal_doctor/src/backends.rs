//! The secrets backends airseal knows: how each names connections, Variables and config values
//! (from the providers' code, ../shared/docs/airflow-secrets.md §2), and which `__init__`
//! keyword arguments each accepts in which provider version (`data/backend-kwargs.tsv`,
//! generated from the wheels on PyPI by scripts/backend-kwargs.py).

use std::sync::LazyLock;

use serde::Serialize;

/// The kinds of value a backend looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Connections,
    Variables,
    Config,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Connections, Kind::Variables, Kind::Config];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Connections => "connections",
            Kind::Variables => "variables",
            Kind::Config => "config",
        }
    }
}

/// How a backend forms names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `{prefix}{sep}{id}` (AWS Secrets Manager, Google Secret Manager).
    PrefixSep,
    /// SSM Parameter Store: `{prefix}/{id}` with a leading `/` forced.
    ParameterStore,
    /// Azure Key Vault: `{prefix}{sep}{id}` with every `_` replaced by `-`.
    AzureKeyVault,
    /// Vault KV: `{mount_point}/{path}/{id}`.
    Vault,
    /// Local files: `connections_file_path` / `variables_file_path`.
    LocalFiles,
}

/// A known backend class.
#[derive(Debug, Clone, Copy)]
pub struct Backend {
    pub class: &'static str,
    pub name: &'static str,
    pub naming: Naming,
    /// The kwarg naming each kind's prefix / path, and its default (None: off by default).
    pub prefixes: [(&'static str, Option<&'static str>); 3],
    pub default_sep: &'static str,
}

pub const BACKENDS: &[Backend] = &[
    Backend {
        class: "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
        name: "AWS Secrets Manager",
        naming: Naming::PrefixSep,
        prefixes: [
            ("connections_prefix", Some("airflow/connections")),
            ("variables_prefix", Some("airflow/variables")),
            ("config_prefix", Some("airflow/config")),
        ],
        default_sep: "/",
    },
    Backend {
        class: "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
        name: "AWS SSM Parameter Store",
        naming: Naming::ParameterStore,
        prefixes: [
            ("connections_prefix", Some("/airflow/connections")),
            ("variables_prefix", Some("/airflow/variables")),
            ("config_prefix", Some("/airflow/config")),
        ],
        default_sep: "/",
    },
    Backend {
        class: "airflow.providers.hashicorp.secrets.vault.VaultBackend",
        name: "HashiCorp Vault",
        naming: Naming::Vault,
        prefixes: [
            ("connections_path", Some("connections")),
            ("variables_path", Some("variables")),
            ("config_path", Some("config")),
        ],
        default_sep: "/",
    },
    Backend {
        class: "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
        name: "Google Secret Manager",
        naming: Naming::PrefixSep,
        prefixes: [
            ("connections_prefix", Some("airflow-connections")),
            ("variables_prefix", Some("airflow-variables")),
            ("config_prefix", Some("airflow-config")),
        ],
        default_sep: "-",
    },
    Backend {
        class: "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
        name: "Azure Key Vault",
        naming: Naming::AzureKeyVault,
        prefixes: [
            ("connections_prefix", Some("airflow-connections")),
            ("variables_prefix", Some("airflow-variables")),
            ("config_prefix", Some("airflow-config")),
        ],
        default_sep: "-",
    },
    Backend {
        class: "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        name: "local files",
        naming: Naming::LocalFiles,
        prefixes: [
            ("connections_file_path", None),
            ("variables_file_path", None),
            ("configs_file_path", None),
        ],
        default_sep: "/",
    },
];

/// Class paths that moved: the old path, and where the class lives now.
pub const MOVED: &[(&str, &str)] = &[
    (
        "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend",
        "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    ),
    (
        "airflow.contrib.secrets.aws_systems_manager.SystemsManagerParameterStoreBackend",
        "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
    ),
    (
        "airflow.contrib.secrets.hashicorp_vault.VaultBackend",
        "airflow.providers.hashicorp.secrets.vault.VaultBackend",
    ),
    (
        "airflow.contrib.secrets.gcp_secrets_manager.CloudSecretsManagerBackend",
        "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
    ),
];

pub fn backend(class: &str) -> Option<&'static Backend> {
    BACKENDS.iter().find(|b| b.class == class)
}

/// What the generated table says about one keyword argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KwargSpec {
    pub class: String,
    pub kwarg: String,
    /// `param`, `var_keyword`, `client`, `deprecated`, `removed`.
    pub status: String,
    /// Python source of the default (`'airflow/connections'`, `None`, `2`), or where `**kwargs` go.
    pub default: String,
    pub annotation: String,
    /// `<package>==<version>`.
    pub source: String,
}

static TABLE: LazyLock<Vec<KwargSpec>> = LazyLock::new(|| {
    include_str!("../data/backend-kwargs.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next().unwrap_or_default().to_owned();
            let spec = KwargSpec {
                class: next(),
                kwarg: next(),
                status: next(),
                default: next(),
                annotation: next(),
                source: next(),
            };
            (spec.class != "class").then_some(spec)
        })
        .collect()
});

/// Every row of the table about one class.
pub fn kwargs_of(class: &str) -> Vec<&'static KwargSpec> {
    TABLE.iter().filter(|spec| spec.class == class).collect()
}

/// The JSON type a default implies, for the type check: `None` when it says nothing.
pub fn expected_type(spec: &KwargSpec) -> Option<&'static str> {
    let default = spec.default.trim();
    // One type besides None, or nothing said: `str | Sequence[str] | None` accepts several.
    let alternatives: Vec<&str> = spec
        .annotation
        .split('|')
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "None")
        .collect();
    if alternatives.len() > 1 {
        return None;
    }
    let from_annotation = match alternatives
        .first()
        .map(|a| a.split('[').next().unwrap_or(a))
    {
        Some("str") => Some("string"),
        Some("int") => Some("integer"),
        Some("bool") => Some("boolean"),
        Some("dict") => Some("object"),
        Some("list") => Some("array"),
        _ => None,
    };
    if !alternatives.is_empty() {
        return from_annotation;
    }
    if default.starts_with('\'') || default.starts_with('"') {
        Some("string")
    } else if default == "True" || default == "False" {
        Some("boolean")
    } else if default.parse::<i64>().is_ok() {
        Some("integer")
    } else {
        None
    }
}

/// Whether a default or annotation allows `None`.
pub fn allows_null(spec: &KwargSpec) -> bool {
    spec.default.trim() == "None"
        || spec.annotation.contains("None")
        || spec.annotation.contains("Optional")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_backend_is_in_the_generated_table() {
        for backend in BACKENDS {
            assert!(
                !kwargs_of(backend.class).is_empty(),
                "{} has no rows in data/backend-kwargs.tsv",
                backend.class
            );
        }
    }

    #[test]
    fn types_from_defaults_and_annotations() {
        let spec = |default: &str, annotation: &str| KwargSpec {
            class: String::new(),
            kwarg: String::new(),
            status: "param".to_owned(),
            default: default.to_owned(),
            annotation: annotation.to_owned(),
            source: String::new(),
        };
        assert_eq!(
            expected_type(&spec("'airflow/connections'", "")),
            Some("string")
        );
        assert_eq!(expected_type(&spec("2", "int")), Some("integer"));
        assert_eq!(expected_type(&spec("None", "str | None")), Some("string"));
        assert_eq!(
            expected_type(&spec("'connections'", "str | Sequence[str] | None")),
            None
        );
        assert_eq!(
            expected_type(&spec("None", "dict[str, list[str]] | None")),
            Some("object")
        );
        assert!(allows_null(&spec("None", "")));
        assert!(!allows_null(&spec("'/'", "str")));
    }
}
