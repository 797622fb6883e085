//! MySQL and MariaDB through the `mysql` crate (rust-mysql-simple, synchronous, no TLS stack).
//!
//! The connection's `schema` is the default database (none when empty). `extra.ssl_mode` /
//! `extra.ssl` asking for TLS is refused until this client has TLS, as for PostgreSQL.
//!
//! Passwords go in `IDENTIFIED BY '...'` (MySQL and MariaDB mask that clause in their general
//! and slow logs and binary logs); generated passwords hold no quote or backslash, and the
//! literal is escaped all the same. Single user: MariaDB's `SET PASSWORD = PASSWORD(...)`
//! (allowed to every account for itself), MySQL's `ALTER USER CURRENT_USER() IDENTIFIED BY`.
//! Alternating users: the clone is created for every host the base account has, with the base
//! account's grants (`SHOW GRANTS`, re-issued for the clone), as AWS's multi-user rotation
//! Lambda for MySQL does.

use std::time::Duration;

use airseal_connection::Connection;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use super::{Database, DatabaseError, login_and_port, scrubbed, target};

const DEFAULT_PORT: i64 = 3306;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct MySql;

fn wants_tls(connection: &Connection) -> Option<String> {
    let extra: serde_json::Value = serde_json::from_str(connection.extra.as_deref()?).ok()?;
    if let Some(mode) = extra.get("ssl_mode").and_then(|v| v.as_str()) {
        let mode = mode.to_ascii_uppercase();
        return (!matches!(mode.as_str(), "DISABLED" | "PREFERRED")).then_some(mode);
    }
    extra
        .get("ssl")
        .filter(|v| !v.is_null() && v.as_bool() != Some(false))
        .map(|_| "ssl".to_owned())
}

/// A single-quoted SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

fn account(user: &str, host: &str) -> String {
    format!("{}@{}", literal(user), literal(host))
}

fn classify(error: &mysql::Error, connection: &Connection, action: &str) -> DatabaseError {
    let target = target(connection, DEFAULT_PORT);
    let user = connection.login.clone().unwrap_or_default();
    match error {
        mysql::Error::MySqlError(server) => {
            let message = server.message.clone();
            match server.code {
                // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR at login.
                1045 => DatabaseError::LoginRejected {
                    target,
                    user,
                    message,
                },
                // ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR,
                // ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_PASSWORD_NOT_ALLOWED...
                1044 | 1142 | 1227 | 1131 | 1132 => DatabaseError::NoPrivilege {
                    target,
                    user,
                    action: action.to_owned(),
                    message,
                },
                _ => DatabaseError::Failed { target, message },
            }
        }
        mysql::Error::IoError(_) | mysql::Error::DriverError(_) | mysql::Error::UrlError(_) => {
            DatabaseError::Unreachable {
                target,
                message: error.to_string(),
            }
        }
        other => DatabaseError::Failed {
            target,
            message: other.to_string(),
        },
    }
}

