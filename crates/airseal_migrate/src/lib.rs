//! `airseal migrate`: read secrets from where they should not be ([`sources`]), and move them
//! into the store Airflow's secrets backend reads, under the exact name it looks up
//! ([`plan`]); then print or write the configuration edits that finish the switch
//! ([`changes`]).
//!
//! The target store and its naming come from `--to` and either `--backend-kwargs` or the
//! deployment's own `[secrets] backend_kwargs` (read by `airseal doctor`), so a migrated
//! secret lands where the running Airflow will look.

pub mod changes;
pub mod plan;
pub mod sources;

use std::path::{Path, PathBuf};

use airseal_stores::local::LocalStore;
use airseal_stores::naming::{Backend, Naming};
use airseal_stores::{ConnectionForm, SecretStore};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("unknown store `{0}`: use aws-secrets-manager, aws-ssm, vault or local:DIR")]
    UnknownStore(String),
    #[error("--backend-kwargs: {0}")]
    BackendKwargs(String),
    #[error("this airseal was built without the `{0}` feature, so it cannot write to {1}")]
    FeatureMissing(&'static str, String),
    #[error(transparent)]
    Store(#[from] airseal_stores::StoreError),
}

/// `--to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    AwsSecretsManager,
    AwsParameterStore,
    Vault,
    /// `local:DIR`: `DIR/connections.json` and `DIR/variables.json` unless the kwargs name the
    /// files (`connections_file_path`, `variables_file_path`).
    Local(PathBuf),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, MigrateError> {
        match text {
            "aws-secrets-manager" => Ok(Target::AwsSecretsManager),
            "aws-ssm" => Ok(Target::AwsParameterStore),
            "vault" => Ok(Target::Vault),
            _ => match text.strip_prefix("local:") {
                Some(dir) if !dir.is_empty() => Ok(Target::Local(PathBuf::from(dir))),
                _ => Err(MigrateError::UnknownStore(text.to_owned())),
            },
        }
    }

    /// The Airflow backend class that reads this store.
    pub fn backend_class(&self) -> &'static str {
        match self {
            Target::AwsSecretsManager => {
                "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
            }
            Target::AwsParameterStore => {
                "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend"
            }
            Target::Vault => "airflow.providers.hashicorp.secrets.vault.VaultBackend",
            Target::Local(_) => "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        }
    }

    /// The target a configured backend class writes to, if airseal has a store for it.
    pub fn of_class(class: &str) -> Option<Target> {
        let short = class.rsplit('.').next().unwrap_or(class);
        match short {
            "SecretsManagerBackend" if class.contains("amazon") => Some(Target::AwsSecretsManager),
            "SystemsManagerParameterStoreBackend" => Some(Target::AwsParameterStore),
            "VaultBackend" => Some(Target::Vault),
            "LocalFilesystemBackend" => Some(Target::Local(PathBuf::from("."))),
            _ => None,
        }
    }

    /// The kwargs a backend gets when airseal picks them: the backend's own defaults, written
    /// out so the printed configuration says exactly where Airflow will look.
    pub fn default_kwargs(&self) -> Map<String, Value> {
        let pairs: Vec<(&str, Value)> = match self {
            Target::AwsSecretsManager => vec![
                ("connections_prefix", "airflow/connections".into()),
                ("variables_prefix", "airflow/variables".into()),
                ("config_prefix", "airflow/config".into()),
            ],
            Target::AwsParameterStore => vec![
                ("connections_prefix", "/airflow/connections".into()),
                ("variables_prefix", "/airflow/variables".into()),
                ("config_prefix", "/airflow/config".into()),
            ],
            Target::Vault => vec![
                // VaultBackend's own default mount is `secret` (provider 4.3.4 and 4.8.4).
                ("mount_point", "secret".into()),
                ("connections_path", "connections".into()),
                ("variables_path", "variables".into()),
                ("config_path", "config".into()),
            ],
            Target::Local(dir) => vec![
                (
                    "connections_file_path",
                    dir.join("connections.json").display().to_string().into(),
                ),
                (
                    "variables_file_path",
                    dir.join("variables.json").display().to_string().into(),
                ),
            ],
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// The effective kwargs: the backend's defaults under the given ones (as the backend's own
/// constructor defaults do).
pub fn effective_kwargs(target: &Target, given: &Map<String, Value>) -> Map<String, Value> {
    let mut kwargs = target.default_kwargs();
    for (key, value) in given {
        kwargs.insert(key.clone(), value.clone());
    }
    kwargs
}

/// Parses `--backend-kwargs`: a JSON object, as `[secrets] backend_kwargs` is.
pub fn parse_kwargs(text: &str) -> Result<Map<String, Value>, MigrateError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MigrateError::BackendKwargs(
            "must be a JSON object".to_owned(),
        )),
        Err(error) => Err(MigrateError::BackendKwargs(error.to_string())),
    }
}

