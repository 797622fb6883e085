//! Where airseal migrates secrets: one [`SecretStore`] trait, one module per store, and the
//! names Airflow's backends look up ([`naming`]). Stores never log or return a value in an
//! error: errors name the secret and the store.
//!
//! This release has the local-filesystem store (Airflow's `LocalFilesystemBackend` files, the
//! embedded default that needs no cloud account); the AWS and Vault stores follow behind cargo
//! features in their own modules.

pub mod local;
pub mod naming;

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

/// A secrets store airseal can write to and read back from.
pub trait SecretStore {
    /// For messages: `local files (secrets/connections.json)`.
    fn describe(&self) -> String;

    /// The value stored for an id, as Airflow would read it: a connection is decoded with
    /// Airflow's rules; `None` when absent.
    fn read(&self, kind: SecretKind, id: &str) -> Result<Option<SecretValue>, StoreError>;

    /// Stores a value. An existing equal value is left alone ([`WriteOutcome::Unchanged`]); a
    /// different one is a [`StoreError::Conflict`] unless `overwrite`.
    fn write(
        &mut self,
        kind: SecretKind,
        id: &str,
        value: &SecretValue,
        overwrite: bool,
    ) -> Result<WriteOutcome, StoreError>;
}
