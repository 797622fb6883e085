//! The databases whose users rotation changes: one [`Database`] per engine, each behind its
//! cargo feature (`postgres`, `mysql`). A PostgreSQL server never sees a password in a statement it could log: PostgreSQL
//! gets a SCRAM-SHA-256 verifier computed here, as `psql`'s `\password` sends it.

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;

use airseal_connection::Connection;

/// Database engines airseal rotates, by the connection's `conn_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    MySql,
}

impl Engine {
    pub fn of(connection: &Connection) -> Option<Engine> {
        let conn_type = connection.conn_type.as_deref()?.to_ascii_lowercase();
        match conn_type.as_str() {
            "postgres" | "postgresql" | "redshift" => Some(Engine::Postgres),
            "mysql" | "mariadb" => Some(Engine::MySql),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MySQL",
        }
    }
}

/// What went wrong in the database. Messages name the host and the user, never a password.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseError {
    #[error("cannot reach {target}: {message}")]
    Unreachable { target: String, message: String },
    #[error("{target} refused the login of `{user}`: {message}")]
    LoginRejected {
        target: String,
        user: String,
        message: String,
    },
    #[error("`{user}` on {target} may not {action}: {message}")]
    NoPrivilege {
        target: String,
        user: String,
        action: String,
        message: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("{target}: {message}")]
    Failed { target: String, message: String },
}

/// One engine's operations, each its own session.
pub trait Database {
    /// Logs in with `connection`'s credentials and runs a trivial query.
    fn login(&self, connection: &Connection) -> Result<(), DatabaseError>;

    /// Logs in as `connection`'s user and sets that user's own password (single user).
    fn set_own_password(
        &self,
        connection: &Connection,
        new_password: &str,
    ) -> Result<(), DatabaseError>;

    /// Logs in as `master` and sets `user`'s password, first creating `user` as a login role
    /// holding `like`'s privileges (a member of `like`) when it does not exist (alternating
    /// users).
    fn set_user_password(
        &self,
        master: &Connection,
        user: &str,
        like: &str,
        new_password: &str,
    ) -> Result<(), DatabaseError>;
}

/// The database client for `engine`, when this build has it.
pub fn open(engine: Engine) -> Result<Box<dyn Database>, DatabaseError> {
    match engine {
        #[cfg(feature = "postgres")]
        Engine::Postgres => Ok(Box::new(postgres::Postgres)),
        #[cfg(not(feature = "postgres"))]
        Engine::Postgres => Err(DatabaseError::Unsupported(
            "this airseal was built without the `postgres` feature".to_owned(),
        )),
        #[cfg(feature = "mysql")]
        Engine::MySql => Ok(Box::new(mysql::MySql)),
        #[cfg(not(feature = "mysql"))]
        Engine::MySql => Err(DatabaseError::Unsupported(
            "this airseal was built without the `mysql` feature".to_owned(),
        )),
    }
}

/// `host:port` for messages.
pub fn target(connection: &Connection, default_port: i64) -> String {
    format!(
        "{}:{}",
        connection.host.as_deref().unwrap_or("localhost"),
        connection.port.unwrap_or(default_port)
    )
}

/// The login and TCP port of `connection`, or why it has none usable.
pub fn login_and_port(
    connection: &Connection,
    default_port: i64,
) -> Result<(&str, u16), DatabaseError> {
    let failed = |message: &str| DatabaseError::Failed {
        target: target(connection, default_port),
        message: message.to_owned(),
    };
    let login = connection
        .login
        .as_deref()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| failed("the connection has no login"))?;
    let port = u16::try_from(connection.port.unwrap_or(default_port))
        .map_err(|_| failed("the port is not a TCP port"))?;
    Ok((login, port))
}

/// `message` with `secret` cut out: a server error may quote the statement it refused.
pub fn scrubbed(message: String, secret: &str) -> String {
    if secret.len() >= 4 {
        message.replace(secret, "<redacted>")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_scrubbed_of_the_secret() {
        let message =
            "You have an error in your SQL syntax near 'Xy7-secret-pw' at line 1".to_owned();
        assert_eq!(
            scrubbed(message, "Xy7-secret-pw"),
            "You have an error in your SQL syntax near '<redacted>' at line 1"
        );
    }
}
