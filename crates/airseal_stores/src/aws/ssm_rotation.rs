//! Staged versions on SSM Parameter Store, which has no staging labels of Secrets Manager's kind:
//! Airflow reads a parameter's latest version, so a pending version cannot be a new version of
//! the parameter itself. The equivalent pending record is a SecureString parameter outside
//! Airflow's prefix, `/airseal/rotation-pending/<parameter name>`, holding the token and the
//! pending value: Airflow never looks there, and its reader role (scoped to the prefix) cannot
//! read it. Promotion writes the pending value as the parameter's new version, labels that
//! version with the token (`LabelParameterVersion`: the version id of a rotation), then deletes
//! the pending record; a crash between the steps is finished by promoting again. The previous
//! version is the parameter's history.

use aws_sdk_ssm as ssm;
use serde_json::{Value, json};

use super::{AwsStore, CallError, Client, SSM_ADVANCED_MAX_BYTES, ssm_tier};
use crate::staged::StagedVersion;
use crate::{SecretKind, SecretStore, SecretValue, StoreError};

/// Where pending records live.
pub const PENDING_PREFIX: &str = "/airseal/rotation-pending";

const KIND: SecretKind = SecretKind::Connection;

impl AwsStore {
    fn ssm(&self) -> &ssm::Client {
        match &self.client {
            Client::ParameterStore(client) => client,
            // Only called for SSM stores.
            Client::SecretsManager(_) => unreachable!("SSM rotation on a Secrets Manager store"),
        }
    }

    pub(super) fn pending_name(name: &str) -> String {
        format!("{PENDING_PREFIX}/{}", name.trim_start_matches('/'))
    }

    fn ssm_error(&self, id: &str, call: &str, error: CallError, value: Option<&str>) -> StoreError {
        self.failed(KIND, id, call, error, value)
    }

    /// The parameter's value and version; `None` when absent.
    fn ssm_get(&self, id: &str, name: &str) -> Result<Option<(String, i64)>, StoreError> {
        match self.block_on(
            self.ssm()
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send(),
        ) {
            Ok(output) => Ok(output
                .parameter()
                .and_then(|p| p.value().map(|v| (v.to_owned(), p.version())))),
            Err(error) => {
                let error = CallError::from_sdk(&error);
                if error.is("ParameterNotFound") {
                    Ok(None)
                } else {
                    Err(self.ssm_error(id, "ssm:GetParameter", error, None))
                }
            }
        }
    }

