//! The Vault store against scripts/vault-kv2-server.py, a KV v2 server written from Vault's
//! published API documentation (no Vault server can be installed where these tests run): create,
//! unchanged, conflict, update, tags, reads, permission errors, retries of 503s / 429s / dropped
//! connections / timeouts, check-and-set races, KV v1 mounts refused, size limits, namespaces —
//! and no secret value in any error.
#![cfg(feature = "vault")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use airseal_connection::Connection;
use airseal_stores::vault::{RetryPolicy, VaultSettings, VaultStore};
use airseal_stores::{
    SecretKind, SecretStore, SecretValue, StoreError, WriteContext, WriteOutcome,
};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-4f1c";
const PASSWORD: &str = "p@ss:w/rd?#%+&= é😀";

/// The test server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    http: ureq::Agent,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/vault-kv2-server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--port", "0", "--token", TOKEN, "--mount", "airflow"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 (from PATH) runs the Vault test server: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(Duration::from_secs(20));
        let port = line.ok().and_then(|l| l.trim().parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Vault test server did not print its port within 20 s");
        };
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Server { child, port, http }
    }

    fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn settings(&self) -> VaultSettings {
        let mut settings = VaultSettings::new(self.addr(), TOKEN);
        settings.mount_point = Some("airflow".to_owned());
        settings.retry = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(5),
            max_total_delay: Duration::from_millis(500),
        };
        settings.request_timeout = Duration::from_secs(5);
        settings
    }

    fn store(&self) -> VaultStore {
        VaultStore::new(self.settings()).unwrap()
    }

    /// A raw request (test hooks, or Vault's API with the token): status and JSON body.
    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.addr());
        let response = match (method, body) {
            ("GET", _) => self.http.get(&url).header("X-Vault-Token", TOKEN).call(),
            ("DELETE", _) => self.http.delete(&url).header("X-Vault-Token", TOKEN).call(),
            (_, body) => self
                .http
                .post(&url)
                .header("X-Vault-Token", TOKEN)
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut response = response.unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn fault(&self, fault: Value) {
        assert_eq!(self.raw("POST", "/__airseal/faults", Some(fault)).0, 204);
    }

    fn clear_faults(&self) {
        self.raw("DELETE", "/__airseal/faults", None);
    }

    /// The Vault API requests served since the last call (method and path).
    fn requests(&self) -> Vec<String> {
        let (_, body) = self.raw("GET", "/__airseal/requests", None);
        self.raw("DELETE", "/__airseal/requests", None);
        body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r[0].as_str().unwrap(), r[1].as_str().unwrap()))
            .filter(|r| r.contains(" /v1/"))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn warehouse(password: &str) -> SecretValue {
    SecretValue::Connection(Connection {
        conn_type: Some("postgres".to_owned()),
        host: Some("db.example.com".to_owned()),
        login: Some("etl@corp".to_owned()),
        password: Some(password.to_owned()),
        schema: Some("analytics".to_owned()),
        port: Some(5432),
        extra: Some(r#"{"sslmode": "require", "nested": {"a": [1, 2.5, null]}}"#.to_owned()),
        ..Connection::default()
    })
}

fn source(text: &str) -> WriteContext {
    WriteContext {
        source: Some(text.to_owned()),
        ..WriteContext::default()
    }
}

fn assert_no_secret(error: &StoreError, secret: &str) {
    let text = error.to_string();
    assert!(!text.contains(secret), "the error shows the value: {text}");
    assert!(!text.contains(TOKEN), "the error shows the token: {text}");
}

#[test]
fn create_unchanged_conflict_update_and_tags() {
    let server = Server::start(&[]);
    let store = server.store();
    let kind = SecretKind::Connection;
    assert_eq!(store.read(kind, "warehouse").unwrap(), None);
    assert_eq!(store.metadata(kind, "warehouse").unwrap(), None);

    let first = warehouse(PASSWORD);
    let outcome = store.write(kind, "warehouse", &first, false, &source("dags/etl.py:12"));
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    let requests = server.requests();
    assert!(
        requests.contains(&"POST /v1/airflow/data/connections/warehouse".to_owned()),
        "{requests:?}"
    );
    assert!(
        requests.contains(&"POST /v1/airflow/metadata/connections/warehouse".to_owned()),
        "{requests:?}"
    );

    // The same value again: nothing written.
    let outcome = store.write(kind, "warehouse", &first, false, &source("dags/etl.py:12"));
    assert_eq!(outcome.unwrap(), WriteOutcome::Unchanged);
    assert!(
        server.requests().iter().all(|r| r.starts_with("GET ")),
        "an unchanged value was written"
    );

    // A different value without --overwrite: a conflict naming the id, never either value.
    let second = warehouse("another-Secret-42");
    let error = store
        .write(kind, "warehouse", &second, false, &source("x.env:1"))
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    assert!(error.to_string().contains("`warehouse`"), "{error}");
    assert_no_secret(&error, PASSWORD);
    assert_no_secret(&error, "another-Secret-42");
    assert_eq!(store.read(kind, "warehouse").unwrap(), Some(first.clone()));

    // With --overwrite: version 2, read back as written, tags updated.
    let outcome = store.write(kind, "warehouse", &second, true, &source("x.env:1"));
    assert_eq!(outcome.unwrap(), WriteOutcome::Updated);
    assert!(
        store
            .read(kind, "warehouse")
            .unwrap()
            .unwrap()
            .same_as(&second)
    );
    let metadata = store.metadata(kind, "warehouse").unwrap().unwrap();
    assert_eq!(metadata.name, "airflow/connections/warehouse");
    assert_eq!(metadata.version.as_deref(), Some("2"));
    assert!(metadata.last_changed.is_some());
    let tag = |key: &str| {
        metadata
            .tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(tag("managed-by"), Some("airseal"));
    assert_eq!(tag("airseal-source"), Some("x.env:1"));

    // What Vault holds is Airflow's field names, the port a number, the extra its exact text.
    let (status, body) = server.raw("GET", "/v1/airflow/data/connections/warehouse", None);
    assert_eq!(status, 200);
    let data = &body["data"]["data"];
    assert_eq!(data["conn_type"], "postgres");
    assert_eq!(data["port"], 5432);
    assert_eq!(
        data["extra"],
        r#"{"sslmode": "require", "nested": {"a": [1, 2.5, null]}}"#
    );
    assert_eq!(data["password"], "another-Secret-42");
}

#[test]
fn variables_config_and_other_custom_metadata() {
    let server = Server::start(&[]);
    let store = server.store();
    // Custom metadata someone else set survives airseal's tags.
    let (status, _) = server.raw(
        "POST",
        "/v1/airflow/metadata/variables/api%20key",
        Some(json!({"custom_metadata": {"owner": "data-team"}})),
    );
    assert_eq!(status, 204);
    let value = SecretValue::Text("tok-😀 \"quoted\"\nline two".to_owned());
    let outcome = store.write(
        SecretKind::Variable,
        "api key",
        &value,
        false,
        &WriteContext::default(),
    );
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    assert_eq!(
        store.read(SecretKind::Variable, "api key").unwrap(),
        Some(value)
    );
    let tags = store
        .metadata(SecretKind::Variable, "api key")
        .unwrap()
        .unwrap()
        .tags;
    assert!(
        tags.contains(&("owner".to_owned(), "data-team".to_owned())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("managed-by".to_owned(), "airseal".to_owned())),
        "{tags:?}"
    );
    assert!(!tags.iter().any(|(k, _)| k == "airseal-source"), "{tags:?}");

    let fernet = SecretValue::Text("fernet-key=".to_owned());
    let outcome = store.write(
        SecretKind::Config,
        "core/fernet_key",
        &fernet,
        false,
        &source("airflow.cfg:7"),
    );
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    let (_, body) = server.raw("GET", "/v1/airflow/data/config/core/fernet_key", None);
    assert_eq!(body["data"]["data"], json!({"value": "fernet-key="}));
    // A value someone else left without `value` reads as nothing, as in Airflow.
    server.raw(
        "POST",
        "/v1/airflow/data/variables/odd",
        Some(json!({"data": {"val": "x"}})),
    );
    assert_eq!(store.read(SecretKind::Variable, "odd").unwrap(), None);
}

#[test]
fn a_wrong_token_is_a_clear_error_naming_the_id() {
    let server = Server::start(&[]);
    let mut settings = server.settings();
    settings.token = "not-the-token".to_owned();
    settings.token_source = "VAULT_TOKEN".to_owned();
    let store = VaultStore::new(settings).unwrap();
    let error = store.read(SecretKind::Connection, "warehouse").unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("`warehouse`") && text.contains("permission denied"),
        "{text}"
    );
    assert!(
        text.contains("VAULT_TOKEN") && text.contains("invalid or expired"),
        "{text}"
    );
    assert!(!text.contains("not-the-token"), "{text}");
    let error = store
        .write(
            SecretKind::Connection,
            "warehouse",
            &warehouse(PASSWORD),
            true,
            &WriteContext::default(),
        )
        .unwrap_err();
    assert!(error.to_string().contains("permission denied"), "{error}");
    assert_no_secret(&error, PASSWORD);
}

#[test]
fn transient_failures_are_retried() {
    let server = Server::start(&[]);
    let store = server.store();
    let value = warehouse(PASSWORD);
    server.requests();
    server.fault(json!({"count": 2, "status": 503, "match": "/data/"}));
    server.fault(json!({"count": 1, "status": 429, "retry_after": 0, "match": "/metadata/"}));
    let outcome = store.write(SecretKind::Connection, "a", &value, false, &source("s:1"));
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    let requests = server.requests();
    let reads = requests
        .iter()
        .filter(|r| *r == "GET /v1/airflow/data/connections/a")
        .count();
    assert_eq!(reads, 3, "two 503s then the answer: {requests:?}");
    assert!(
        store
            .metadata(SecretKind::Connection, "a")
            .unwrap()
            .unwrap()
            .tags
            .len()
            == 2
    );

    // Connections dropped without an answer, and an answer slower than the timeout.
    server.fault(json!({"count": 2, "drop": true, "match": "/data/"}));
    let outcome = store.write(
        SecretKind::Variable,
        "b",
        &SecretValue::Text("v".to_owned()),
        false,
        &WriteContext::default(),
    );
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    let mut settings = server.settings();
    settings.request_timeout = Duration::from_millis(300);
    let impatient = VaultStore::new(settings).unwrap();
    server.fault(json!({"count": 1, "delay": 1.0, "match": "/data/"}));
    assert_eq!(
        impatient.read(SecretKind::Variable, "b").unwrap(),
        Some(SecretValue::Text("v".to_owned()))
    );
}

#[test]
fn too_many_failures_name_the_id_and_write_nothing() {
    let server = Server::start(&[]);
    let store = server.store();
    // The mount check is done once; then every request fails.
    assert_eq!(store.read(SecretKind::Connection, "other").unwrap(), None);
    server.fault(json!({"count": 1000, "status": 503}));
    let error = store
        .write(
            SecretKind::Connection,
            "warehouse",
            &warehouse(PASSWORD),
            false,
            &source("s:1"),
        )
        .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, StoreError::Backend { .. }), "{text}");
    assert!(
        text.contains("connection `warehouse`")
            && text.contains("503")
            && text.contains("gave up after 5 attempts"),
        "{text}"
    );
    assert_no_secret(&error, PASSWORD);
    server.clear_faults();
    assert_eq!(
        store.read(SecretKind::Connection, "warehouse").unwrap(),
        None
    );
    assert_eq!(
        store.metadata(SecretKind::Connection, "warehouse").unwrap(),
        None
    );

    // Failing on the write itself (the read went through): still nothing stored.
    server.fault(json!({"count": 1000, "status": 502, "method": "POST"}));
    let error = store
        .write(
            SecretKind::Connection,
            "warehouse",
            &warehouse(PASSWORD),
            false,
            &source("s:1"),
        )
        .unwrap_err();
    assert!(error.to_string().contains("502"), "{error}");
    server.clear_faults();
    assert_eq!(
        store.metadata(SecretKind::Connection, "warehouse").unwrap(),
        None
    );

    // An unreachable Vault: the id and the address, after bounded retries.
    let mut settings = server.settings();
    settings.addr = "http://127.0.0.1:9".to_owned();
    let error = VaultStore::new(settings)
        .unwrap()
        .read(SecretKind::Variable, "k")
        .unwrap_err();
    assert!(
        error.to_string().contains("variable `k`")
            && error
                .to_string()
                .contains("cannot reach Vault at http://127.0.0.1:9"),
        "{error}"
    );
}

