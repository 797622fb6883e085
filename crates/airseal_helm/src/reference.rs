//! Abstract secret references in values: a value written as
//!
//! ```text
//! airseal:<provider>:<name>[#<property>]
//! airseal:aws-secrets-manager:airflow/connections/warehouse#password
//! airseal:vault:secret/airflow/config/fernet_key#value
//! airseal:azure-key-vault:airflow-connections-warehouse
//! ```
//!
//! names a secret already in a store; `airseal helm externalize` turns it into the same
//! manifests and overlay as a plain-text value it migrated, without reading the secret.
//! `<name>` is the store's own name (for Vault `<mount>/<path>`), `<property>` a key of a JSON
//! (or Vault KV) secret. Parsed by hand: the grammar is two separators, and a regex would give
//! worse messages for the malformed cases.

use crate::provider::Provider;

pub const SCHEME: &str = "airseal:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub provider: Provider,
    pub name: String,
    pub property: Option<String>,
}

/// Why a value that starts with `airseal:` is not a reference. Messages never quote the value
/// (a mistyped reference may be a pasted secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error(
        "`airseal:` reference without a provider and a name (write airseal:<provider>:<name>[#<property>])"
    )]
    Shape,
    #[error(
        "unknown provider `{0}` in an `airseal:` reference (use aws-secrets-manager, aws-ssm, vault, azure-key-vault or gcp-secret-manager)"
    )]
    UnknownProvider(String),
    #[error("empty secret name in an `airseal:` reference")]
    EmptyName,
    #[error("empty property after `#` in an `airseal:` reference")]
    EmptyProperty,
    #[error("whitespace in an `airseal:` reference")]
    Whitespace,
    #[error("{provider} cannot hold a secret named like this: {rule}")]
    Name {
        provider: &'static str,
        rule: &'static str,
    },
}

impl Reference {
    /// `Ok(None)` for a value that is not a reference at all.
    pub fn parse(value: &str) -> Result<Option<Reference>, ReferenceError> {
        let Some(rest) = value.strip_prefix(SCHEME) else {
            return Ok(None);
        };
        if value.chars().any(char::is_whitespace) {
            return Err(ReferenceError::Whitespace);
        }
        let (provider, target) = rest.split_once(':').ok_or(ReferenceError::Shape)?;
        if provider.is_empty() {
            return Err(ReferenceError::Shape);
        }
        let provider = Provider::parse(provider)
            .ok_or_else(|| ReferenceError::UnknownProvider(provider.to_owned()))?;
        let (name, property) = match target.rsplit_once('#') {
            Some((_, "")) => return Err(ReferenceError::EmptyProperty),
            Some((name, property)) => (name, Some(property.to_owned())),
            None => (target, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::EmptyName);
        }
        if let Some(rule) = provider.name_rule_broken(name) {
            return Err(ReferenceError::Name {
                provider: provider.title(),
                rule,
            });
        }
        Ok(Some(Reference {
            provider,
            name: name.to_owned(),
            property,
        }))
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{SCHEME}{}:{}", self.provider.code(), self.name)?;
        if let Some(property) = &self.property {
            write!(f, "#{property}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let reference =
            Reference::parse("airseal:aws-secrets-manager:airflow/connections/warehouse#password")
                .expect("valid")
                .expect("a reference");
        assert_eq!(reference.provider, Provider::AwsSecretsManager);
        assert_eq!(reference.name, "airflow/connections/warehouse");
        assert_eq!(reference.property.as_deref(), Some("password"));
        assert_eq!(
            reference.to_string(),
            "airseal:aws-secrets-manager:airflow/connections/warehouse#password"
        );
        assert_eq!(Reference::parse("plain value"), Ok(None));
        let ssm = Reference::parse("airseal:aws-ssm:/airflow/config/fernet_key")
            .expect("valid")
            .expect("a reference");
        assert_eq!(ssm.property, None);
    }

    #[test]
    fn malformed_references() {
        let error = |text: &str| Reference::parse(text).expect_err(text);
        assert_eq!(error("airseal:"), ReferenceError::Shape);
        assert_eq!(error("airseal:vault"), ReferenceError::Shape);
        assert_eq!(
            error("airseal:keepass:x"),
            ReferenceError::UnknownProvider("keepass".to_owned())
        );
        assert_eq!(error("airseal:vault:"), ReferenceError::EmptyName);
        assert_eq!(
            error("airseal:vault:secret/x#"),
            ReferenceError::EmptyProperty
        );
        assert_eq!(
            error("airseal:vault:secret/x y"),
            ReferenceError::Whitespace
        );
        assert!(matches!(
            error("airseal:azure-key-vault:airflow_connections_x"),
            ReferenceError::Name { .. }
        ));
        assert!(matches!(
            error("airseal:vault:nomount"),
            ReferenceError::Name { .. }
        ));
    }
}
