//! The staged rotation of one connection, Secrets Manager's four steps without a Lambda:
//!
//! 1. **create**: a pending version — the current connection with a new password (single
//!    user) or the other of two users with a new password (alternating users) — is staged
//!    under a token (`AWSPENDING`; the local store's state file);
//! 2. **set**: the database gets the new password (`ALTER ROLE`), unless the pending
//!    credentials already log in;
//! 3. **test**: the pending credentials must log in, or nothing is promoted;
//! 4. **finish**: the pending version becomes current (`AWSCURRENT`; the old one is kept as
//!    `AWSPREVIOUS`), then the rotation is recorded on the secret.
//!
//! Every step is idempotent for the token. A run that stops anywhere leaves either a pending
//! version (the next run resumes it rather than making another) or a promoted, unrecorded one
//! (the next run only records it). Until the database changes, the current credentials log in;
//! after, the pending ones do; after promotion, the current ones again. With alternating users
//! the old user keeps its password, so clients holding the previous version keep working until
//! the next rotation.

use airseal_config::rotation::PasswordSettings;
use airseal_connection::Connection;
use airseal_stores::staged::{RotationRecord, StagedStore, StagedVersion};

use crate::database::{Database, DatabaseError, Engine};
use crate::fault::{Step, When, point};
use crate::{RotationError, password};

/// Tokens airseal makes start with this, so a promoted but unrecorded version is recognised
/// as airseal's own on the next run.
pub const TOKEN_PREFIX: &str = "airseal-rot-";
/// The suffix of the second user of alternating-users rotation.
pub const CLONE_SUFFIX: &str = "_clone";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    SingleUser,
    AlternatingUsers,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::SingleUser => "single-user",
            Strategy::AlternatingUsers => "alternating-users",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        match text {
            "single-user" => Some(Strategy::SingleUser),
            "alternating-users" => Some(Strategy::AlternatingUsers),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new version was made, set and promoted.
    Rotated,
    /// An interrupted rotation was finished.
    Resumed,
    /// The token was already current and recorded: nothing to do.
    Unchanged,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Rotated => "rotated",
            Outcome::Resumed => "resumed",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// What a rotation did: names and versions, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub id: String,
    pub outcome: Outcome,
    pub strategy: Strategy,
    pub token: String,
    /// The version that was current before.
    pub from_version: Option<String>,
    pub user_before: String,
    pub user_after: String,
    /// The steps this run carried out (a resumed run skips those already done).
    pub steps: Vec<&'static str>,
}

pub struct Request<'a> {
    pub id: &'a str,
    pub strategy: Strategy,
    /// The connection that may create and alter roles (alternating users).
    pub master: Option<&'a Connection>,
    /// `--token`: makes a re-run with the same token a no-op once it is current.
    pub token: Option<&'a str>,
    pub password: &'a PasswordSettings,
}

/// A new token: the prefix and 128 random bits (Secrets Manager takes 32 to 64 characters).
pub fn new_token() -> Result<String, RotationError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RotationError::Random(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TOKEN_PREFIX}{hex}"))
}

/// The user the next version of alternating-users rotation logs in as, and the base user whose
/// privileges the clone holds.
pub fn alternate(login: &str) -> (String, String) {
    match login.strip_suffix(CLONE_SUFFIX) {
        Some(base) if !base.is_empty() => (base.to_owned(), base.to_owned()),
        _ => (format!("{login}{CLONE_SUFFIX}"), login.to_owned()),
    }
}

/// Why a connection cannot be rotated, if it cannot.
pub fn unrotatable(connection: &Connection) -> Option<String> {
    let Some(engine) = Engine::of(connection) else {
        return Some(format!(
            "conn_type `{}` is not a database airseal rotates (postgres, mysql)",
            connection.conn_type.as_deref().unwrap_or("")
        ));
    };
    if connection.host.as_deref().is_none_or(str::is_empty) {
        return Some(format!("the {} connection has no host", engine.name()));
    }
    if connection.login.as_deref().is_none_or(str::is_empty) {
        return Some(format!("the {} connection has no login", engine.name()));
    }
    None
}

fn database_error(id: &str, source: DatabaseError, kept: &'static str) -> RotationError {
    RotationError::Database {
        id: id.to_owned(),
        source: Box::new(source),
        kept,
    }
}