/// [`classify`] for a statement that carries `secret`: the server's message is scrubbed of it,
/// since a refused statement can be quoted back (MySQL's "near '…'").
fn classify_with(
    error: &mysql::Error,
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

fn connect(connection: &Connection) -> Result<Conn, DatabaseError> {
    let target_text = target(connection, DEFAULT_PORT);
    if let Some(mode) = wants_tls(connection) {
        return Err(DatabaseError::Unsupported(format!(
            "{target_text}: TLS ({mode}) is asked for, which airseal's MySQL client does not have yet"
        )));
    }
    let (login, port) = login_and_port(connection, DEFAULT_PORT)?;
    let options = OptsBuilder::new()
        .ip_or_hostname(Some(connection.host.as_deref().unwrap_or("localhost")))
        .tcp_port(port)
        .user(Some(login))
        .pass(connection.password.as_deref())
        .db_name(connection.schema.as_deref().filter(|s| !s.is_empty()))
        .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
        .prefer_socket(false);
    Conn::new(options).map_err(|e| classify(&e, connection, "log in"))
}

fn is_mariadb(client: &mut Conn, connection: &Connection) -> Result<bool, DatabaseError> {
    let version: Option<String> = client
        .query_first("SELECT VERSION()")
        .map_err(|e| classify(&e, connection, "read the server version"))?;
    Ok(version.is_some_and(|v| v.contains("MariaDB")))
}

/// `GRANT ... TO 'base'@'host' ...` as the same grant to the clone, without the base account's
/// password hash (MariaDB prints it on the USAGE line).
fn grant_for(grant: &str, base: &str, clone: &str, host: &str) -> String {
    let mut statement = grant.to_owned();
    for quote in ['\'', '`'] {
        let from = format!("{quote}{base}{quote}@{quote}{host}{quote}");
        statement = statement.replace(&from, &account(clone, host));
    }
    if let Some(at) = statement.find(" IDENTIFIED BY PASSWORD") {
        let rest = &statement[at + " IDENTIFIED BY PASSWORD".len()..];
        // The hash literal, then whatever follows it (WITH GRANT OPTION).
        let after = rest
            .trim_start()
            .strip_prefix('\'')
            .and_then(|r| r.find('\'').map(|end| &r[end + 1..]))
            .unwrap_or("");
        statement = format!("{}{}", &statement[..at], after);
    }
    statement
}

impl Database for MySql {
    fn login(&self, connection: &Connection) -> Result<(), DatabaseError> {
        let mut client = connect(connection)?;
        client
            .query_drop("SELECT 1")
            .map_err(|e| classify(&e, connection, "run a query"))
    }

    fn set_own_password(
        &self,
        connection: &Connection,
        new_password: &str,
    ) -> Result<(), DatabaseError> {
        let mut client = connect(connection)?;
        let statement = if is_mariadb(&mut client, connection)? {
            format!("SET PASSWORD = PASSWORD({})", literal(new_password))
        } else {
            format!(
                "ALTER USER CURRENT_USER() IDENTIFIED BY {}",
                literal(new_password)
            )
        };
        client
            .query_drop(statement)
            .map_err(|e| classify_with(&e, connection, "change its own password", new_password))
    }

    fn set_user_password(
        &self,
        master: &Connection,
        user: &str,
        like: &str,
        new_password: &str,
    ) -> Result<(), DatabaseError> {
        let mut client = connect(master)?;
        let read = |e: mysql::Error| classify(&e, master, "read mysql.user");
        let hosts_of = |client: &mut Conn, name: &str| -> Result<Vec<String>, DatabaseError> {
            client
                .exec("SELECT Host FROM mysql.user WHERE User = ?", (name,))
                .map_err(read)
        };
        let base_hosts = hosts_of(&mut client, like)?;
        if base_hosts.is_empty() {
            return Err(DatabaseError::Failed {
                target: target(master, DEFAULT_PORT),
                message: format!("no account `{like}` to copy the grants of"),
            });
        }
        let existing = hosts_of(&mut client, user)?;
        for host in &base_hosts {
            let who = account(user, host);
            if existing.contains(host) {
                let action = format!("alter user `{user}`");
                client
                    .query_drop(format!(
                        "ALTER USER {who} IDENTIFIED BY {}",
                        literal(new_password)
                    ))
                    .map_err(|e| classify_with(&e, master, &action, new_password))?;
                continue;
            }
            let action = format!("create user `{user}` with the grants of `{like}`");
            let grants: Vec<String> = client
                .query(format!("SHOW GRANTS FOR {}", account(like, host)))
                .map_err(|e| classify(&e, master, &action))?;
            client
                .query_drop(format!(
                    "CREATE USER {who} IDENTIFIED BY {}",
                    literal(new_password)
                ))
                .map_err(|e| classify_with(&e, master, &action, new_password))?;
            for grant in grants {
                client
                    .query_drop(grant_for(&grant, like, user, host))
                    .map_err(|e| classify(&e, master, &action))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_rewritten_for_the_clone_without_the_password_hash() {
        assert_eq!(
            grant_for(
                "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*ABC123'",
                "app",
                "app_clone",
                "%"
            ),
            "GRANT USAGE ON *.* TO 'app_clone'@'%'"
        );
        assert_eq!(
            grant_for(
                "GRANT SELECT, INSERT ON `shop`.* TO 'app'@'10.%' WITH GRANT OPTION",
                "app",
                "app_clone",
                "10.%"
            ),
            "GRANT SELECT, INSERT ON `shop`.* TO 'app_clone'@'10.%' WITH GRANT OPTION"
        );
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(literal(r"a'b\c"), r"'a''b\\c'");
    }
}
