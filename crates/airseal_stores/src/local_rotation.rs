//! Rotation for the local-files store. Files have no staging labels, so the pending version,
//! the previous one and the last rotation live in a state file beside the connections file
//! (`<connections file>.airseal-rotation.json`, mode 0600 like the store's own files: it holds
//! credentials just as they do). The connections file stays what Airflow reads: promotion
//! writes the pending connection into it, then records the promotion in the state file, so a
//! crash between the two is finished by running the promotion again.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use airseal_connection::{Connection, Dialect};

use crate::local::{LocalStore, atomic_write};
use crate::staged::{RotationRecord, StagedStore, StagedVersion};
use crate::{SecretKind, SecretStore, SecretValue, StoreError, WriteContext};

/// One state-file edit at a time in this process.
static STATE_EDITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

const STATE_FORMAT: u64 = 1;

impl LocalStore {
    /// The rotation state file beside the connections file, if one is configured.
    pub fn rotation_state_file(&self) -> Option<PathBuf> {
        let file = self.connections_file.as_ref()?;
        let name = file.file_name()?.to_string_lossy().into_owned();
        Some(file.with_file_name(format!("{name}.airseal-rotation.json")))
    }

    fn state_path(&self, id: &str) -> Result<PathBuf, StoreError> {
        self.rotation_state_file()
            .ok_or_else(|| StoreError::NotConfigured {
                kind: "connection",
                id: id.to_owned(),
                store: self.describe(),
                reason: "no connections file configured".to_owned(),
            })
    }

    fn load_state(&self, path: &Path) -> Result<Map<String, Value>, StoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let malformed = |line: usize, message: String| StoreError::Malformed {
            path: path.to_owned(),
            line,
            message,
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| malformed(e.line(), "not valid JSON: the rotation state file is airseal's own; restore it from a backup or remove it (the pending and previous versions it kept are then lost)".to_owned()))?;
        match value.get("format").and_then(Value::as_u64) {
            Some(STATE_FORMAT) => {}
            _ => {
                return Err(malformed(
                    1,
                    format!("not a rotation state file of format {STATE_FORMAT}"),
                ));
            }
        }
        match value.get("connections") {
            Some(Value::Object(map)) => Ok(map.clone()),
            _ => Err(malformed(1, "no `connections` object".to_owned())),
        }
    }

    fn save_state(&self, path: &Path, connections: Map<String, Value>) -> Result<(), StoreError> {
        let document = json!({ "format": STATE_FORMAT, "connections": connections });
        let text = serde_json::to_string_pretty(&document).unwrap_or_default();
        atomic_write(path, &format!("{text}\n"))
    }

    fn entry(&self, id: &str) -> Result<Map<String, Value>, StoreError> {
        let path = self.state_path(id)?;
        let state = self.load_state(&path)?;
        Ok(match state.get(id) {
            Some(Value::Object(entry)) => entry.clone(),
            _ => Map::new(),
        })
    }

    /// Edits one connection's entry of the state file under the lock.
    fn edit_entry<T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut Map<String, Value>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _guard = STATE_EDITS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = self.state_path(id)?;
        let mut state = self.load_state(&path)?;
        let mut entry = match state.remove(id) {
            Some(Value::Object(entry)) => entry,
            _ => Map::new(),
        };
        let result = edit(&mut entry)?;
        state.insert(id.to_owned(), Value::Object(entry));
        self.save_state(&path, state)?;
        Ok(result)
    }

    fn version_in(
        &self,
        id: &str,
        entry: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<StagedVersion>, StoreError> {
        let Some(Value::Object(version)) = entry.get(key) else {
            return Ok(None);
        };
        let connection = version
            .get("connection")
            .map(|c| Connection::from_json(&c.to_string(), Dialect::Airflow3))
            .transpose()
            .map_err(|error| StoreError::Malformed {
                path: self.rotation_state_file().unwrap_or_default(),
                line: 1,
                message: format!("connection `{id}`, {key} version: {error}"),
            })?;
        Ok(connection.map(|connection| StagedVersion {
            connection,
            version: version
                .get("token")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }))
    }

    /// What the state file and the connections file say of `id`: the last rotation (as the
    /// `airseal-rotated-at` tag, as on AWS), the current
    /// version, and as `last_changed` the connections file's modification time (the value can
    /// be no younger than that; files keep no time per entry).
    pub(crate) fn rotation_metadata(&self, id: &str) -> Result<crate::SecretMetadata, StoreError> {
        let last_rotation = self.last_rotation(id)?;
        let current = self.current(id)?;
        let modified = self
            .connections_file
            .as_ref()
            .and_then(|f| std::fs::metadata(f).ok())
            .and_then(|m| m.modified().ok())
            .map(crate::time::rfc3339);
        Ok(crate::SecretMetadata {
            name: id.to_owned(),
            last_changed: modified,
            // airseal's own record, where Secrets Manager keeps it too: the rotation tag.
            tags: last_rotation
                .map(|r| vec![(crate::staged::ROTATED_AT_TAG.to_owned(), r.rotated_at)])
                .unwrap_or_default(),
            version: current.and_then(|c| c.version),
            ..crate::SecretMetadata::default()
        })
    }

    fn current_connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        match self.read(SecretKind::Connection, id)? {
            Some(SecretValue::Connection(connection)) => Ok(Some(connection)),
            Some(SecretValue::Text(_)) | None => Ok(None),
        }
    }
}