/// Rotates `request.id` in `store`, opening the database with `open`.
pub fn rotate(
    store: &dyn StagedStore,
    open: &dyn Fn(Engine) -> Result<Box<dyn Database>, DatabaseError>,
    request: &Request<'_>,
) -> Result<RotationReport, RotationError> {
    let id = request.id;
    let current = store
        .current(id)?
        .ok_or_else(|| RotationError::NotFound(id.to_owned(), store.describe_staged()))?;
    if let Some(message) = unrotatable(&current.connection) {
        return Err(RotationError::Unrotatable {
            id: id.to_owned(),
            message,
        });
    }
    let engine = Engine::of(&current.connection).unwrap_or(Engine::Postgres);
    let user_before = current.connection.login.clone().unwrap_or_default();
    let mut steps = Vec::new();
    let pending = store.pending(id)?;

    let report = |outcome, token: &str, user_after: String, steps| RotationReport {
        id: id.to_owned(),
        outcome,
        strategy: request.strategy,
        token: token.to_owned(),
        from_version: current.version.clone(),
        user_before: user_before.clone(),
        user_after,
        steps,
    };

    if pending.is_none() {
        // Promoted earlier: only the record may be missing.
        if let Some(version) = current.version.as_deref()
            && (request.token == Some(version)
                || (request.token.is_none() && version.starts_with(TOKEN_PREFIX)))
        {
            let recorded = store.last_rotation(id)?.map(|r| r.version);
            if recorded.as_deref() == Some(version) {
                if request.token == Some(version) {
                    return Ok(report(
                        Outcome::Unchanged,
                        version,
                        user_before.clone(),
                        steps,
                    ));
                }
            } else {
                record(store, id, version, request.strategy, &user_before)?;
                steps.push(Step::Record.name());
                return Ok(report(
                    Outcome::Resumed,
                    version,
                    user_before.clone(),
                    steps,
                ));
            }
        }
    }

    let database = open(engine).map_err(|e| database_error(id, e, ""))?;
    let master = match request.strategy {
        Strategy::SingleUser => None,
        Strategy::AlternatingUsers => Some(request.master.ok_or_else(|| RotationError::Unrotatable {
            id: id.to_owned(),
            message: "alternating-users rotation needs --master CONN_ID, a connection that may create and alter roles".to_owned(),
        })?),
    };

    let (token, pending, resumed) = match pending {
        Some(StagedVersion {
            connection,
            version: Some(version),
        }) => {
            if let Some(asked) = request.token
                && asked != version
            {
                return Err(RotationError::OtherPending {
                    id: id.to_owned(),
                    pending: version,
                });
            }
            check_pending_matches(id, request.strategy, &current.connection, &connection)?;
            (version, connection, true)
        }
        _ => {
            // Before anything is written: the database must be reachable and the credentials
            // that will make the change must log in, so a doomed run leaves nothing behind.
            let preflight = match master {
                Some(master) => database.login(master),
                None => database.login(&current.connection),
            };
            preflight.map_err(|e| database_error(id, e, ""))?;
            let token = match request.token {
                Some(token) => token.to_owned(),
                None => new_token()?,
            };
            let mut next = current.connection.clone();
            next.password = Some(password::generate(request.password)?);
            if request.strategy == Strategy::AlternatingUsers {
                next.login = Some(alternate(&user_before).0);
            }
            point(When::Before, Step::PutPending);
            store.put_pending(id, &next, &token)?;
            point(When::After, Step::PutPending);
            steps.push(Step::PutPending.name());
            (token, next, false)
        }
    };
    let user_after = pending.login.clone().unwrap_or_default();
    let new_password = pending.password.clone().unwrap_or_default();

    if database.login(&pending).is_err() {
        point(When::Before, Step::SetPassword);
        let changed = match master {
            Some(master) => {
                let (_, base) = alternate(&user_before);
                database.set_user_password(master, &user_after, &base, &new_password)
            }
            None => set_own_password(store, database.as_ref(), id, &current, &new_password),
        };
        changed.map_err(|e| database_error(id, e, ", the pending version stays for a re-run"))?;
        point(When::After, Step::SetPassword);
        steps.push(Step::SetPassword.name());
        database
            .login(&pending)
            .map_err(|source| RotationError::TestFailed {
                id: id.to_owned(),
                source: Box::new(source),
            })?;
    }

    point(When::Before, Step::Promote);
    store.promote(id, &token)?;
    point(When::After, Step::Promote);
    steps.push(Step::Promote.name());

    record(store, id, &token, request.strategy, &user_after)?;
    steps.push(Step::Record.name());
    let outcome = if resumed {
        Outcome::Resumed
    } else {
        Outcome::Rotated
    };
    Ok(report(outcome, &token, user_after, steps))
}

/// Single user: the current credentials change their own password; when they no longer log
/// in (someone changed the password outside airseal, or a previous run set it and the store
/// lost the pending version), the previous version's credentials are tried.
fn set_own_password(
    store: &dyn StagedStore,
    database: &dyn Database,
    id: &str,
    current: &StagedVersion,
    new_password: &str,
) -> Result<(), DatabaseError> {
    match database.set_own_password(&current.connection, new_password) {
        Err(DatabaseError::LoginRejected { .. }) => {
            if let Ok(Some(previous)) = store.previous(id)
                && previous.connection.login == current.connection.login
                && database.login(&previous.connection).is_ok()
            {
                return database.set_own_password(&previous.connection, new_password);
            }
            database.set_own_password(&current.connection, new_password)
        }
        other => other,
    }
}

fn check_pending_matches(
    id: &str,
    strategy: Strategy,
    current: &Connection,
    pending: &Connection,
) -> Result<(), RotationError> {
    let current_login = current.login.clone().unwrap_or_default();
    let expected = match strategy {
        Strategy::SingleUser => current_login.clone(),
        Strategy::AlternatingUsers => alternate(&current_login).0,
    };
    let pending_login = pending.login.clone().unwrap_or_default();
    let same_place = pending.host == current.host && pending.port == current.port;
    if pending_login != expected || !same_place {
        return Err(RotationError::Unrotatable {
            id: id.to_owned(),
            message: format!(
                "the pending version logs in as `{pending_login}`, not as `{expected}` on the current host as {} rotation would; it was staged by another strategy or tool: finish it with that, or remove the AWSPENDING label / the pending record",
                strategy.name()
            ),
        });
    }
    Ok(())
}

fn record(
    store: &dyn StagedStore,
    id: &str,
    token: &str,
    strategy: Strategy,
    user: &str,
) -> Result<(), RotationError> {
    point(When::Before, Step::Record);
    store.record_rotation(
        id,
        &RotationRecord {
            rotated_at: airseal_stores::time::now(),
            version: token.to_owned(),
            strategy: strategy.name().to_owned(),
            user: user.to_owned(),
        },
    )?;
    point(When::After, Step::Record);
    Ok(())
}
