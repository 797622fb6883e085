//! Staged versions on Vault's KV version 2 engine. KV v2 keeps numbered versions but no staging
//! labels, and `VaultBackend` reads the latest version: a pending version cannot be a new
//! version of the connection's own secret. The equivalent pending record is a secret of its
//! own on the same mount, `airseal/rotation-pending/<the connection's path>`, holding the
//! token and the exact `data` map promotion will write: outside `connections_path` (Airflow
//! never looks there, and a reader policy scoped to that path cannot read it).
//!
//! Promotion writes the pending map as the next version with check-and-set, then records in
//! the secret's `custom_metadata` which Vault version carries which token
//! (`airseal-current-token`, `airseal-current-token-version`, `airseal-previous-token`), then
//! deletes the pending record with its metadata. A crash between the steps is finished by
//! promoting again: the latest version already equal to the pending map is not written twice.
//! The previous version is the version before the token's, which KV v2 keeps (up to the mount's
//! `max_versions`). The rotation record is `custom_metadata` too (the same `airseal-rotated-at`
//! … keys as AWS tags), so `rotate status` reads it from the metadata it already reads.

use serde_json::{Map, Value, json};

use airseal_connection::{Connection, Dialect, with_credentials};

use super::{Location, Method, Stored, VaultStore, route_error, vault_errors};
use crate::staged::{
    ROTATED_AT_TAG, ROTATION_STRATEGY_TAG, ROTATION_USER_TAG, ROTATION_VERSION_TAG, RotationRecord,
    StagedStore, StagedVersion,
};
use crate::{SecretKind, SecretStore, StoreError};

/// Where pending records live, inside the connection's own mount.
pub const PENDING_PREFIX: &str = "airseal/rotation-pending";
/// The token of the version `CURRENT_TOKEN_VERSION_KEY` names.
const CURRENT_TOKEN_KEY: &str = "airseal-current-token";
const CURRENT_TOKEN_VERSION_KEY: &str = "airseal-current-token-version";
/// The token of the version before it, when that one was a rotation's too.
const PREVIOUS_TOKEN_KEY: &str = "airseal-previous-token";

const KIND: SecretKind = SecretKind::Connection;

/// Listing stops here: a `rotate status` over a mount this large names its ids.
const MAX_LISTED: usize = 100_000;

/// A connection's `data` map with a new login and password, everything else as it was: a
/// truthy `conn_uri` is re-written from `replacement`, a field map keeps its other keys.
fn with_new_credentials(data: &Map<String, Value>, replacement: &Connection) -> Map<String, Value> {
    let mut data = data.clone();
    if let Some(Value::String(uri)) = data.get("conn_uri")
        && !uri.is_empty()
    {
        let text = with_credentials(uri, replacement, false, Dialect::Airflow3);
        data.insert("conn_uri".to_owned(), Value::String(text));
        return data;
    }
    let text = serde_json::to_string(&Value::Object(data.clone())).unwrap_or_default();
    match serde_json::from_str(&with_credentials(
        &text,
        replacement,
        false,
        Dialect::Airflow3,
    )) {
        Ok(Value::Object(map)) => map,
        _ => data,
    }
}

/// airseal's pending record of a connection.
struct PendingRecord {
    /// The record's own Vault version (for check-and-set).
    version: u64,
    token: String,
    /// The `data` map promotion writes.
    data: Map<String, Value>,
}

/// The latest version of a connection's secret.
struct Latest {
    version: u64,
    data: Map<String, Value>,
    metadata: Map<String, Value>,
}