#[test]
fn check_and_set_never_clobbers_a_concurrent_write() {
    let server = Server::start(&[]);
    let store = server.store();
    let value = warehouse(PASSWORD);
    // Another writer gets in between airseal's read and its write.
    server.fault(json!({"count": 1, "method": "POST", "match": "/data/", "concurrent_write": {"value": "theirs-123"}}));
    let error = store
        .write(
            SecretKind::Variable,
            "race",
            &SecretValue::Text("ours-456".to_owned()),
            true,
            &WriteContext::default(),
        )
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("`race`") && text.contains("check-and-set"),
        "{text}"
    );
    assert!(
        !text.contains("theirs-123") && !text.contains("ours-456"),
        "{text}"
    );
    assert_eq!(
        store.read(SecretKind::Variable, "race").unwrap(),
        Some(SecretValue::Text("theirs-123".to_owned()))
    );

    // A write that landed but whose answer was lost is retried, meets check-and-set, and is
    // recognised as already done.
    server.fault(json!({"count": 1, "method": "POST", "match": "/data/", "drop_response": true}));
    let outcome = store.write(
        SecretKind::Connection,
        "lost-answer",
        &value,
        false,
        &source("s:2"),
    );
    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
    let metadata = store
        .metadata(SecretKind::Connection, "lost-answer")
        .unwrap()
        .unwrap();
    assert_eq!(metadata.version.as_deref(), Some("1"));
    assert_eq!(metadata.tags.len(), 2);
}

