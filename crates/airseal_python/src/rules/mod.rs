//! One file per `DAG###` rule. Each file's `//!` comment is the rule's documentation (What it
//! does / Why is this bad? / Example / How to fix), its `RULE` the fixed facts, and its `check_*`
//! functions are called by the checker at the nodes they look at.

pub mod dag001_hardcoded_secret_argument;
pub mod dag002_hardcoded_secret_assignment;
pub mod dag003_connection_in_code;
pub mod dag004_credentials_in_uri;
pub mod dag005_secret_from_environment;
pub mod dag006_variable_get_at_parse_time;
pub mod dag007_secret_in_template;
pub mod dag008_variable_name_not_masked;
pub mod dag009_secret_logged;
pub mod dag010_secret_in_task_environment;
pub mod dag011_cloud_client_literal_keys;
pub mod dag900_syntax_error;

use ruff_python_ast::{Expr, ExprCall};

use crate::checker::Checker;
use crate::semantic::last_segment;

/// The callee as written after import resolution, for messages: `BashOperator`, `requests.post`.
pub(crate) fn callee_name(checker: &Checker<'_>, call: &ExprCall) -> String {
    checker
        .imports
        .qualified(&call.func)
        .map(|q| {
            let segments: Vec<&str> = q.rsplit('.').take(2).collect();
            if last_segment(&q)
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
            {
                segments[0].to_owned()
            } else {
                segments.into_iter().rev().collect::<Vec<_>>().join(".")
            }
        })
        .unwrap_or_else(|| "the call".to_owned())
}

/// The hook parameter that names a connection of a URI scheme.
pub(crate) fn conn_id_parameter(scheme: &str) -> &'static str {
    match scheme.to_ascii_lowercase().split('+').next().unwrap_or("") {
        "postgres" | "postgresql" | "psql" => "postgres_conn_id",
        "mysql" | "mariadb" => "mysql_conn_id",
        "mssql" => "mssql_conn_id",
        "oracle" => "oracle_conn_id",
        "snowflake" => "snowflake_conn_id",
        "redis" | "rediss" => "redis_conn_id",
        "mongodb" | "mongo" => "mongo_conn_id",
        "http" | "https" => "http_conn_id",
        "ftp" | "ftps" => "ftp_conn_id",
        "sftp" => "sftp_conn_id",
        "ssh" => "ssh_conn_id",
        "amqp" | "amqps" => "conn_id",
        _ => "conn_id",
    }
}

/// A connection id to create, from the name the value was bound to (`WAREHOUSE_DB_URI` →
/// `warehouse_db`) or else from the host's first label (`warehouse.internal` → `warehouse`).
pub(crate) fn suggest_conn_id(name_hint: Option<&str>, host: Option<&str>) -> Option<String> {
    const SUFFIXES: &[&str] = &[
        "_sqlalchemy_uri",
        "_sqlalchemy_url",
        "_database_url",
        "_db_url",
        "_db_uri",
        "_uri",
        "_url",
        "_dsn",
        "_conn_string",
        "_connection_string",
        "_conn_str",
        "_connection",
        "_conn",
        "_engine",
        "_string",
    ];
    const GENERIC: &[&str] = &[
        "",
        "uri",
        "url",
        "dsn",
        "conn",
        "connection",
        "engine",
        "db",
        "database",
        "sqlalchemy",
        "string",
        "conn_str",
        "connection_string",
        "database_url",
        "db_url",
        "db_uri",
        "sql_alchemy_conn",
        "broker_url",
        "result_backend",
        "host",
        "endpoint",
    ];
    if let Some(hint) = name_hint {
        let mut id = hint.to_ascii_lowercase();
        for suffix in SUFFIXES {
            if let Some(stripped) = id.strip_suffix(suffix) {
                id = stripped.to_owned();
                break;
            }
        }
        if !GENERIC.contains(&id.as_str())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Some(id);
        }
    }
    let label = host?.split(['.', ':']).next()?.to_ascii_lowercase();
    let label = label.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    (!label.is_empty()
        && !matches!(label, "localhost" | "127" | "db" | "host" | "database")
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| label.replace('-', "_"))
}

/// How Airflow's default backends name a connection: the AWS Secrets Manager path and the
/// environment variable.
pub(crate) fn connection_locations(conn_id: &str) -> String {
    format!(
        "`airflow/connections/{conn_id}` in AWS Secrets Manager with the default prefix, or `AIRFLOW_CONN_{}`",
        conn_id.to_ascii_uppercase()
    )
}

/// The `n`-th positional argument or keyword `name`.
pub(crate) fn argument<'a>(call: &'a ExprCall, n: usize, name: &str) -> Option<&'a Expr> {
    crate::semantic::keyword(call, name).or_else(|| call.arguments.args.get(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_from_names_and_hosts() {
        assert_eq!(
            suggest_conn_id(Some("WAREHOUSE_DB_URI"), None).as_deref(),
            Some("warehouse")
        );
        assert_eq!(
            suggest_conn_id(Some("uri"), Some("warehouse.internal")).as_deref(),
            Some("warehouse")
        );
        assert_eq!(suggest_conn_id(None, Some("localhost")), None);
        assert_eq!(conn_id_parameter("postgresql+psycopg2"), "postgres_conn_id");
    }
}