fn text_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl VaultStore {
    fn staged_location(&self, id: &str) -> Result<Location, StoreError> {
        let location = self.location(KIND, id)?;
        self.check_mount(KIND, id, &location.mount)?;
        Ok(location)
    }

    fn pending_location(location: &Location) -> Location {
        Location {
            mount: location.mount.clone(),
            path: format!("{PENDING_PREFIX}/{}", location.path),
        }
    }

    fn connection_of(
        &self,
        id: &str,
        location: &Location,
        data: &Map<String, Value>,
    ) -> Result<Option<Connection>, StoreError> {
        match super::decode(KIND, data) {
            Ok(Some(crate::SecretValue::Connection(connection))) => Ok(Some(connection)),
            Ok(_) => Ok(None),
            Err(message) => Err(self.error(KIND, id, format!("`{}`: {message}", location.name()))),
        }
    }

    fn pending_record(
        &self,
        id: &str,
        location: &Location,
    ) -> Result<Option<PendingRecord>, StoreError> {
        let pending = Self::pending_location(location);
        let Some(Stored {
            data: Some(record),
            version,
            ..
        }) = self.fetch(KIND, id, &pending)?
        else {
            return Ok(None);
        };
        match (text_of(&record, "token"), record.get("data")) {
            (Some(token), Some(Value::Object(data))) => Ok(Some(PendingRecord {
                version,
                token,
                data: data.clone(),
            })),
            _ => Err(self.error(
                KIND,
                id,
                format!(
                    "the pending record `{}` is not airseal's (no token or data); remove it to start over",
                    pending.name()
                ),
            )),
        }
    }

    fn latest(&self, id: &str, location: &Location) -> Result<Option<Latest>, StoreError> {
        Ok(match self.fetch(KIND, id, location)? {
            Some(Stored {
                data: Some(data),
                version,
                custom_metadata,
            }) => Some(Latest {
                version,
                data,
                metadata: custom_metadata,
            }),
            _ => None,
        })
    }

    /// The token airseal recorded for Vault version `version`, if any.
    fn token_of(metadata: &Map<String, Value>, version: u64) -> Option<String> {
        (text_of(metadata, CURRENT_TOKEN_VERSION_KEY) == Some(version.to_string()))
            .then(|| text_of(metadata, CURRENT_TOKEN_KEY))
            .flatten()
    }

    /// Replaces the secret's custom_metadata (Vault replaces the whole map on a write).
    fn set_custom_metadata(
        &self,
        id: &str,
        location: &Location,
        metadata: &Map<String, Value>,
    ) -> Result<(), StoreError> {
        let body = json!({ "custom_metadata": metadata }).to_string();
        let reply = self
            .call(Method::Post, &self.url(location, "metadata"), Some(&body))
            .map_err(|m| self.error(KIND, id, m))?;
        match reply.status {
            200 | 204 => Ok(()),
            401 | 403 => Err(self.denied(KIND, id, location, "update", "metadata")),
            _ => Err(self.unexpected(KIND, id, location, &reply)),
        }
    }

    /// The custom_metadata as strings (what Vault keeps), read from the metadata endpoint.
    fn custom_metadata(
        &self,
        id: &str,
        location: &Location,
    ) -> Result<Map<String, Value>, StoreError> {
        let reply = self
            .call(Method::Get, &self.url(location, "metadata"), None)
            .map_err(|m| self.error(KIND, id, m))?;
        match reply.status {
            200 => Ok(reply.body["data"]["custom_metadata"]
                .as_object()
                .cloned()
                .unwrap_or_default()),
            404 if route_error(&reply.body).is_none() => Ok(Map::new()),
            401 | 403 => Err(self.denied(KIND, id, location, "read", "metadata")),
            _ => Err(self.unexpected(KIND, id, location, &reply)),
        }
    }

    fn delete_pending(&self, id: &str, location: &Location) -> Result<(), StoreError> {
        let pending = Self::pending_location(location);
        let reply = self
            .call(Method::Delete, &self.url(&pending, "metadata"), None)
            .map_err(|m| self.error(KIND, id, m))?;
        match reply.status {
            200 | 204 | 404 => Ok(()),
            401 | 403 => Err(self.denied(KIND, id, &pending, "delete", "metadata")),
            _ => Err(self.error(
                KIND,
                id,
                format!(
                    "the new version is current, but its pending record `{}` was not removed: Vault answered {}: {}",
                    pending.name(),
                    reply.status,
                    vault_errors(&reply.body)
                ),
            )),
        }
    }

    /// Every key under `folder` of `mount`, recursively (`LIST` as `GET ?list=true`).
    fn list_keys(&self, mount: &str, folder: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut folders = vec![folder.trim_matches('/').to_owned()];
        while let Some(folder) = folders.pop() {
            let location = Location {
                mount: mount.to_owned(),
                path: folder.clone(),
            };
            let url = format!(
                "{}?list=true",
                self.url(&location, "metadata").trim_end_matches('/')
            );
            let reply = self
                .call(Method::Get, &url, None)
                .map_err(|m| self.error(KIND, "*", m))?;
            match reply.status {
                200 => {}
                404 if route_error(&reply.body).is_none() => continue,
                401 | 403 => return Err(self.denied(KIND, "*", &location, "list", "metadata")),
                _ => return Err(self.unexpected(KIND, "*", &location, &reply)),
            }
            let joined = |key: &str| {
                if folder.is_empty() {
                    key.to_owned()
                } else {
                    format!("{folder}/{key}")
                }
            };
            for key in reply.body["data"]["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                match key.strip_suffix('/') {
                    Some(sub) => folders.push(joined(sub)),
                    None => keys.push(joined(key)),
                }
                if keys.len() >= MAX_LISTED {
                    return Err(self.error(
                        KIND,
                        "*",
                        format!("more than {MAX_LISTED} keys under `{mount}/{folder}`: name the connections"),
                    ));
                }
            }
        }
        Ok(keys)
    }

    /// The connection ids the mount holds under `connections_path` (`None` when the mount comes
    /// from each id, since mounts cannot be listed through the KV engine).
    pub(super) fn connection_ids(&self) -> Result<Option<Vec<String>>, StoreError> {
        let (Some(mount), Some(base)) = (
            self.settings.mount_point.as_deref(),
            self.settings.connections_path.as_deref(),
        ) else {
            return Ok(if self.settings.connections_path.is_none() {
                Some(Vec::new())
            } else {
                None
            });
        };
        let base = base.trim_matches('/');
        let keys = self.list_keys(mount, base)?;
        let pending = format!("{PENDING_PREFIX}/");
        Ok(Some(
            keys.into_iter()
                .filter_map(|key| {
                    let id = if base.is_empty() {
                        key
                    } else {
                        key.strip_prefix(base)?.trim_start_matches('/').to_owned()
                    };
                    // With an empty connections_path the pending records sit among the ids.
                    (!id.starts_with(&pending)).then_some(id)
                })
                .collect(),
        ))
    }
}

