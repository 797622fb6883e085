//! `airseal rotate`: rotation policies and status ([`status`]), and staged rotation of the
//! database credentials behind Airflow connections ([`protocol`]) in the store Airflow reads
//! them from, without a Lambda and without a moment where no stored credential works.
//!
//! - [`password`]: new passwords from the OS RNG under `[rotation.password]`.
//! - [`database`]: the engines whose users change (PostgreSQL; MySQL next).
//! - [`protocol`]: create pending → set in the database → test → promote → record, each step
//!   idempotent, so an interrupted run resumes and converges.
//! - [`audit`]: the JSONL audit trail (names, versions, outcomes; never a value).
//! - [`schedule`]: an Airflow DAG or a Kubernetes CronJob that runs `rotate run --due`.

pub mod audit;
pub mod database;
pub mod fault;
pub mod password;
pub mod protocol;
pub mod schedule;
pub mod status;

pub use database::{Database, DatabaseError, Engine};
pub use protocol::{Outcome, RotationReport, Strategy};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("connection `{0}` is not in {1}")]
    NotFound(String, String),
    #[error("connection `{id}`: {message}")]
    Unrotatable { id: String, message: String },
    #[error(
        "connection `{id}`: pending version {pending} is waiting in the store; re-run without --token (or with --token {pending}) to finish it"
    )]
    OtherPending { id: String, pending: String },
    #[error("connection `{id}`: {source} (nothing was promoted{kept})")]
    Database {
        id: String,
        source: Box<DatabaseError>,
        /// What is left for a re-run.
        kept: &'static str,
    },
    #[error(
        "connection `{id}`: the new credentials do not log in ({source}); nothing was promoted, the pending version stays for a re-run"
    )]
    TestFailed {
        id: String,
        source: Box<DatabaseError>,
    },
    #[error(transparent)]
    Store(#[from] airseal_stores::StoreError),
    #[error("the random number generator failed: {0}")]
    Random(String),
    #[error("{0}")]
    Policy(String),
    #[error("{path}: {message}")]
    Audit { path: String, message: String },
}
