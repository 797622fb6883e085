//! Least-privilege IAM for Airflow's AWS secrets backends.
//!
//! Airflow's readers call exactly one action per lookup: `secretsmanager:GetSecretValue`
//! (`SecretsManagerBackend`, one call per connection, Variable or config lookup) or
//! `ssm:GetParameter` with decryption (`SystemsManagerParameterStoreBackend`). The policy grants
//! that action on the configured prefixes only — never `*`, never `ListSecrets` or a write — and
//! `kms:Decrypt` on a customer-managed key only through that service (`kms:ViaService`).

pub mod lint;

use serde_json::{Value, json};

/// The AWS secrets backend the policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend`.
    SecretsManager,
    /// `airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend`.
    ParameterStore,
}

impl Backend {
    /// The backend's default lookup prefixes for connections and Variables (the config prefix
    /// is only read by `*_secret` options; add it with `--prefix` when they are used).
    pub fn default_prefixes(self) -> [&'static str; 2] {
        match self {
            Backend::SecretsManager => ["airflow/connections", "airflow/variables"],
            Backend::ParameterStore => ["/airflow/connections", "/airflow/variables"],
        }
    }

    fn service(self) -> &'static str {
        match self {
            Backend::SecretsManager => "secretsmanager",
            Backend::ParameterStore => "ssm",
        }
    }
}

/// What the reader role must be able to read.
#[derive(Debug, Clone)]
pub struct ReaderPolicy {
    pub backend: Backend,
    pub partition: String,
    pub region: String,
    pub account: String,
    pub prefixes: Vec<String>,
    /// Customer-managed KMS keys that encrypt the secrets (none for the AWS-managed key).
    pub kms_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("partition `{0}` is not one of aws, aws-cn, aws-us-gov")]
    Partition(String),
    #[error(
        "region `{0}` is not an AWS region name (like eu-west-1); a wildcard is not least privilege"
    )]
    Region(String),
    #[error("account `{0}` is not a 12-digit AWS account id")]
    Account(String),
    #[error(
        "prefix `{0}` is empty or contains a wildcard (* or ?); give the exact prefix from backend_kwargs"
    )]
    Prefix(String),
    #[error("`{0}` is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)")]
    KmsKey(String),
}

impl ReaderPolicy {
    /// The IAM policy document.
    pub fn document(&self) -> Result<Value, PolicyError> {
        self.validate()?;
        let service = self.backend.service();
        let resources: Vec<String> = self
            .prefixes
            .iter()
            .map(|prefix| self.resource(prefix))
            .collect();
        let action = match self.backend {
            Backend::SecretsManager => "secretsmanager:GetSecretValue",
            Backend::ParameterStore => "ssm:GetParameter",
        };
        let mut statements = vec![json!({
            "Sid": "AirflowReadsItsSecrets",
            "Effect": "Allow",
            "Action": [action],
            "Resource": resources,
        })];
        if !self.kms_keys.is_empty() {
            let suffix = if self.partition == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            statements.push(json!({
                "Sid": "DecryptOnlyThroughTheSecretsService",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": self.kms_keys,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": format!("{service}.{}.{suffix}", self.region)
                    }
                },
            }));
        }
        Ok(json!({ "Version": "2012-10-17", "Statement": statements }))
    }

    /// The ARN pattern of everything under `prefix`. Secrets Manager appends `-` and six random
    /// characters to a secret's name in its ARN, which `/*` covers; Parameter Store ARNs are
    /// `parameter` followed by the name with its leading slash.
    fn resource(&self, prefix: &str) -> String {
        let base = format!(
            "arn:{}:{}:{}:{}",
            self.partition,
            self.backend.service(),
            self.region,
            self.account
        );
        let trimmed = prefix.trim_matches('/');
        match self.backend {
            Backend::SecretsManager => format!("{base}:secret:{trimmed}/*"),
            Backend::ParameterStore => format!("{base}:parameter/{trimmed}/*"),
        }
    }

    fn validate(&self) -> Result<(), PolicyError> {
        if !matches!(self.partition.as_str(), "aws" | "aws-cn" | "aws-us-gov") {
            return Err(PolicyError::Partition(self.partition.clone()));
        }
        let parts: Vec<&str> = self.region.split('-').collect();
        let region_ok = parts.len() >= 3
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty();
        if !region_ok {
            return Err(PolicyError::Region(self.region.clone()));
        }
        if self.account.len() != 12 || !self.account.chars().all(|c| c.is_ascii_digit()) {
            return Err(PolicyError::Account(self.account.clone()));
        }
        for prefix in &self.prefixes {
            if prefix.trim_matches('/').is_empty() || prefix.contains(['*', '?']) {
                return Err(PolicyError::Prefix(prefix.clone()));
            }
        }
        for key in &self.kms_keys {
            let fields: Vec<&str> = key.splitn(6, ':').collect();
            let ok = fields.len() == 6
                && fields[0] == "arn"
                && fields[2] == "kms"
                && (fields[5].starts_with("key/") || fields[5].starts_with("alias/"))
                && !key.contains('*');
            if !ok {
                return Err(PolicyError::KmsKey(key.clone()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(backend: Backend) -> ReaderPolicy {
        ReaderPolicy {
            backend,
            partition: "aws".to_owned(),
            region: "eu-west-1".to_owned(),
            account: "123456789012".to_owned(),
            prefixes: backend
                .default_prefixes()
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            kms_keys: vec![
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .to_owned(),
            ],
        }
    }

    #[test]
    fn secrets_manager_reader() {
        let document = policy(Backend::SecretsManager)
            .document()
            .unwrap_or_default();
        insta::assert_snapshot!(serde_json::to_string_pretty(&document).unwrap_or_default());
    }

    #[test]
    fn parameter_store_reader() {
        let document = policy(Backend::ParameterStore)
            .document()
            .unwrap_or_default();
        let resources = &document["Statement"][0]["Resource"];
        assert_eq!(
            resources[0],
            "arn:aws:ssm:eu-west-1:123456789012:parameter/airflow/connections/*"
        );
        assert_eq!(document["Statement"][0]["Action"][0], "ssm:GetParameter");
        assert_eq!(
            document["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"],
            "ssm.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn wildcards_and_malformed_inputs_are_refused() {
        let mut p = policy(Backend::SecretsManager);
        p.region = "*".to_owned();
        assert!(matches!(p.document(), Err(PolicyError::Region(_))));
        let mut p = policy(Backend::SecretsManager);
        p.prefixes = vec!["airflow/*".to_owned()];
        assert!(matches!(p.document(), Err(PolicyError::Prefix(_))));
        let mut p = policy(Backend::SecretsManager);
        p.account = "12345".to_owned();
        assert!(matches!(p.document(), Err(PolicyError::Account(_))));
        let mut p = policy(Backend::SecretsManager);
        p.kms_keys = vec!["arn:aws:kms:eu-west-1:123456789012:key/*".to_owned()];
        assert!(matches!(p.document(), Err(PolicyError::KmsKey(_))));
    }
}