impl StagedStore for VaultStore {
    fn describe_staged(&self) -> String {
        self.describe()
    }

    fn current(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let location = self.staged_location(id)?;
        let Some(Latest {
            version,
            data,
            metadata,
        }) = self.latest(id, &location)?
        else {
            return Ok(None);
        };
        Ok(self
            .connection_of(id, &location, &data)?
            .map(|connection| StagedVersion {
                connection,
                version: Self::token_of(&metadata, version),
            }))
    }

    fn pending(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let location = self.staged_location(id)?;
        let Some(PendingRecord { token, data, .. }) = self.pending_record(id, &location)? else {
            return Ok(None);
        };
        Ok(self
            .connection_of(id, &location, &data)?
            .map(|connection| StagedVersion {
                connection,
                version: Some(token),
            }))
    }

    fn previous(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let location = self.staged_location(id)?;
        let Some(Latest {
            version, metadata, ..
        }) = self.latest(id, &location)?
        else {
            return Ok(None);
        };
        if version < 2 {
            return Ok(None);
        }
        let Some(Stored {
            data: Some(data), ..
        }) = self.fetch_version(KIND, id, &location, Some(version - 1))?
        else {
            // Pruned by max_versions, deleted or destroyed.
            return Ok(None);
        };
        let token =
            Self::token_of(&metadata, version).and_then(|_| text_of(&metadata, PREVIOUS_TOKEN_KEY));
        Ok(self
            .connection_of(id, &location, &data)?
            .map(|connection| StagedVersion {
                connection,
                version: token,
            }))
    }

    fn put_pending(
        &self,
        id: &str,
        connection: &Connection,
        token: &str,
    ) -> Result<(), StoreError> {
        let location = self.staged_location(id)?;
        let Some(Latest { data: current, .. }) = self.latest(id, &location)? else {
            return Err(self.error(KIND, id, "no current version to rotate"));
        };
        let wanted = with_new_credentials(&current, connection);
        let pending = Self::pending_location(&location);
        let cas = match self.pending_record(id, &location)? {
            Some(PendingRecord {
                token: existing,
                data,
                ..
            }) if existing == token => {
                if data == wanted {
                    return Ok(());
                }
                return Err(crate::staged::pending_conflict(id, &self.describe(), token));
            }
            Some(PendingRecord { version, .. }) => version,
            // A deleted record still counts for check-and-set.
            None => match self.fetch(KIND, id, &pending)? {
                Some(Stored { version, .. }) => version,
                None => 0,
            },
        };
        let mut record = Map::new();
        record.insert("token".to_owned(), Value::String(token.to_owned()));
        record.insert("data".to_owned(), Value::Object(wanted));
        self.put(KIND, id, &pending, &record, cas).map(|_| ())
    }