/// The backend kwargs of the deployment under `paths`, as `airseal doctor` reads them: the
/// class and kwargs of the servers' backend (`[secrets] backend`).
pub fn configured_backend(paths: &[PathBuf]) -> Option<(String, Map<String, Value>)> {
    let diagnosis = airseal_doctor::diagnose(paths, true);
    diagnosis
        .backends
        .iter()
        .find(|b| b.role == airseal_doctor::Role::Servers)
        .map(|b| (b.class.clone(), b.kwarg_values().clone()))
}

/// The names Airflow's backend looks up, from its (effective) kwargs.
pub fn naming(target: &Target, kwargs: &Map<String, Value>) -> Option<Naming> {
    let backend = match target {
        Target::AwsSecretsManager => Backend::AwsSecretsManager,
        Target::AwsParameterStore => Backend::AwsParameterStore,
        Target::Vault => Backend::Vault,
        Target::Local(_) => return None,
    };
    Some(Naming::from_kwargs(backend, kwargs))
}

/// Store settings beyond the backend kwargs.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub form: ConnectionForm,
    pub kms_key_id: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_attempts: Option<u32>,
}

/// Opens the store `target` with the effective `kwargs`.
pub fn open_store(
    target: &Target,
    kwargs: &Map<String, Value>,
    options: &StoreOptions,
) -> Result<Box<dyn SecretStore>, MigrateError> {
    match target {
        Target::Local(_) => {
            let path = |key: &str| match kwargs.get(key) {
                Some(Value::String(p)) => Some(PathBuf::from(p)),
                _ => None,
            };
            Ok(Box::new(LocalStore {
                connections_file: path("connections_file_path"),
                variables_file: path("variables_file_path"),
                connection_form: options.form,
            }))
        }
        Target::AwsSecretsManager | Target::AwsParameterStore => open_aws(target, kwargs, options),
        Target::Vault => open_vault(target, kwargs, options),
    }
}

#[cfg(feature = "aws")]
fn open_aws(
    target: &Target,
    kwargs: &Map<String, Value>,
    options: &StoreOptions,
) -> Result<Box<dyn SecretStore>, MigrateError> {
    use airseal_stores::aws::{AwsService, AwsSettings, AwsStore};
    let service = if *target == Target::AwsParameterStore {
        AwsService::ParameterStore
    } else {
        AwsService::SecretsManager
    };
    let Some(naming) = naming(target, kwargs) else {
        return Err(MigrateError::UnknownStore(format!("{target:?}")));
    };
    // The backend's own kwargs for the client (`region_name`, `profile_name`) count when the
    // command line does not say.
    let kwarg = |key: &str| kwargs.get(key).and_then(Value::as_str).map(str::to_owned);
    let settings = AwsSettings {
        region: options.region.clone().or_else(|| kwarg("region_name")),
        profile: options.profile.clone().or_else(|| kwarg("profile_name")),
        endpoint_url: options.endpoint_url.clone(),
        kms_key_id: options.kms_key_id.clone(),
        max_attempts: options.max_attempts,
    };
    Ok(Box::new(AwsStore::connect(
        service,
        naming,
        options.form,
        &settings,
    )?))
}

#[cfg(not(feature = "aws"))]
fn open_aws(
    target: &Target,
    _kwargs: &Map<String, Value>,
    _options: &StoreOptions,
) -> Result<Box<dyn SecretStore>, MigrateError> {
    Err(MigrateError::FeatureMissing("aws", format!("{target:?}")))
}

#[cfg(feature = "vault")]
fn open_vault(
    _target: &Target,
    kwargs: &Map<String, Value>,
    options: &StoreOptions,
) -> Result<Box<dyn SecretStore>, MigrateError> {
    use airseal_stores::vault::{VaultSettings, VaultStore};
    let mut settings = VaultSettings::from_environment(kwargs)?;
    settings.connection_form = options.form;
    if let Some(attempts) = options.max_attempts {
        settings.retry.max_attempts = attempts;
    }
    Ok(Box::new(VaultStore::new(settings)?))
}

#[cfg(not(feature = "vault"))]
fn open_vault(
    _target: &Target,
    _kwargs: &Map<String, Value>,
    _options: &StoreOptions,
) -> Result<Box<dyn SecretStore>, MigrateError> {
    Err(MigrateError::FeatureMissing(
        "vault",
        "HashiCorp Vault".to_owned(),
    ))
}

/// A display path relative to the current directory when it is under it.
pub fn display(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
