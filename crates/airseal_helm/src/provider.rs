//! The five stores a chart's secrets can live in, and what each needs in Kubernetes: the
//! External Secrets Operator `SecretStore` provider block, the Secrets Store CSI driver's
//! provider name, the name rules of the store, and the Airflow backend that reads it directly.

use airseal_stores::naming::{Backend, Naming};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    AwsSecretsManager,
    AwsParameterStore,
    Vault,
    AzureKeyVault,
    GcpSecretManager,
}

pub const ALL: [Provider; 5] = [
    Provider::AwsSecretsManager,
    Provider::AwsParameterStore,
    Provider::Vault,
    Provider::AzureKeyVault,
    Provider::GcpSecretManager,
];

impl Provider {
    pub fn parse(text: &str) -> Option<Provider> {
        ALL.into_iter().find(|p| p.code() == text)
    }

    /// The `--provider` value and the reference's provider field.
    pub fn code(self) -> &'static str {
        match self {
            Provider::AwsSecretsManager => "aws-secrets-manager",
            Provider::AwsParameterStore => "aws-ssm",
            Provider::Vault => "vault",
            Provider::AzureKeyVault => "azure-key-vault",
            Provider::GcpSecretManager => "gcp-secret-manager",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Provider::AwsSecretsManager => "AWS Secrets Manager",
            Provider::AwsParameterStore => "AWS SSM Parameter Store",
            Provider::Vault => "HashiCorp Vault",
            Provider::AzureKeyVault => "Azure Key Vault",
            Provider::GcpSecretManager => "Google Secret Manager",
        }
    }

    /// The rule a store name breaks, if it breaks one (each service's documented limits).
    pub fn name_rule_broken(self, name: &str) -> Option<&'static str> {
        let all = |allowed: &dyn Fn(char) -> bool| name.chars().all(allowed);
        let ascii_word = |c: char| c.is_ascii_alphanumeric();
        match self {
            Provider::AwsSecretsManager => (name.len() > 512
                || !all(&|c| ascii_word(c) || "/_+=.@-".contains(c)))
            .then_some("at most 512 of A-Z a-z 0-9 / _ + = . @ -"),
            Provider::AwsParameterStore => (name.len() > 2048
                || !all(&|c| ascii_word(c) || "/_.-".contains(c))
                || (name.contains('/') && !name.starts_with('/')))
            .then_some("at most 2048 of A-Z a-z 0-9 _ . - /, and a name with `/` starts with `/`"),
            Provider::Vault => (!name.contains('/')
                || name.starts_with('/')
                || name.ends_with('/')
                || name.contains("//"))
            .then_some("<mount>/<path>, without leading, trailing or doubled `/`"),
            Provider::AzureKeyVault => (name.len() > 127 || !all(&|c| ascii_word(c) || c == '-'))
                .then_some("at most 127 of A-Z a-z 0-9 - (no `_`, `/` or `.`)"),
            Provider::GcpSecretManager => (name.len() > 255
                || !all(&|c| ascii_word(c) || "_-".contains(c)))
            .then_some("at most 255 of A-Z a-z 0-9 _ -"),
        }
    }

    /// The kwargs Airflow's backend for this store uses when none are given (each backend's
    /// constructor defaults, provider packages amazon 9.x, hashicorp 4.x, microsoft-azure 12.x,
    /// google 16.x).
    pub fn default_kwargs(self) -> Map<String, Value> {
        let pairs: &[(&str, &str)] = match self {
            Provider::AwsSecretsManager => &[
                ("connections_prefix", "airflow/connections"),
                ("variables_prefix", "airflow/variables"),
                ("config_prefix", "airflow/config"),
            ],
            Provider::AwsParameterStore => &[
                ("connections_prefix", "/airflow/connections"),
                ("variables_prefix", "/airflow/variables"),
                ("config_prefix", "/airflow/config"),
            ],
            Provider::Vault => &[
                ("mount_point", "secret"),
                ("connections_path", "connections"),
                ("variables_path", "variables"),
                ("config_path", "config"),
            ],
            Provider::AzureKeyVault | Provider::GcpSecretManager => &[
                ("connections_prefix", "airflow-connections"),
                ("variables_prefix", "airflow-variables"),
                ("config_prefix", "airflow-config"),
                ("sep", "-"),
            ],
        };
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect()
    }

    /// The names Airflow looks ids up under, from the effective kwargs.
    pub fn naming(self, kwargs: &Map<String, Value>) -> Naming {
        let backend = match self {
            Provider::AwsSecretsManager => Backend::AwsSecretsManager,
            Provider::AwsParameterStore => Backend::AwsParameterStore,
            Provider::Vault => Backend::Vault,
            Provider::AzureKeyVault => Backend::AzureKeyVault,
            Provider::GcpSecretManager => Backend::GoogleSecretManager,
        };
        Naming::from_kwargs(backend, kwargs)
    }

    /// The Airflow backend class that reads this store directly.
    pub fn backend_class(self) -> &'static str {
        match self {
            Provider::AwsSecretsManager => {
                "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
            }
            Provider::AwsParameterStore => {
                "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend"
            }
            Provider::Vault => "airflow.providers.hashicorp.secrets.vault.VaultBackend",
            Provider::AzureKeyVault => {
                "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend"
            }
            Provider::GcpSecretManager => {
                "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"
            }
        }
    }

    /// The Secrets Store CSI driver's `spec.provider` for this store.
    pub fn csi_provider(self) -> &'static str {
        match self {
            Provider::AwsSecretsManager | Provider::AwsParameterStore => "aws",
            Provider::Vault => "vault",
            Provider::AzureKeyVault => "azure",
            Provider::GcpSecretManager => "gcp",
        }
    }

    /// The service-account annotation that gives pods a cloud identity (IRSA, GKE workload
    /// identity, Azure workload identity); Vault uses Kubernetes auth and needs none.
    pub fn identity_annotation(self) -> Option<&'static str> {
        match self {
            Provider::AwsSecretsManager | Provider::AwsParameterStore => {
                Some("eks.amazonaws.com/role-arn")
            }
            Provider::AzureKeyVault => Some("azure.workload.identity/client-id"),
            Provider::GcpSecretManager => Some("iam.gke.io/gcp-service-account"),
            Provider::Vault => None,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for provider in ALL {
            assert_eq!(Provider::parse(provider.code()), Some(provider));
        }
        assert_eq!(Provider::parse("aws"), None);
    }

    #[test]
    fn name_rules() {
        assert_eq!(
            Provider::AwsSecretsManager.name_rule_broken("airflow/connections/x"),
            None
        );
        assert!(
            Provider::AwsParameterStore
                .name_rule_broken("airflow/connections/x")
                .is_some()
        );
        assert_eq!(
            Provider::AzureKeyVault.name_rule_broken("airflow-connections-x"),
            None
        );
        assert!(Provider::GcpSecretManager.name_rule_broken("a/b").is_some());
    }
}