fn fingerprint(id: &str, connection: &Connection) -> String {
    SecretValue::Connection(connection.clone()).fingerprint(SecretKind::Connection, id)
}

fn version_json(token: Option<&str>, connection: &Connection) -> Value {
    let connection: Value =
        serde_json::from_str(&connection.normalized().to_json()).unwrap_or(Value::Null);
    json!({ "token": token, "connection": connection })
}

impl StagedStore for LocalStore {
    fn describe_staged(&self) -> String {
        self.describe()
    }

    fn current(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let Some(connection) = self.current_connection(id)? else {
            return Ok(None);
        };
        let entry = self.entry(id)?;
        // The recorded version counts only while the file still holds the value it was
        // recorded for: an edit outside airseal makes the current value a version of its own.
        let recorded = entry.get("current_fingerprint").and_then(Value::as_str);
        let version = if recorded == Some(fingerprint(id, &connection).as_str()) {
            entry
                .get("current_version")
                .and_then(Value::as_str)
                .map(str::to_owned)
        } else {
            None
        };
        Ok(Some(StagedVersion {
            connection,
            version,
        }))
    }

    fn pending(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let entry = self.entry(id)?;
        self.version_in(id, &entry, "pending")
    }

    fn previous(&self, id: &str) -> Result<Option<StagedVersion>, StoreError> {
        let entry = self.entry(id)?;
        self.version_in(id, &entry, "previous")
    }

    fn put_pending(
        &self,
        id: &str,
        connection: &Connection,
        token: &str,
    ) -> Result<(), StoreError> {
        let existing = self.pending(id)?;
        if let Some(existing) = existing
            && existing.version.as_deref() == Some(token)
        {
            if existing.connection.normalized() == connection.normalized() {
                return Ok(());
            }
            return Err(crate::staged::pending_conflict(id, &self.describe(), token));
        }
        self.edit_entry(id, |entry| {
            entry.insert("pending".to_owned(), version_json(Some(token), connection));
            Ok(())
        })
    }

    fn promote(&self, id: &str, token: &str) -> Result<(), StoreError> {
        let pending = self.pending(id)?;
        let current = self.current(id)?;
        let Some(pending) = pending.filter(|p| p.version.as_deref() == Some(token)) else {
            if current.as_ref().and_then(|c| c.version.as_deref()) == Some(token) {
                return Ok(());
            }
            return Err(StoreError::Backend {
                kind: "connection",
                id: id.to_owned(),
                store: self.describe(),
                message: format!("no pending version {token} to promote"),
            });
        };
        // Once the file holds the pending value, a crash before the state edit leaves the
        // pending record in place; promoting again rewrites nothing and finishes the edit.
        let before =
            current.filter(|c| c.connection.normalized() != pending.connection.normalized());
        self.write(
            SecretKind::Connection,
            id,
            &SecretValue::Connection(pending.connection.clone()),
            true,
            &WriteContext::default(),
        )?;
        let promoted = fingerprint(id, &pending.connection);
        self.edit_entry(id, |entry| {
            if let Some(before) = &before {
                entry.insert(
                    "previous".to_owned(),
                    version_json(before.version.as_deref(), &before.connection),
                );
            }
            entry.insert(
                "current_version".to_owned(),
                Value::String(token.to_owned()),
            );
            entry.insert("current_fingerprint".to_owned(), Value::String(promoted));
            entry.remove("pending");
            Ok(())
        })
    }

    fn record_rotation(&self, id: &str, record: &RotationRecord) -> Result<(), StoreError> {
        self.edit_entry(id, |entry| {
            entry.insert(
                "last_rotation".to_owned(),
                json!({
                    "rotated_at": record.rotated_at,
                    "version": record.version,
                    "strategy": record.strategy,
                    "user": record.user,
                }),
            );
            Ok(())
        })
    }

    fn last_rotation(&self, id: &str) -> Result<Option<RotationRecord>, StoreError> {
        let entry = self.entry(id)?;
        let Some(Value::Object(record)) = entry.get("last_rotation") else {
            return Ok(None);
        };
        let text = |key: &str| {
            record
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Some(RotationRecord {
            rotated_at: text("rotated_at"),
            version: text("version"),
            strategy: text("strategy"),
            user: text("user"),
        }))
    }
}