    /// Every version of the parameter, oldest first: (version, labels, value).
    fn ssm_history(
        &self,
        id: &str,
        name: &str,
    ) -> Result<Vec<(i64, Vec<String>, String)>, StoreError> {
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .block_on(
                    self.ssm()
                        .get_parameter_history()
                        .name(name)
                        .with_decryption(true)
                        .set_next_token(token.take())
                        .max_results(50)
                        .send(),
                )
                .map_err(|e| {
                    self.ssm_error(id, "ssm:GetParameterHistory", CallError::from_sdk(&e), None)
                })?;
            for entry in page.parameters() {
                versions.push((
                    entry.version(),
                    entry.labels().to_vec(),
                    entry.value().unwrap_or_default().to_owned(),
                ));
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        versions.sort_by_key(|(version, _, _)| *version);
        Ok(versions)
    }

    fn ssm_connection(
        &self,
        id: &str,
        text: &str,
    ) -> Result<Option<airseal_connection::Connection>, StoreError> {
        match SecretValue::from_stored_text(KIND, text, false) {
            Ok(SecretValue::Connection(connection)) => Ok(Some(connection)),
            Ok(SecretValue::Text(_)) => Ok(None),
            Err(error) => Err(self.undecodable(KIND, id, &error)),
        }
    }

    fn ssm_put(&self, id: &str, name: &str, text: &str) -> Result<i64, StoreError> {
        let Some(tier) = ssm_tier(text) else {
            return Err(self.unrepresentable(KIND, id, format!("the pending record is {} bytes; an SSM parameter holds at most {SSM_ADVANCED_MAX_BYTES}", text.len())));
        };
        self.block_on(
            self.ssm()
                .put_parameter()
                .name(name)
                .value(text)
                .r#type(ssm::types::ParameterType::SecureString)
                .tier(tier)
                .set_key_id(self.kms_key_id.clone())
                .overwrite(true)
                .send(),
        )
        .map(|output| output.version())
        .map_err(|e| self.ssm_error(id, "ssm:PutParameter", CallError::from_sdk(&e), Some(text)))
    }

    /// The pending record: (token, value text).
    fn ssm_pending_record(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        let name = self.name(KIND, id)?;
        let Some((text, _)) = self.ssm_get(id, &Self::pending_name(&name))? else {
            return Ok(None);
        };
        let record: Value = serde_json::from_str(&text).map_err(|_| StoreError::Backend {
            kind: KIND.name(),
            id: id.to_owned(),
            store: self.describe(),
            message: format!(
                "the pending record {} is not airseal's JSON; remove it to start over",
                Self::pending_name(&name)
            ),
        })?;
        match (record["token"].as_str(), record["value"].as_str()) {
            (Some(token), Some(value)) => Ok(Some((token.to_owned(), value.to_owned()))),
            _ => Err(StoreError::Backend {
                kind: KIND.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: format!(
                    "the pending record {} lacks its token or value",
                    Self::pending_name(&name)
                ),
            }),
        }
    }

    /// The current version and the label airseal put on it (its token), if any.
    fn ssm_current(&self, id: &str) -> Result<Option<(String, Option<String>)>, StoreError> {
        let name = self.name(KIND, id)?;
        let Some((text, version)) = self.ssm_get(id, &name)? else {
            return Ok(None);
        };
        let label = self
            .ssm_history(id, &name)?
            .into_iter()
            .find(|(v, _, _)| *v == version)
            .and_then(|(_, labels, _)| labels.into_iter().next());
        Ok(Some((text, label)))
    }

    pub(super) fn ssm_staged_current(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let Some((text, label)) = self.ssm_current(id)? else {
            return Ok(None);
        };
        Ok(self
            .ssm_connection(id, &text)?
            .map(|connection| StagedVersion {
                connection,
                version: label,
            }))
    }

    pub(super) fn ssm_staged_pending(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let Some((token, text)) = self.ssm_pending_record(id)? else {
            return Ok(None);
        };
        Ok(self
            .ssm_connection(id, &text)?
            .map(|connection| StagedVersion {
                connection,
                version: Some(token),
            }))
    }

    pub(super) fn ssm_staged_previous(
        &self,
        id: &str,
    ) -> Result<Option<StagedVersion>, StoreError> {
        let name = self.name(KIND, id)?;
        let history = self.ssm_history(id, &name)?;
        let Some((_, labels, text)) = history.iter().rev().nth(1) else {
            return Ok(None);
        };
        Ok(self
            .ssm_connection(id, text)?
            .map(|connection| StagedVersion {
                connection,
                version: labels.first().cloned(),
            }))
    }

    pub(super) fn ssm_put_pending(
        &self,
        id: &str,
        connection: &airseal_connection::Connection,
        token: &str,
    ) -> Result<(), StoreError> {
        let name = self.name(KIND, id)?;
        let Some((current_text, _)) = self.ssm_get(id, &name)? else {
            return Err(StoreError::Backend {
                kind: KIND.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: "no current version to rotate".to_owned(),
            });
        };
        // SSM's backend reads JSON with `Connection.from_json`: exact keys, no aliases.
        let text = airseal_connection::with_credentials(
            &current_text,
            connection,
            false,
            airseal_connection::Dialect::Airflow3,
        );
        if let Some((existing, value)) = self.ssm_pending_record(id)?
            && existing == token
        {
            if value == text {
                return Ok(());
            }
            return Err(crate::staged::pending_conflict(id, &self.describe(), token));
        }
        let record = json!({ "token": token, "value": text }).to_string();
        self.ssm_put(id, &Self::pending_name(&name), &record)
            .map(|_| ())
    }

    pub(super) fn ssm_promote(&self, id: &str, token: &str) -> Result<(), StoreError> {
        let name = self.name(KIND, id)?;
        let Some((pending_token, value)) = self.ssm_pending_record(id)? else {
            let current = self.ssm_current(id)?.and_then(|(_, label)| label);
            if current.as_deref() == Some(token) {
                return Ok(());
            }
            return Err(StoreError::Backend {
                kind: KIND.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: format!("no pending version {token} to promote"),
            });
        };
        if pending_token != token {
            return Err(StoreError::Backend {
                kind: KIND.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: format!("the pending version is {pending_token}, not {token}"),
            });
        }
        let version = match self.ssm_get(id, &name)? {
            Some((text, version)) if text == value => version,
            _ => self.ssm_put(id, &name, &value)?,
        };
        self.block_on(
            self.ssm()
                .label_parameter_version()
                .name(&name)
                .parameter_version(version)
                .labels(token)
                .send(),
        )
        .map_err(|e| {
            self.ssm_error(
                id,
                "ssm:LabelParameterVersion",
                CallError::from_sdk(&e),
                None,
            )
        })?;
        match self.block_on(
            self.ssm()
                .delete_parameter()
                .name(Self::pending_name(&name))
                .send(),
        ) {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = CallError::from_sdk(&error);
                if error.is("ParameterNotFound") {
                    Ok(())
                } else {
                    Err(self.ssm_error(id, "ssm:DeleteParameter", error, None))
                }
            }
        }
    }
}
