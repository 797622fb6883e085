//! Where airseal migrates secrets: one [`SecretStore`] trait, one module per store, and the
//! names Airflow's backends look up ([`naming`]). Stores never log or return a value in an
//! error: errors name the secret and the store.
//!
//! Stores: [`local`] (Airflow's `LocalFilesystemBackend` files, the embedded default that needs
//! no cloud account), `aws` (Secrets Manager and SSM Parameter Store, cargo feature `aws`) and
//! `vault` (HashiCorp Vault KV v2, cargo feature `vault`).

#[cfg(feature = "aws")]
pub mod aws;
pub mod local;
mod local_rotation;
pub mod naming;
pub mod staged;
pub mod time;
#[cfg(feature = "vault")]
pub mod vault;

use std::path::PathBuf;

use airseal_connection::Connection;

/// What a secret is to Airflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    Connection,
    Variable,
    Config,
}

impl SecretKind {
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::Connection => "connection",
            SecretKind::Variable => "variable",
            SecretKind::Config => "config",
        }
    }
}

/// A value to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    Connection(Connection),
    /// A Variable's or a config option's text.
    Text(String),
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    /// The same value was already there: nothing written.
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{kind} `{id}`: a different value already exists in {store} (pass --overwrite to replace it)"
    )]
    Conflict {
        kind: &'static str,
        id: String,
        store: String,
    },
    #[error("{kind} `{id}`: {store} has no place for it ({reason})")]
    NotConfigured {
        kind: &'static str,
        id: String,
        store: String,
        reason: String,
    },
    /// The store cannot hold this id or value as Airflow would read it back (an env file line
    /// cannot hold a line break, a name has a character the backend refuses, ...).
    #[error("{kind} `{id}`: {store} cannot hold it: {reason}")]
    Unrepresentable {
        kind: &'static str,
        id: String,
        store: String,
        reason: String,
    },
    /// The store answered with an error, or could not be reached, after the retries.
    #[error("{kind} `{id}`: {store}: {message}")]
    Backend {
        kind: &'static str,
        id: String,
        store: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// What a store knows about a stored secret besides its value (for `migrate verify` and the
/// later rotation and audit work). Every field is optional: stores fill what they have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretMetadata {
    /// The name in the store (`airflow/connections/warehouse`, `/airflow/variables/token`).
    pub name: String,
    /// RFC 3339 times.
    pub last_changed: Option<String>,
    pub last_rotated: Option<String>,
    pub last_accessed: Option<String>,
    /// The store's version id of the current value (AWSCURRENT's VersionId, SSM's version,
    /// Vault's version number).
    pub version: Option<String>,
    pub kms_key: Option<String>,
    pub tags: Vec<(String, String)>,
    /// When the secret was created (RFC 3339).
    pub created: Option<String>,
    /// Store-native rotation (Secrets Manager's `RotationEnabled`, its Lambda and its
    /// `NextRotationDate`); `None` where the store has none.
    pub rotation_enabled: Option<bool>,
    pub rotation_lambda: Option<String>,
    pub next_rotation: Option<String>,
}

/// Where a value came from, recorded as tags / custom metadata where the store has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteContext {
    /// `path:line` of the source the value was read from.
    pub source: Option<String>,
    /// The plan's read found nothing under this name. A store whose create call fails when
    /// the name exists (Secrets Manager's `CreateSecret`, SSM's `PutParameter` without
    /// `Overwrite`) may then create first and read only when told the name exists: one
    /// request per new secret instead of two, with the same no-clobber guarantee.
    pub absent_at_plan: bool,
}

/// Tag/metadata keys airseal writes on every secret it creates.
pub const MANAGED_BY_TAG: (&str, &str) = ("managed-by", "airseal");
pub const SOURCE_TAG: &str = "airseal-source";

/// A secrets store airseal can write to and read back from. Stores are shared between the
/// worker threads of `migrate apply`, hence `&self` and `Sync`.
pub trait SecretStore: Sync {
    /// For messages: `local files (secrets/connections.json)`.
    fn describe(&self) -> String;

    /// The value stored for an id, as Airflow would read it: a connection is decoded with
    /// Airflow's rules; `None` when absent.
    fn read(&self, kind: SecretKind, id: &str) -> Result<Option<SecretValue>, StoreError>;

    /// Reads several ids of one kind: one result per id, in order. Stores with a batch read
    /// (Secrets Manager's `BatchGetSecretValue`, SSM's `GetParameters`) override it, so a plan
    /// or a verify of 1,000 secrets is 50 or 100 requests rather than 1,000.
    fn read_many(
        &self,
        kind: SecretKind,
        ids: &[&str],
    ) -> Vec<Result<Option<SecretValue>, StoreError>> {
        ids.iter().map(|id| self.read(kind, id)).collect()
    }

    /// How many ids one [`SecretStore::read_many`] request reads (1: the store has no batch
    /// read, and callers read ids one at a time in parallel instead).
    fn read_batch_size(&self) -> usize {
        1
    }