#[test]
fn deleted_secrets_kv1_mounts_sizes_and_odd_ids() {
    let server = Server::start(&["--mount", "legacy:1"]);
    let store = server.store();
    let kind = SecretKind::Variable;
    let v = |t: &str| SecretValue::Text(t.to_owned());
    // A soft-deleted secret is absent for Airflow; writing it again makes the next version.
    assert_eq!(
        store
            .write(kind, "gone", &v("1"), false, &WriteContext::default())
            .unwrap(),
        WriteOutcome::Created
    );
    assert_eq!(
        server
            .raw("DELETE", "/v1/airflow/data/variables/gone", None)
            .0,
        204
    );
    assert_eq!(store.read(kind, "gone").unwrap(), None);
    assert_eq!(
        store
            .write(kind, "gone", &v("2"), false, &WriteContext::default())
            .unwrap(),
        WriteOutcome::Created
    );
    assert_eq!(
        store
            .metadata(kind, "gone")
            .unwrap()
            .unwrap()
            .version
            .as_deref(),
        Some("2")
    );

    // Ids with characters URLs reserve are percent-encoded as hvac encodes them.
    let id = "a b/é?#%&=+";
    assert_eq!(
        store
            .write(kind, id, &v("x"), false, &WriteContext::default())
            .unwrap(),
        WriteOutcome::Created
    );
    assert_eq!(store.read(kind, id).unwrap(), Some(v("x")));
    for bad in ["", "/lead", "trail/", "a//b", "a/../b"] {
        let error = store
            .write(kind, bad, &v("x"), false, &WriteContext::default())
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Unrepresentable { .. }),
            "{bad}: {error}"
        );
    }

    // Too large for Vault's max_request_size: refused before anything is sent.
    let mut settings = server.settings();
    settings.max_request_bytes = 1_000;
    let small = VaultStore::new(settings).unwrap();
    server.requests();
    let error = small
        .write(
            kind,
            "big",
            &v(&"s3cr3t".repeat(300)),
            false,
            &WriteContext::default(),
        )
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Unrepresentable { .. })
            && error.to_string().contains("max_request_size"),
        "{error}"
    );
    assert_no_secret(&error, &"s3cr3t".repeat(2));
    assert!(server.requests().is_empty());

    // A KV version 1 mount is refused before anything is written into it.
    let mut settings = server.settings();
    settings.mount_point = Some("legacy".to_owned());
    let legacy = VaultStore::new(settings).unwrap();
    let error = legacy
        .write(kind, "k", &v("x"), false, &WriteContext::default())
        .unwrap_err();
    assert!(error.to_string().contains("KV version 1"), "{error}");
    assert!(server.requests().iter().all(|r| !r.starts_with("POST")));
}

