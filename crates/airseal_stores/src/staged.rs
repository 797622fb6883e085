//! Staged versions of a connection, for rotation: a *pending* version written beside the
//! *current* one (what Airflow reads), then promoted, the old current kept as *previous*.
//!
//! This is Secrets Manager's own protocol (`AWSPENDING`, `AWSCURRENT`, `AWSPREVIOUS` staging
//! labels on versions identified by a `ClientRequestToken`), which its rotation Lambdas follow.
//! Stores without staging labels keep an equivalent pending record (the local-files store: a
//! state file beside its files). Every call is idempotent for the same token, so a rotation
//! interrupted at any step can be run again and converges.

use airseal_connection::Connection;

use crate::StoreError;

/// One version of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedVersion {
    pub connection: Connection,
    /// The store's id of this version (Secrets Manager: the `VersionId`, which is the
    /// `ClientRequestToken` it was written with; local files: the token airseal recorded).
    /// `None` when the store has no id for it (a local value written outside a rotation).
    pub version: Option<String>,
}

/// What airseal records on a secret after a rotation (AWS: tags; local files: the state
/// file). Names and times only, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationRecord {
    /// RFC 3339, UTC.
    pub rotated_at: String,
    pub version: String,
    pub strategy: String,
    /// The database user the current version logs in as (alternating users flip it).
    pub user: String,
}

/// Tag keys of a [`RotationRecord`] on AWS.
pub const ROTATED_AT_TAG: &str = "airseal-rotated-at";
pub const ROTATION_VERSION_TAG: &str = "airseal-rotation-version";
pub const ROTATION_STRATEGY_TAG: &str = "airseal-rotation-strategy";
pub const ROTATION_USER_TAG: &str = "airseal-rotation-user";

impl RotationRecord {
    pub fn tags(&self) -> Vec<(String, String)> {
        vec![
            (ROTATED_AT_TAG.to_owned(), self.rotated_at.clone()),
            (ROTATION_VERSION_TAG.to_owned(), self.version.clone()),
            (ROTATION_STRATEGY_TAG.to_owned(), self.strategy.clone()),
            (ROTATION_USER_TAG.to_owned(), self.user.clone()),
        ]
    }
}

/// `put_pending` of a token that is already pending with another value.
pub(crate) fn pending_conflict(id: &str, store: &str, token: &str) -> StoreError {
    StoreError::Conflict {
        kind: "connection",
        id: id.to_owned(),
        store: format!("{store} (pending version {token})"),
    }
}

/// Secrets Manager's own rotation: a Lambda the user keeps, and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRotation {
    pub lambda_arn: String,
    /// `RotationRules.AutomaticallyAfterDays`.
    pub after_days: Option<i64>,
    /// `RotationRules.ScheduleExpression`.
    pub schedule_expression: Option<String>,
    /// `RotationRules.Duration` (`3h`).
    pub window: Option<String>,
    pub rotate_immediately: bool,
}

/// A store that can hold a pending connection version beside the current one.
pub trait StagedStore: Sync {
    /// For messages.
    fn describe_staged(&self) -> String;

    /// The version Airflow reads (`AWSCURRENT`); `None` when the connection is absent.
    fn current(&self, id: &str) -> Result<Option<StagedVersion>, StoreError>;

    /// The pending version, if one is staged and is not also the current one.
    fn pending(&self, id: &str) -> Result<Option<StagedVersion>, StoreError>;

    /// The version before the current one (`AWSPREVIOUS`), if the store kept it.
    fn previous(&self, id: &str) -> Result<Option<StagedVersion>, StoreError>;

    /// Stages `connection` as the pending version `token`. Repeating it with the same token
    /// and value is a no-op; the same token with another value is an error.
    fn put_pending(&self, id: &str, connection: &Connection, token: &str)
    -> Result<(), StoreError>;

    /// Makes version `token` the current one (the old current becomes previous) and clears the
    /// pending mark. A no-op when `token` is already current.
    fn promote(&self, id: &str, token: &str) -> Result<(), StoreError>;

    /// Records a finished rotation on the secret (AWS tags, the local state file).
    fn record_rotation(&self, id: &str, record: &RotationRecord) -> Result<(), StoreError>;

    /// The last rotation airseal recorded, if any.
    fn last_rotation(&self, id: &str) -> Result<Option<RotationRecord>, StoreError>;

    /// Turns on the store's own rotation (Secrets Manager's `RotateSecret`).
    fn enable_native_rotation(
        &self,
        id: &str,
        _rotation: &NativeRotation,
    ) -> Result<(), StoreError> {
        Err(StoreError::NotConfigured {
            kind: "connection",
            id: id.to_owned(),
            store: self.describe_staged(),
            reason: "the store has no rotation of its own (only Secrets Manager does)".to_owned(),
        })
    }
}
