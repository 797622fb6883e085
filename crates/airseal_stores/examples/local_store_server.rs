//! A line protocol for scripts/local-store-roundtrip.py: writes connections and Variables into
//! local-filesystem backend files with [`LocalStore`], so the script can read them back through
//! Airflow's own `LocalFilesystemBackend`. One JSON request per line:
//! `{"file": PATH, "kind": "connection" | "variable", "form": "json" | "uri", "id": ID,
//! "conn": {fields} | "text": VALUE}`; answers `{"outcome": "created" | "updated" |
//! "unchanged"}` or `{"error": "..."}`.
#![allow(clippy::print_stdout)] // the protocol is stdout

use std::io::{BufRead, Write};

use airseal_connection::Connection;
use airseal_stores::local::{ConnectionForm, LocalStore};
use airseal_stores::{SecretKind, SecretStore, SecretValue, WriteContext, WriteOutcome};
use serde_json::{Value, json};

fn answer(request: &Value) -> Value {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let file = text(request, "file").map(std::path::PathBuf::from);
    let kind = if text(request, "kind").as_deref() == Some("variable") {
        SecretKind::Variable
    } else {
        SecretKind::Connection
    };
    let store = LocalStore {
        connections_file: file.clone().filter(|_| kind == SecretKind::Connection),
        variables_file: file.filter(|_| kind == SecretKind::Variable),
        connection_form: if text(request, "form").as_deref() == Some("uri") {
            ConnectionForm::Uri
        } else {
            ConnectionForm::Json
        },
    };
    let value = match request.get("conn") {
        Some(conn) => SecretValue::Connection(Connection {
            conn_type: text(conn, "conn_type"),
            description: text(conn, "description"),
            host: text(conn, "host"),
            login: text(conn, "login"),
            password: text(conn, "password"),
            schema: text(conn, "schema"),
            port: conn.get("port").and_then(Value::as_i64),
            extra: text(conn, "extra"),
        }),
        None => SecretValue::Text(text(request, "text").unwrap_or_default()),
    };
    let id = text(request, "id").unwrap_or_default();
    match store.write(kind, &id, &value, true, &WriteContext::default()) {
        Ok(outcome) => json!({"outcome": match outcome {
            WriteOutcome::Created => "created",
            WriteOutcome::Updated => "updated",
            WriteOutcome::Unchanged => "unchanged",
        }}),
        Err(error) => json!({"error": error.to_string()}),
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