#[test]
fn namespaces_and_mounts_from_ids() {
    let server = Server::start(&["--namespace", "team-a"]);
    let value = SecretValue::Text("v".to_owned());
    let without = server.store();
    assert!(
        without
            .read(SecretKind::Variable, "k")
            .unwrap_err()
            .to_string()
            .contains("permission denied")
    );
    let mut settings = server.settings();
    settings.namespace = Some("team-a".to_owned());
    let with = VaultStore::new(settings.clone()).unwrap();
    assert_eq!(
        with.write(
            SecretKind::Variable,
            "k",
            &value,
            false,
            &WriteContext::default()
        )
        .unwrap(),
        WriteOutcome::Created
    );
    assert!(with.describe().contains("namespace `team-a`"));

    // mount_point: null takes the mount from the id, as VaultBackend does.
    settings.mount_point = None;
    let by_id = VaultStore::new(settings).unwrap();
    assert_eq!(
        by_id.name_of(SecretKind::Variable, "airflow/k").as_deref(),
        Some("airflow/variables/k")
    );
    assert_eq!(
        by_id.read(SecretKind::Variable, "airflow/k").unwrap(),
        Some(value)
    );
    assert!(matches!(
        by_id.read(SecretKind::Variable, "k"),
        Err(StoreError::NotConfigured { .. })
    ));
}

#[test]
fn parallel_writers_share_one_store() {
    let server = Server::start(&[]);
    let store = server.store();
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let store = &store;
            scope.spawn(move || {
                for n in 0..5 {
                    let id = format!("w{worker}/v{n}");
                    let value = SecretValue::Text(format!("value {worker} {n}"));
                    let outcome = store.write(
                        SecretKind::Variable,
                        &id,
                        &value,
                        false,
                        &WriteContext::default(),
                    );
                    assert_eq!(outcome.unwrap(), WriteOutcome::Created);
                }
            });
        }
    });
    assert_eq!(
        store.read(SecretKind::Variable, "w7/v4").unwrap(),
        Some(SecretValue::Text("value 7 4".to_owned()))
    );
}
