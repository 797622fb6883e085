//! A line protocol over stdin/stdout for scripts/connection-roundtrip.py, which drives it from
//! Python next to the real Airflow: one JSON request per line, one JSON answer per line.
//!
//! Requests: `{"op": "to_uri" | "to_json", "conn": {fields}}`, `{"op": "from_uri" | "from_json"
//! | "from_aws_secret", "text": "..."}`, each with `"dialect": "2" | "3"`. Answers: `{"text": "..."}`, `{"conn": {fields}}` or `{"error": "..."}`.
#![allow(clippy::print_stdout)] // the protocol is stdout

use std::io::{BufRead, Write};

use airseal_connection::{Connection, Dialect};
use serde_json::{Map, Value, json};

fn fields(connection: &Connection) -> Value {
    json!({
        "conn_type": connection.conn_type,
        "description": connection.description,
        "host": connection.host,
        "login": connection.login,
        "password": connection.password,
        "schema": connection.schema,
        "port": connection.port,
        "extra": connection.extra,
    })
}

fn connection(value: &Value) -> Connection {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    Connection {
        conn_type: text("conn_type"),
        description: text("description"),
        host: text("host"),
        login: text("login"),
        password: text("password"),
        schema: text("schema"),
        port: value.get("port").and_then(Value::as_i64),
        extra: text("extra"),
    }
}

fn answer(request: &Value) -> Value {
    let text = request
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let conn = request
        .get("conn")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let dialect = match request.get("dialect").and_then(Value::as_str) {
        Some("2") => Dialect::Airflow2,
        _ => Dialect::Airflow3,
    };
    match request.get("op").and_then(Value::as_str) {
        Some("to_uri") => json!({"text": connection(&conn).to_uri(dialect)}),
        Some("to_json") => json!({"text": connection(&conn).to_json()}),
        Some("from_uri") => match Connection::from_uri(text, dialect) {
            Ok(c) => json!({"conn": fields(&c)}),
            Err(e) => json!({"error": e.to_string()}),
        },
        Some("from_json") => match Connection::from_json(text, dialect) {
            Ok(c) => json!({"conn": fields(&c)}),
            Err(e) => json!({"error": e.to_string()}),
        },
        Some("from_aws_secret") => match Connection::from_aws_secret_json(text, &[], dialect) {
            Ok(c) => json!({"conn": fields(&c)}),
            Err(e) => json!({"error": e.to_string()}),
        },
        _ => json!({"error": "unknown op"}),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(request) => answer(&request),
            Err(e) => json!({"error": format!("bad request: {e}")}),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
