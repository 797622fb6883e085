//! PostgreSQL through the `postgres` crate (rust-postgres, synchronous).
//!
//! The database is the connection's `schema` (as Airflow's `PostgresHook` uses it), or
//! `postgres` when it has none; `extra.sslmode` of `disable`, `allow` or `prefer` connect
//! without TLS, and `require` / `verify-*` are refused until this client has TLS (a clear
//! error rather than a downgrade).

use std::time::Duration;

use airseal_connection::Connection;
use postgres::error::SqlState;
use postgres::{Client, NoTls};

use super::{Database, DatabaseError, login_and_port, scrubbed, target};

const DEFAULT_PORT: i64 = 5432;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// SCRAM verifiers need PostgreSQL 10: older servers would store the verifier text as the
/// password itself.
const MIN_SERVER_VERSION: i32 = 100_000;

pub struct Postgres;

fn sslmode(connection: &Connection) -> Option<String> {
    let extra = connection.extra.as_deref()?;
    let value: serde_json::Value = serde_json::from_str(extra).ok()?;
    value.get("sslmode")?.as_str().map(str::to_owned)
}

/// `"name"` with embedded quotes doubled.
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn classify(error: &postgres::Error, connection: &Connection, action: &str) -> DatabaseError {
    let target = target(connection, DEFAULT_PORT);
    let user = connection.login.clone().unwrap_or_default();
    let message = error
        .as_db_error()
        .map(|e| e.message().to_owned())
        .unwrap_or_else(|| {
            let mut message = error.to_string();
            if let Some(source) = std::error::Error::source(error) {
                message = format!("{message}: {source}");
            }
            message
        });
    match error.code() {
        Some(code)
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            DatabaseError::LoginRejected {
                target,
                user,
                message,
            }
        }
        Some(code) if *code == SqlState::INSUFFICIENT_PRIVILEGE => DatabaseError::NoPrivilege {
            target,
            user,
            action: action.to_owned(),
            message,
        },
        Some(_) => DatabaseError::Failed { target, message },
        None if error.as_db_error().is_none() => DatabaseError::Unreachable { target, message },
        None => DatabaseError::Failed { target, message },
    }
}

/// [`classify`] for a statement that carries `secret`: the server's message is scrubbed of it,
/// since a refused statement can be quoted back (MySQL's "near '…'").
fn classify_with(
    error: &postgres::Error,
    connection: &Connection,
    action: &str,
    secret: &str,
) -> DatabaseError {
    match classify(error, connection, action) {
        DatabaseError::LoginRejected {
            target,
            user,
            message,
        } => DatabaseError::LoginRejected {
            target,
            user,
            message: scrubbed(message, secret),
        },
        DatabaseError::NoPrivilege {
            target,
            user,
            action,
            message,
        } => DatabaseError::NoPrivilege {
            target,
            user,
            action,
            message: scrubbed(message, secret),
        },
        DatabaseError::Failed { target, message } => DatabaseError::Failed {
            target,
            message: scrubbed(message, secret),
        },
        DatabaseError::Unreachable { target, message } => DatabaseError::Unreachable {
            target,
            message: scrubbed(message, secret),
        },
        other => other,
    }
}

fn connect(connection: &Connection) -> Result<Client, DatabaseError> {
    let target_text = target(connection, DEFAULT_PORT);
    match sslmode(connection).as_deref() {
        None | Some("disable" | "allow" | "prefer") => {}
        Some(mode) => {
            return Err(DatabaseError::Unsupported(format!(
                "{target_text}: sslmode `{mode}` needs TLS, which airseal's PostgreSQL client does not have yet; rotate from a host that reaches the database over a trusted network with sslmode=prefer, or wait for TLS support"
            )));
        }
    }
    let (login, port) = login_and_port(connection, DEFAULT_PORT)?;
    let mut config = postgres::Config::new();
    config
        .host(connection.host.as_deref().unwrap_or("localhost"))
        .port(port)
        .user(login)
        .dbname(
            connection
                .schema
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("postgres"),
        )
        .connect_timeout(CONNECT_TIMEOUT)
        .application_name("airseal-rotate");
    if let Some(password) = &connection.password {
        config.password(password);
    }
    config
        .connect(NoTls)
        .map_err(|e| classify(&e, connection, "log in"))
}

fn check_version(client: &mut Client, connection: &Connection) -> Result<(), DatabaseError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(|e| classify(&e, connection, "read the server version"))?;
    let version: i32 = row.get(0);
    if version < MIN_SERVER_VERSION {
        return Err(DatabaseError::Unsupported(format!(
            "{}: PostgreSQL {version} is older than 10 and cannot take a SCRAM-SHA-256 verifier",
            target(connection, DEFAULT_PORT)
        )));
    }
    Ok(())
}

fn verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

impl Database for Postgres {
    fn login(&self, connection: &Connection) -> Result<(), DatabaseError> {
        let mut client = connect(connection)?;
        client
            .simple_query("SELECT 1")
            .map(|_| ())
            .map_err(|e| classify(&e, connection, "run a query"))
    }

    fn set_own_password(
        &self,
        connection: &Connection,
        new_password: &str,
    ) -> Result<(), DatabaseError> {
        let mut client = connect(connection)?;
        check_version(&mut client, connection)?;
        let verifier = verifier(new_password);
        client
            .batch_execute(&format!("ALTER ROLE CURRENT_USER PASSWORD '{verifier}'"))
            .map_err(|e| classify_with(&e, connection, "change its own password", &verifier))
    }

    fn set_user_password(
        &self,
        master: &Connection,
        user: &str,
        like: &str,
        new_password: &str,
    ) -> Result<(), DatabaseError> {
        let mut client = connect(master)?;
        check_version(&mut client, master)?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&user])
            .map_err(|e| classify(&e, master, "read pg_roles"))?
            .is_some();
        let verifier = verifier(new_password);
        let statement = if exists {
            format!(
                "ALTER ROLE {} WITH LOGIN PASSWORD '{verifier}'",
                identifier(user)
            )
        } else {
            // The clone is a member of the user it stands in for: it holds the same
            // privileges, now and after later grants to that user.
            format!(
                "CREATE ROLE {user_id} WITH LOGIN INHERIT PASSWORD '{verifier}'; GRANT {like_id} TO {user_id}",
                user_id = identifier(user),
                like_id = identifier(like)
            )
        };
        let action = if exists {
            format!("alter role `{user}`")
        } else {
            format!("create role `{user}` as a member of `{like}`")
        };
        let mut transaction = client
            .transaction()
            .map_err(|e| classify(&e, master, &action))?;
        transaction
            .batch_execute(&statement)
            .map_err(|e| classify_with(&e, master, &action, &verifier))?;
        transaction
            .commit()
            .map_err(|e| classify(&e, master, &action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_verifiers_hold_no_quote() {
        assert_eq!(identifier("app\"x"), "\"app\"\"x\"");
        let verifier = verifier("s3cret-password");
        assert!(verifier.starts_with("SCRAM-SHA-256$4096:"));
        assert!(!verifier.contains('\'') && !verifier.contains("s3cret"));
    }
}
