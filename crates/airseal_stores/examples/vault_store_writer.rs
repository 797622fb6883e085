//! A line protocol for scripts/vault-roundtrip.py: writes connections, Variables and config
//! options into Vault's KV v2 engine with [`VaultStore`] (and reads them back), so the script can
//! read them through Airflow's own `VaultBackend`. Built with the `vault` feature:
//! `cargo build -p airseal_stores --features vault --examples`.
//!
//! One JSON request per line: `{"op": "write" | "read" | "metadata", "addr": URL, "token": T,
//! "mount": MOUNT | null, "connections_path": .., "variables_path": .., "config_path": ..,
//! "form": "json" | "uri", "kind": "connection" | "variable" | "config", "id": ID,
//! "conn": {fields} | "text": VALUE, "overwrite": bool, "source": "path:line"}`; answers `{"outcome": "created" | "updated" |
//! "unchanged"}`, `{"value": null | {"conn": {fields}} | {"text": VALUE}}`, `{"metadata": {...}}`
//! or `{"error": "...", "variant": "Conflict" | ...}`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the protocol is stdout

#[cfg(feature = "vault")]
mod protocol {
    use std::collections::HashMap;
    use std::io::{BufRead, Write};

    use airseal_connection::Connection;
    use airseal_stores::vault::{VaultSettings, VaultStore};
    use airseal_stores::{
        SecretKind, SecretStore, SecretValue, StoreError, WriteContext, WriteOutcome,
    };
    use serde_json::{Value, json};

    fn text(v: &Value, key: &str) -> Option<String> {
        v.get(key).and_then(Value::as_str).map(str::to_owned)
    }

    fn settings(request: &Value) -> VaultSettings {
        let mut settings = VaultSettings::new(
            text(request, "addr").unwrap_or_default(),
            text(request, "token").unwrap_or_default(),
        );
        settings.mount_point = match request.get("mount") {
            Some(Value::String(mount)) => Some(mount.clone()),
            Some(Value::Null) => None,
            _ => settings.mount_point,
        };
        for (key, slot) in [
            ("connections_path", &mut settings.connections_path),
            ("variables_path", &mut settings.variables_path),
            ("config_path", &mut settings.config_path),
        ] {
            match request.get(key) {
                Some(Value::String(path)) => *slot = Some(path.clone()),
                Some(Value::Null) => *slot = None,
                _ => {}
            }
        }
        if text(request, "form").as_deref() == Some("uri") {
            settings.connection_form = airseal_stores::ConnectionForm::Uri;
        }
        settings
    }

    fn variant(error: &StoreError) -> &'static str {
        match error {
            StoreError::Conflict { .. } => "Conflict",
            StoreError::NotConfigured { .. } => "NotConfigured",
            StoreError::Unrepresentable { .. } => "Unrepresentable",
            StoreError::Backend { .. } => "Backend",
            StoreError::Io { .. } => "Io",
            StoreError::Malformed { .. } => "Malformed",
        }
    }

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

    fn answer(stores: &mut HashMap<String, VaultStore>, request: &Value) -> Value {
        let settings = settings(request);
        let key = format!("{settings:?}{}", settings.token);
        if !stores.contains_key(&key) {
            match VaultStore::new(settings) {
                Ok(store) => {
                    stores.insert(key.clone(), store);
                }
                Err(error) => {
                    return json!({"error": error.to_string(), "variant": variant(&error)});
                }
            }
        }
        let Some(store) = stores.get(&key) else {
            return json!({"error": "no store"});
        };
        let kind = match text(request, "kind").as_deref() {
            Some("variable") => SecretKind::Variable,
            Some("config") => SecretKind::Config,
            _ => SecretKind::Connection,
        };
        let id = text(request, "id").unwrap_or_default();
        let result = match text(request, "op").as_deref() {
            Some("read") => store.read(kind, &id).map(|value| {
                json!({"value": match value {
                    None => Value::Null,
                    Some(SecretValue::Connection(c)) => json!({"conn": fields(&c)}),
                    Some(SecretValue::Text(t)) => json!({"text": t}),
                }})
            }),
            Some("metadata") => store.metadata(kind, &id).map(|metadata| {
                json!({"metadata": metadata.map(|m| json!({
                    "name": m.name,
                    "version": m.version,
                    "last_changed": m.last_changed,
                    "tags": m.tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<serde_json::Map<_, _>>(),
                }))})
            }),
            _ => {
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
                let overwrite = request
                    .get("overwrite")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let context = WriteContext {
                    source: text(request, "source"),
                    ..WriteContext::default()
                };
                store
                    .write(kind, &id, &value, overwrite, &context)
                    .map(|outcome| {
                        json!({"outcome": match outcome {
                            WriteOutcome::Created => "created",
                            WriteOutcome::Updated => "updated",
                            WriteOutcome::Unchanged => "unchanged",
                        }})
                    })
            }
        };
        result
            .unwrap_or_else(|error| json!({"error": error.to_string(), "variant": variant(&error)}))
    }

    pub fn main() {
        let stdin = std::io::stdin();
        let mut stdout = std::io::stdout().lock();
        let mut stores = HashMap::new();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let reply = match serde_json::from_str::<Value>(&line) {
                Ok(request) => answer(&mut stores, &request),
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
}

#[cfg(feature = "vault")]
fn main() {
    protocol::main();
}

#[cfg(not(feature = "vault"))]
fn main() {
    eprintln!(
        "vault_store_writer needs the `vault` feature: cargo build -p airseal_stores --features vault --examples"
    );
    std::process::exit(2);
}