    fn promote(&self, id: &str, token: &str) -> Result<(), StoreError> {
        let location = self.staged_location(id)?;
        let latest = self.latest(id, &location)?;
        let Some(PendingRecord {
            token: pending_token,
            data,
            ..
        }) = self.pending_record(id, &location)?
        else {
            let current = latest.and_then(|l| Self::token_of(&l.metadata, l.version));
            if current.as_deref() == Some(token) {
                return Ok(());
            }
            return Err(self.error(KIND, id, format!("no pending version {token} to promote")));
        };
        if pending_token != token {
            return Err(self.error(
                KIND,
                id,
                format!("the pending version is {pending_token}, not {token}"),
            ));
        }
        let Some(Latest {
            version: latest_version,
            data: latest_data,
            ..
        }) = latest
        else {
            return Err(self.error(KIND, id, "no current version to rotate"));
        };
        let (version, before) = if latest_data == data {
            // Written by a promotion that stopped before its metadata.
            (latest_version, None)
        } else {
            (
                self.put(KIND, id, &location, &data, latest_version)?,
                Some(latest_version),
            )
        };
        let mut metadata = self.custom_metadata(id, &location)?;
        let previous_token = match before {
            Some(before) => Self::token_of(&metadata, before),
            // A promotion that stopped after its write left the metadata naming the version
            // before the new one (KV v2 numbers versions one by one).
            None => Self::token_of(&metadata, version.saturating_sub(1)),
        };
        if Self::token_of(&metadata, version).as_deref() != Some(token) {
            match previous_token {
                Some(previous) => {
                    metadata.insert(PREVIOUS_TOKEN_KEY.to_owned(), Value::String(previous));
                }
                None => {
                    metadata.remove(PREVIOUS_TOKEN_KEY);
                }
            }
            metadata.insert(
                CURRENT_TOKEN_KEY.to_owned(),
                Value::String(token.to_owned()),
            );
            metadata.insert(
                CURRENT_TOKEN_VERSION_KEY.to_owned(),
                Value::String(version.to_string()),
            );
            self.set_custom_metadata(id, &location, &metadata)?;
        }
        self.delete_pending(id, &location)
    }

    fn record_rotation(&self, id: &str, record: &RotationRecord) -> Result<(), StoreError> {
        let location = self.staged_location(id)?;
        let mut metadata = self.custom_metadata(id, &location)?;
        let before = metadata.clone();
        for (key, value) in record.tags() {
            metadata.insert(key, Value::String(super::metadata_value(&value)));
        }
        if metadata == before {
            return Ok(());
        }
        self.set_custom_metadata(id, &location, &metadata)
    }

    fn last_rotation(&self, id: &str) -> Result<Option<RotationRecord>, StoreError> {
        let location = self.staged_location(id)?;
        let metadata = self.custom_metadata(id, &location)?;
        let Some(rotated_at) = text_of(&metadata, ROTATED_AT_TAG) else {
            return Ok(None);
        };
        let text = |key: &str| text_of(&metadata, key).unwrap_or_default();
        Ok(Some(RotationRecord {
            rotated_at,
            version: text(ROTATION_VERSION_TAG),
            strategy: text(ROTATION_STRATEGY_TAG),
            user: text(ROTATION_USER_TAG),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    fn replacement() -> Connection {
        Connection {
            login: Some("app_clone".to_owned()),
            password: Some("n3w-Pass_word".to_owned()),
            ..Connection::default()
        }
    }

    #[test]
    fn new_credentials_keep_the_other_fields() {
        let data = map(
            r#"{"conn_type": "postgres", "host": "db", "login": "app", "password": "old", "port": 5432, "description": "kept"}"#,
        );
        let patched = with_new_credentials(&data, &replacement());
        assert_eq!(patched["login"], "app_clone");
        assert_eq!(patched["password"], "n3w-Pass_word");
        assert_eq!(patched["port"], 5432);
        assert_eq!(patched["description"], "kept");
        assert_eq!(patched["host"], "db");
    }

    #[test]
    fn new_credentials_rewrite_a_uri() {
        let data = map(r#"{"conn_uri": "postgres://app:old@db:5432/warehouse", "note": "kept"}"#);
        let mut replacement =
            Connection::from_uri("postgres://app:old@db:5432/warehouse", Dialect::Airflow3)
                .expect("a URI");
        replacement.password = Some("n3w-Pass_word".to_owned());
        let patched = with_new_credentials(&data, &replacement);
        let uri = patched["conn_uri"].as_str().unwrap_or_default();
        assert!(uri.contains("app:n3w-Pass_word@db:5432"), "{uri}");
        assert_eq!(patched["note"], "kept");
    }

    #[test]
    fn a_token_counts_only_for_the_version_it_was_recorded_for() {
        let metadata = map(
            r#"{"airseal-current-token": "airseal-rot-1", "airseal-current-token-version": "3"}"#,
        );
        assert_eq!(
            VaultStore::token_of(&metadata, 3).as_deref(),
            Some("airseal-rot-1")
        );
        assert_eq!(VaultStore::token_of(&metadata, 4), None);
        assert_eq!(VaultStore::token_of(&Map::new(), 1), None);
    }

    #[test]
    fn pending_records_live_outside_the_connections_path() {
        let location = Location {
            mount: "secret".to_owned(),
            path: "airflow/connections/warehouse".to_owned(),
        };
        let pending = VaultStore::pending_location(&location);
        assert_eq!(pending.mount, "secret");
        assert_eq!(
            pending.path,
            "airseal/rotation-pending/airflow/connections/warehouse"
        );
    }
}