    /// Stores a value. An existing equal value is left alone ([`WriteOutcome::Unchanged`]); a
    /// different one is a [`StoreError::Conflict`] unless `overwrite`.
    fn write(
        &self,
        kind: SecretKind,
        id: &str,
        value: &SecretValue,
        overwrite: bool,
        context: &WriteContext,
    ) -> Result<WriteOutcome, StoreError>;

    /// The store's name for `id`, where it has one (`None` when this store would never hold it).
    fn name_of(&self, kind: SecretKind, id: &str) -> Option<String>;

    /// `value` as this store gives it back to Airflow: what a stored value is compared with.
    /// Stores that keep every field return it as it is; AWS Secrets Manager's backend reads
    /// JSON through its key aliases and drops the rest (a connection's `description`).
    fn read_back(&self, _kind: SecretKind, value: &SecretValue) -> SecretValue {
        value.clone()
    }

    /// Metadata of the stored secret, `None` when absent or when the store keeps none.
    fn metadata(&self, _kind: SecretKind, _id: &str) -> Result<Option<SecretMetadata>, StoreError> {
        Ok(None)
    }

    /// Local files the store writes (the local-files store's `connections.json` …; none for a
    /// network store). A migration walking a directory skips them: a store kept beside the
    /// deployment is the destination, not one more source whose values would look like
    /// duplicate definitions.
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Every id of `kind` the store holds where Airflow looks (`None`: the store cannot list).
    fn list_ids(&self, _kind: SecretKind) -> Result<Option<Vec<String>>, StoreError> {
        Ok(None)
    }

    /// The store's staged versions, for rotation; `None` when the store keeps no pending
    /// version yet.
    fn staged(&self) -> Option<&dyn staged::StagedStore> {
        None
    }
}

/// How a connection is stored where a store holds one string: JSON (what Airflow ≥ 2.3
/// prefers: every field exact) or URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionForm {
    #[default]
    Json,
    Uri,
}

impl SecretValue {
    /// The string a one-string store (Secrets Manager, SSM, a Variable anywhere) holds.
    pub fn stored_text(&self, form: ConnectionForm) -> String {
        match (self, form) {
            (SecretValue::Text(text), _) => text.clone(),
            (SecretValue::Connection(c), ConnectionForm::Json) => c.to_json(),
            (SecretValue::Connection(c), ConnectionForm::Uri) => {
                c.to_uri(airseal_connection::Dialect::Airflow3)
            }
        }
    }

    /// What Airflow's `BaseSecretsBackend.deserialize_connection` makes of a stored string:
    /// JSON when it starts with `{`, else a URI. `aws_aliases` reads JSON the way the AWS
    /// Secrets Manager backend does (its key aliases; other keys dropped). Errors say what is
    /// wrong, never the text.
    pub fn from_stored_text(
        kind: SecretKind,
        text: &str,
        aws_aliases: bool,
    ) -> Result<SecretValue, airseal_connection::CodecError> {
        use airseal_connection::Dialect;
        if kind != SecretKind::Connection {
            return Ok(SecretValue::Text(text.to_owned()));
        }
        let connection = if text.trim_start().starts_with('{') {
            if aws_aliases {
                Connection::from_aws_secret_json(text, &[], Dialect::Airflow3)
            } else {
                Connection::from_json(text, Dialect::Airflow3)
            }
        } else {
            Connection::from_uri(text, Dialect::Airflow3)
        }?;
        Ok(SecretValue::Connection(connection))
    }

    /// Equal as Airflow would read them (a connection's empty password is no password).
    pub fn same_as(&self, other: &SecretValue) -> bool {
        match (self, other) {
            (SecretValue::Connection(a), SecretValue::Connection(b)) => {
                a.normalized() == b.normalized()
            }
            (a, b) => a == b,
        }
    }

    /// A fingerprint for plans and reports, which show names and hashes, never values: the
    /// first 12 hex digits of SHA-256 over the kind, the id and the value as Airflow reads it
    /// (so a connection hashes the same in JSON and URI form). 48 bits identify a change; they
    /// are too few to confirm a guessed value offline with confidence across many secrets.
    pub fn fingerprint(&self, kind: SecretKind, id: &str) -> String {
        use sha2::{Digest, Sha256};
        let canonical = match self {
            SecretValue::Connection(c) => c.normalized().to_json(),
            SecretValue::Text(text) => text.clone(),
        };
        let mut hasher = Sha256::new();
        for part in [kind.name(), id, &canonical] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }
}

/// Python's `re.match(pattern, id, re.IGNORECASE)` as Airflow's backends apply
/// `*_lookup_pattern`: anchored at the start only. A pattern Rust's regex cannot compile
/// (look-around, back-references) counts as a match, so a secret is never silently skipped; the
/// caller warns.
pub fn lookup_pattern_matches(pattern: &str, id: &str) -> bool {
    match regex::Regex::new(&format!("(?i)^(?:{pattern})")) {
        Ok(regex) => regex.is_match(id),
        Err(_) => true,
    }
}
