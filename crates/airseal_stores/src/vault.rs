//! HashiCorp Vault's KV version 2 secrets engine, written the way Airflow's `VaultBackend`
//! (apache-airflow-providers-hashicorp, through hvac) reads it back.
//!
//! Where: a secret lives at `{mount_point}/{connections_path}/{conn_id}` (variables and config
//! likewise), read through `GET /v1/{mount_point}/data/{path}`; a `*_path` of `null` means the
//! backend never looks that kind up, an empty one means the id is the whole path, and
//! `mount_point: null` takes the mount from the id's first segment — all as the provider does.
//! Path segments are percent-encoded as hvac encodes them (`urllib.parse.quote`).
//!
//! What: a Variable or config option is `{"value": TEXT}`; a connection is Airflow's own field
//! names (`conn_type`, `description`, `host`, `login`, `password`, `schema`, `port`, `extra`), the
//! form both provider generations read (Airflow 2's `Connection(conn_id, **data)`, Airflow 3's
//! `Connection.from_json(json.dumps(data))`): `port` a JSON number (Airflow 2 keeps a string port
//! a string), `extra` the exact JSON text (both accept a string; an object would come back with
//! its keys re-ordered by Vault), `conn_type` normalised (`postgresql` → `postgres`) so both
//! generations read the same type, empty fields left out.
//!
//! How: every write reads first; an equal value (as Airflow reads it) is left alone, a different
//! one is a conflict unless `overwrite`. The write itself is check-and-set (`options.cas`: 0 for
//! a new secret, the current version for an update), so a concurrent writer makes it fail
//! rather than be clobbered. Then the secret's `custom_metadata` gets `managed-by=airseal` and
//! `airseal-source`, merged into what was there. Before touching a mount, its type is checked
//! (`sys/internal/ui/mounts`): writing KV v2 requests into a KV v1 mount would create keys named
//! `data/...`.
//!
//! Settings come the way Vault's own tools take them: `VAULT_ADDR`, `VAULT_TOKEN` (else
//! `~/.vault-token`, where `vault login` puts it), `VAULT_NAMESPACE` (sent as
//! `X-Vault-Namespace`), `VAULT_CACERT`, `VAULT_CLIENT_CERT` / `VAULT_CLIENT_KEY`,
//! `VAULT_SKIP_VERIFY`, `VAULT_CLIENT_TIMEOUT`, `VAULT_MAX_RETRIES`; the backend kwargs
//! (`url`, `namespace`, `verify`) fill in what the environment does not say. Every request has a
//! timeout; 412, 429, 5xx and connection failures are retried with exponential backoff, bounded
//! in attempts and in total waiting. Errors name the kind, the id and the store, never a value
//! or the token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value, json};

use airseal_connection::python::quote;
use airseal_connection::{Connection, Dialect, normalize_conn_type};

mod rotation;

use crate::{
    ConnectionForm, MANAGED_BY_TAG, SOURCE_TAG, SecretKind, SecretMetadata, SecretStore,
    SecretValue, StoreError, WriteContext, WriteOutcome,
};

/// hvac's default address, where `VaultBackend` goes without `url` or `VAULT_ADDR`.
pub const DEFAULT_ADDR: &str = "http://localhost:8200";
/// `VaultBackend`'s default `mount_point` (not `airflow`, whatever its docstring example says).
pub const DEFAULT_MOUNT_POINT: &str = "secret";
/// Vault's default listener `max_request_size`: larger requests are refused with 413.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// The KV plugin's limit on a custom_metadata value.
const CUSTOM_METADATA_VALUE_MAX_BYTES: usize = 512;
const MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;
const CAS_MISMATCH: &str = "check-and-set parameter did not match the current version";
const STORE_NAME: &str = "HashiCorp Vault";

/// How failed requests are retried: `max_attempts` in all (the first included), waiting
/// `base_delay`, then twice as long each time (plus a little jitter, or the server's
/// `Retry-After` when longer), never more than `max_total_delay` in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_total_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_total_delay: Duration::from_secs(3),
        }
    }
}

/// Where and how to reach Vault, and where Airflow's `VaultBackend` looks.
#[derive(Clone)]
pub struct VaultSettings {
    /// `VAULT_ADDR`, without a trailing `/`.
    pub addr: String,
    pub token: String,
    /// Where the token came from, for messages (`VAULT_TOKEN`, `~/.vault-token`).
    pub token_source: String,
    /// `VAULT_NAMESPACE` (Vault Enterprise / HCP), sent as `X-Vault-Namespace`.
    pub namespace: Option<String>,
    /// `None`: the mount is each id's first segment (`mount_point: null`).
    pub mount_point: Option<String>,
    /// `None`: the backend never looks this kind up. `""`: the id is the whole path.
    pub connections_path: Option<String>,
    pub variables_path: Option<String>,
    pub config_path: Option<String>,
    /// Connections as Airflow's fields (the default) or as `{"conn_uri": URI}`.
    pub connection_form: ConnectionForm,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// The whole of one request, response body included.
    pub request_timeout: Duration,
    /// Requests larger than this are refused before they are sent.
    pub max_request_bytes: usize,
    /// A PEM file of CA certificates to trust instead of the built-in roots.
    pub ca_cert: Option<PathBuf>,
    /// A PEM certificate chain and its private key, for TLS client authentication.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    pub skip_verify: bool,
}

impl std::fmt::Debug for VaultSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSettings")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .field("token_source", &self.token_source)
            .field("namespace", &self.namespace)
            .field("mount_point", &self.mount_point)
            .field("connections_path", &self.connections_path)
            .field("variables_path", &self.variables_path)
            .field("config_path", &self.config_path)
            .field("connection_form", &self.connection_form)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("ca_cert", &self.ca_cert)
            .field("client_cert", &self.client_cert)
            .field("skip_verify", &self.skip_verify)
            .finish()
    }
}

fn setting_error(name: &str, message: impl Into<String>) -> StoreError {
    StoreError::Backend {
        kind: "setting",
        id: name.to_owned(),
        store: STORE_NAME.to_owned(),
        message: message.into(),
    }
}

/// A `*_path` or `mount_point` as hvac ends up using it: `VaultBackend` strips trailing `/`,
/// hvac collapses `//` and drops a leading `/`.
fn clean_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Go's `strconv.ParseBool`, as the Vault CLI reads `VAULT_SKIP_VERIFY`.
fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// `VAULT_CLIENT_TIMEOUT`: seconds, or a number with `s`, `m` or `h`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => (&text[..at], &text[at..]),
        None => (text, "s"),
    };
    let number: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

impl VaultSettings {
    /// Settings for `addr` with `token`, and `VaultBackend`'s defaults for the rest.
    pub fn new(addr: impl Into<String>, token: impl Into<String>) -> VaultSettings {
        VaultSettings {
            addr: addr.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            token_source: "the configured token".to_owned(),
            namespace: None,
            mount_point: Some(DEFAULT_MOUNT_POINT.to_owned()),
            connections_path: Some("connections".to_owned()),
            variables_path: Some("variables".to_owned()),
            config_path: Some("config".to_owned()),
            connection_form: ConnectionForm::Json,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_request_bytes: MAX_REQUEST_BYTES,
            ca_cert: None,
            client_cert: None,
            skip_verify: false,
        }
    }

    /// From the process environment and `VaultBackend`'s kwargs (`mount_point`,
    /// `connections_path`, `variables_path`, `config_path`, `kv_engine_version`, `url`,
    /// `namespace`, `verify`).
    pub fn from_environment(kwargs: &Map<String, Value>) -> Result<VaultSettings, StoreError> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        VaultSettings::from_sources(kwargs, |name| std::env::var(name).ok(), home.as_deref())
    }

    /// [`VaultSettings::from_environment`] with the environment and home folder given.
    pub fn from_sources(
        kwargs: &Map<String, Value>,
        env: impl Fn(&str) -> Option<String>,
        home: Option<&std::path::Path>,
    ) -> Result<VaultSettings, StoreError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let kwarg_text = |name: &str| kwargs.get(name).and_then(Value::as_str).map(str::to_owned);

        match kwargs.get("kv_engine_version") {
            None | Some(Value::Null) => {}
            Some(v) if v.as_u64() == Some(2) || v.as_str() == Some("2") => {}
            Some(_) => {
                return Err(setting_error(
                    "kv_engine_version",
                    "airseal writes KV version 2 only (VaultBackend's default); a KV version 1 mount would need kv_engine_version=1 and a different layout",
                ));
            }
        }
        let addr = env("VAULT_ADDR")
            .or_else(|| kwarg_text("url").filter(|u| !u.is_empty()))
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let (token, token_source) = match env("VAULT_TOKEN") {
            Some(token) => (token.trim().to_owned(), "VAULT_TOKEN".to_owned()),
            None => {
                let file = home.map(|h| h.join(".vault-token"));
                let token = file
                    .as_ref()
                    .and_then(|f| std::fs::read_to_string(f).ok())
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty());
                match token {
                    Some(token) => (token, "~/.vault-token".to_owned()),
                    None => {
                        return Err(setting_error(
                            "VAULT_TOKEN",
                            "no Vault token: VAULT_TOKEN is not set and ~/.vault-token does not exist (run `vault login`, or export VAULT_TOKEN)",
                        ));
                    }
                }
            }
        };
        let mut settings = VaultSettings::new(addr, token);
        settings.token_source = token_source;
        settings.namespace = env("VAULT_NAMESPACE")
            .or_else(|| kwarg_text("namespace"))
            .map(|n| n.trim_matches('/').to_owned())
            .filter(|n| !n.is_empty());
        settings.mount_point = match kwargs.get("mount_point") {
            None => Some(DEFAULT_MOUNT_POINT.to_owned()),
            Some(Value::Null) => None,
            // `if not self.mount_point`: an empty mount point is no mount point.
            Some(Value::String(m)) => Some(clean_path(m)).filter(|m| !m.is_empty()),
            Some(_) => return Err(setting_error("mount_point", "must be a string or null")),
        };
        for (name, slot) in [
            ("connections_path", &mut settings.connections_path),
            ("variables_path", &mut settings.variables_path),
            ("config_path", &mut settings.config_path),
        ] {
            match kwargs.get(name) {
                None => {}
                Some(Value::Null) => *slot = None,
                Some(Value::String(path)) => *slot = Some(clean_path(path)),
                // Airflow 3's providers take a list, tried in order: writes go to the first.
                Some(Value::Array(paths)) => match paths.first() {
                    None => *slot = None,
                    Some(Value::String(path)) => *slot = Some(clean_path(path)),
                    Some(_) => return Err(setting_error(name, "must hold strings")),
                },
                Some(_) => {
                    return Err(setting_error(name, "must be a string, a list or null"));
                }
            }
        }
        // hvac's `verify`: false, or a CA bundle path.
        match kwargs.get("verify") {
            Some(Value::Bool(false)) => settings.skip_verify = true,
            Some(Value::String(path)) => settings.ca_cert = Some(PathBuf::from(path)),
            _ => {}
        }
        if let Some(path) = env("VAULT_CACERT") {
            settings.ca_cert = Some(PathBuf::from(path));
        }
        if let Some(skip) = env("VAULT_SKIP_VERIFY") {
            settings.skip_verify = parse_bool(&skip).ok_or_else(|| {
                setting_error(
                    "VAULT_SKIP_VERIFY",
                    "must be true or false (1, t, 0, f, ...)",
                )
            })?;
        }
        match (env("VAULT_CLIENT_CERT"), env("VAULT_CLIENT_KEY")) {
            (Some(cert), Some(key)) => {
                settings.client_cert = Some((PathBuf::from(cert), PathBuf::from(key)));
            }
            (None, None) => {}
            _ => {
                return Err(setting_error(
                    "VAULT_CLIENT_CERT",
                    "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY go together",
                ));
            }
        }
        if let Some(timeout) = env("VAULT_CLIENT_TIMEOUT") {
            settings.request_timeout = parse_duration(&timeout).ok_or_else(|| {
                setting_error(
                    "VAULT_CLIENT_TIMEOUT",
                    "must be seconds, or a duration like 30s",
                )
            })?;
        }
        if let Some(retries) = env("VAULT_MAX_RETRIES") {
            let retries: u32 = retries.trim().parse().map_err(|_| {
                setting_error("VAULT_MAX_RETRIES", "must be a whole number of retries")
            })?;
            settings.retry.max_attempts = retries.saturating_add(1);
        }
        Ok(settings)
    }
}

/// Where one secret lives: the mount and the path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    mount: String,
    path: String,
}

impl Location {
    fn name(&self) -> String {
        format!("{}/{}", self.mount, self.path)
    }
}

/// hvac's `format_url`: each piece `urllib.parse.quote`d, `/` kept.
fn encode_path(path: &str) -> String {
    path.split('/').map(quote).collect::<Vec<_>>().join("/")
}

/// Why `key` (the id's part of the path) would not be read back from where it is written.
fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("an empty id names no Vault path")
    } else if key.split('/').any(str::is_empty) {
        Some(
            "the id has a leading, trailing or doubled `/`: hvac collapses `//`, so VaultBackend would read another path",
        )
    } else if key.split('/').any(|s| s == "." || s == "..") {
        Some("the id has a `.` or `..` segment, which HTTP clients resolve to another path")
    } else {
        None
    }
}

/// A custom_metadata value Vault accepts (printable, 1 to 512 bytes): unprintable characters
/// become `?`; a longer text keeps its end (a `path:line` source ends with what matters).
fn metadata_value(text: &str) -> String {
    let printable = |c: char| {
        c == ' '
            || !(c.is_control()
                || c.is_whitespace()
                || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
    };
    let clean: String = text
        .chars()
        .map(|c| if printable(c) { c } else { '?' })
        .collect();
    if clean.len() <= CUSTOM_METADATA_VALUE_MAX_BYTES {
        return clean;
    }
    let budget = CUSTOM_METADATA_VALUE_MAX_BYTES - '…'.len_utf8();
    let mut start = clean.len() - budget;
    while !clean.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &clean[start..])
}

/// The `data` map airseal writes for a value.
fn encode(value: &SecretValue, form: ConnectionForm) -> Map<String, Value> {
    let mut data = Map::new();
    match value {
        SecretValue::Text(text) => {
            data.insert("value".to_owned(), Value::String(text.clone()));
        }
        SecretValue::Connection(connection) if form == ConnectionForm::Uri => {
            data.insert(
                "conn_uri".to_owned(),
                Value::String(connection.to_uri(Dialect::Airflow3)),
            );
        }
        SecretValue::Connection(connection) => {
            let c = connection.normalized();
            let mut text = |key: &str, value: Option<&str>| {
                if let Some(value) = value {
                    data.insert(key.to_owned(), Value::String(value.to_owned()));
                }
            };
            text(
                "conn_type",
                c.conn_type
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(normalize_conn_type)
                    .as_deref(),
            );
            text("description", c.description.as_deref());
            text("host", c.host.as_deref());
            text("login", c.login.as_deref());
            text("password", c.password.as_deref().filter(|p| !p.is_empty()));
            text("schema", c.schema.as_deref());
            if let Some(port) = c.port.filter(|p| *p != 0) {
                data.insert("port".to_owned(), Value::from(port));
            }
            if let Some(extra) = c.extra.as_deref().filter(|e| !e.is_empty()) {
                data.insert("extra".to_owned(), Value::String(extra.to_owned()));
            }
        }
    }
    data
}

/// What `VaultBackend` makes of a secret's `data` (Airflow 3's reading): a truthy `conn_uri`
/// is the connection's URI (or JSON), else the map is `Connection.from_json(json.dumps(data))`;
/// a Variable or config option is `data["value"]`, `None` when missing. Errors say what is
/// wrong, never a value.
fn decode(kind: SecretKind, data: &Map<String, Value>) -> Result<Option<SecretValue>, String> {
    if kind != SecretKind::Connection {
        return Ok(match data.get("value") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(SecretValue::Text(text.clone())),
            Some(other) => Some(SecretValue::Text(airseal_connection::python::json_dumps(
                other,
            ))),
        });
    }
    let connection = match data.get("conn_uri") {
        Some(Value::String(uri)) if !uri.is_empty() => {
            return SecretValue::from_stored_text(kind, uri.trim(), false)
                .map(Some)
                .map_err(|e| format!("its `conn_uri` is not a connection Airflow can read: {e}"));
        }
        // `if uri:` — a falsy `conn_uri` stays in the map, which `Connection(**data)` refuses.
        None | Some(Value::Null | Value::Bool(false) | Value::String(_)) => {
            let text =
                serde_json::to_string(&Value::Object(data.clone())).map_err(|e| e.to_string())?;
            Connection::from_json(&text, Dialect::Airflow3)
        }
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => {
            return Err("its `conn_uri` is 0, which Airflow refuses".to_owned());
        }
        Some(_) => {
            return Err("its `conn_uri` is not a string".to_owned());
        }
    };
    connection
        .map(|c| Some(SecretValue::Connection(c)))
        .map_err(|e| format!("it is not a connection Airflow can read: {e}"))
}

/// The secret's `data` equals `wanted`, or reads as the same value.
fn same(
    kind: SecretKind,
    stored: &Map<String, Value>,
    wanted: &Map<String, Value>,
    value: &SecretValue,
) -> bool {
    if stored == wanted {
        return true;
    }
    let Ok(Some(stored)) = decode(kind, stored) else {
        return false;
    };
    let target = decode(kind, wanted)
        .ok()
        .flatten()
        .unwrap_or_else(|| value.clone());
    // No type and port 0 are no type and no port (`Connection(uri="//")` has conn_type `""`,
    // the field form cannot hold it: `from_json` drops falsy types and ports).
    let plain = |value: SecretValue| match value {
        SecretValue::Connection(mut c) => {
            c.conn_type = c.conn_type.filter(|t| !t.is_empty());
            c.port = c.port.filter(|p| *p != 0);
            SecretValue::Connection(c)
        }
        text => text,
    };
    plain(stored).same_as(&plain(target))
}

fn write_body(data: &Map<String, Value>, cas: u64) -> String {
    json!({"data": data, "options": {"cas": cas}}).to_string()
}

/// Vault's `errors`, one line, without go-multierror's framing; capped in length.
fn vault_errors(body: &Value) -> String {
    let errors: Vec<String> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(Value::as_str)
                .flat_map(|e| e.lines())
                .map(|l| l.trim().trim_start_matches("* ").trim())
                .filter(|l| {
                    !l.is_empty()
                        && !l.ends_with("error occurred:")
                        && !l.ends_with("errors occurred:")
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut text = errors.join("; ");
    if text.len() > 400 {
        let mut end = 400;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// A 404 that is not "no such secret" but "no such route" (no mount there, not KV v2).
fn route_error(body: &Value) -> Option<String> {
    let text = vault_errors(body);
    (!text.is_empty()).then_some(text)
}

fn retryable_status(status: u16) -> bool {
    // 412: a performance standby has not caught up yet (hvac's Airflow session retries it too).
    matches!(status, 412 | 429 | 500 | 502 | 503 | 504)
}

fn retryable_error(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)
    )
}

/// Up to `max` of jitter, from the clock (enough to spread concurrent writers apart).
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let max_nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if max_nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(u64::from(nanos) % max_nanos)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Delete,
}

/// One answer from Vault.
struct Reply {
    status: u16,
    body: Value,
    retry_after: Option<Duration>,
}

/// One secret's data as read, with its version.
struct Stored {
    /// `None`: the current version is deleted or destroyed (Airflow reads nothing).
    data: Option<Map<String, Value>>,
    version: u64,
    custom_metadata: Map<String, Value>,
}

/// HashiCorp Vault's KV v2 engine as a [`SecretStore`].
pub struct VaultStore {
    settings: VaultSettings,
    agent: ureq::Agent,
    /// Each mount's check (`Err`: why airseal will not use it), done once.
    mounts: Mutex<HashMap<String, Result<(), String>>>,
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn read_pem(setting: &str, path: &std::path::Path) -> Result<Vec<u8>, StoreError> {
    std::fs::read(path).map_err(|e| setting_error(setting, format!("{}: {e}", path.display())))
}

fn build_agent(settings: &VaultSettings) -> Result<ureq::Agent, StoreError> {
    use ureq::tls::{ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig, parse_pem};
    let mut tls = TlsConfig::builder();
    if let Some(path) = &settings.ca_cert {
        let pem = read_pem("VAULT_CACERT", path)?;
        let certs: Vec<_> = parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(setting_error(
                "VAULT_CACERT",
                format!("{}: no PEM certificate in it", path.display()),
            ));
        }
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    if let Some((cert_path, key_path)) = &settings.client_cert {
        let pem = read_pem("VAULT_CLIENT_CERT", cert_path)?;
        let certs: Vec<_> = parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        let key_pem = read_pem("VAULT_CLIENT_KEY", key_path)?;
        let key = PrivateKey::from_pem(&key_pem).map_err(|_| {
            setting_error(
                "VAULT_CLIENT_KEY",
                format!("{}: no PEM private key in it", key_path.display()),
            )
        })?;
        if certs.is_empty() {
            return Err(setting_error(
                "VAULT_CLIENT_CERT",
                format!("{}: no PEM certificate in it", cert_path.display()),
            ));
        }
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&certs, key)));
    }
    if settings.skip_verify {
        tls = tls.disable_verification(true);
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(settings.connect_timeout))
        .timeout_global(Some(settings.request_timeout))
        .user_agent(concat!("airseal/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

impl VaultStore {
    pub fn new(settings: VaultSettings) -> Result<VaultStore, StoreError> {
        let agent = build_agent(&settings)?;
        Ok(VaultStore {
            settings,
            agent,
            mounts: Mutex::new(HashMap::new()),
        })
    }

    /// From the environment (`VAULT_ADDR`, `VAULT_TOKEN`, ...) and `VaultBackend`'s kwargs.
    pub fn from_environment(kwargs: &Map<String, Value>) -> Result<VaultStore, StoreError> {
        VaultStore::new(VaultSettings::from_environment(kwargs)?)
    }

    pub fn settings(&self) -> &VaultSettings {
        &self.settings
    }

    fn error(&self, kind: SecretKind, id: &str, message: impl Into<String>) -> StoreError {
        StoreError::Backend {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            message: message.into(),
        }
    }

    fn denied(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
        capability: &str,
        section: &str,
    ) -> StoreError {
        self.error(
            kind,
            id,
            format!(
                "permission denied on `{}`: the token (from {}) is invalid or expired, or its policy lacks `{capability}` on `{}/{section}/{}`",
                location.name(),
                self.settings.token_source,
                location.mount,
                location.path,
            ),
        )
    }

    fn unexpected(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
        reply: &Reply,
    ) -> StoreError {
        let errors = vault_errors(&reply.body);
        let detail = if errors.is_empty() {
            String::new()
        } else {
            format!(": {errors}")
        };
        self.error(
            kind,
            id,
            format!(
                "Vault answered {} for `{}`{detail}",
                reply.status,
                location.name()
            ),
        )
    }

    fn location(&self, kind: SecretKind, id: &str) -> Result<Location, StoreError> {
        let (base, kwarg) = match kind {
            SecretKind::Connection => (&self.settings.connections_path, "connections_path"),
            SecretKind::Variable => (&self.settings.variables_path, "variables_path"),
            SecretKind::Config => (&self.settings.config_path, "config_path"),
        };
        let base = base.as_deref().ok_or_else(|| StoreError::NotConfigured {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            reason: format!(
                "`{kwarg}` is null, so VaultBackend never looks {}s up",
                kind.name()
            ),
        })?;
        let (mount, key) = match &self.settings.mount_point {
            Some(mount) => (mount.clone(), id),
            None => match id.split_once('/') {
                Some((mount, key)) if !mount.is_empty() => (mount.to_owned(), key),
                _ => {
                    return Err(StoreError::NotConfigured {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: self.describe(),
                        reason: "`mount_point` is null, so VaultBackend takes the mount from the id's first segment (`mount/id`), and this id has none".to_owned(),
                    });
                }
            },
        };
        if let Some(reason) = key_problem(key) {
            return Err(StoreError::Unrepresentable {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                reason: reason.to_owned(),
            });
        }
        let path = if base.is_empty() {
            key.to_owned()
        } else {
            format!("{base}/{key}")
        };
        Ok(Location { mount, path })
    }

    fn url(&self, location: &Location, section: &str) -> String {
        format!(
            "{}/v1/{}/{section}/{}",
            self.settings.addr,
            encode_path(&location.mount),
            encode_path(&location.path)
        )
    }

    /// One request, no retry.
    fn attempt(&self, method: Method, url: &str, body: Option<&str>) -> Result<Reply, ureq::Error> {
        let response = match method {
            Method::Get => self.headers(self.agent.get(url)).call(),
            Method::Delete => self.headers(self.agent.delete(url)).call(),
            Method::Post => self
                .headers(self.agent.post(url))
                .content_type("application/json")
                .send(body.unwrap_or("{}")),
        };
        let mut response = response?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            body,
            retry_after,
        })
    }

    fn headers<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let request = request
            .header("X-Vault-Token", &self.settings.token)
            .header("X-Vault-Request", "true");
        match &self.settings.namespace {
            Some(namespace) => request.header("X-Vault-Namespace", namespace),
            None => request,
        }
    }

    /// A request with retries: the answer when it is not a retryable failure, else what went
    /// wrong the last time, once the attempts or the waiting budget are spent.
    fn call(&self, method: Method, url: &str, body: Option<&str>) -> Result<Reply, String> {
        let policy = &self.settings.retry;
        let attempts = policy.max_attempts.max(1);
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (failure, retry_after) = match self.attempt(method, url, body) {
                Ok(reply) if !retryable_status(reply.status) => return Ok(reply),
                Ok(reply) => {
                    let errors = vault_errors(&reply.body);
                    let detail = if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({errors})")
                    };
                    (
                        format!("Vault answered {}{detail}", reply.status),
                        reply.retry_after,
                    )
                }
                Err(error) if retryable_error(&error) => (
                    format!("cannot reach Vault at {}: {error}", self.settings.addr),
                    None,
                ),
                Err(error) => {
                    return Err(format!(
                        "cannot talk to Vault at {}: {error}",
                        self.settings.addr
                    ));
                }
            };
            let remaining = policy.max_total_delay.saturating_sub(waited);
            if attempt >= attempts || remaining.is_zero() {
                let tries = if attempt == 1 {
                    "1 attempt".to_owned()
                } else {
                    format!("{attempt} attempts")
                };
                return Err(format!("{failure}; gave up after {tries}"));
            }
            let exponent = attempt.saturating_sub(1).min(16);
            let backoff =
                policy.base_delay.saturating_mul(1 << exponent) + jitter(policy.base_delay / 2);
            let delay = backoff.max(retry_after.unwrap_or_default()).min(remaining);
            std::thread::sleep(delay);
            waited += delay;
        }
    }

    /// Refuses a mount that is not KV v2 (checked once per mount).
    fn check_mount(&self, kind: SecretKind, id: &str, mount: &str) -> Result<(), StoreError> {
        let known = self
            .mounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(mount)
            .cloned();
        let verdict = match known {
            Some(verdict) => verdict,
            None => {
                let url = format!(
                    "{}/v1/sys/internal/ui/mounts/{}",
                    self.settings.addr,
                    encode_path(mount)
                );
                let reply = self
                    .call(Method::Get, &url, None)
                    .map_err(|m| self.error(kind, id, m))?;
                // Anything but an answer (no permission on this endpoint, an old Vault) leaves the
                // question to the data request itself.
                let verdict = if reply.status == 200 {
                    mount_verdict(mount, reply.body.get("data").unwrap_or(&Value::Null))
                } else {
                    Ok(())
                };
                self.mounts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(mount.to_owned(), verdict.clone());
                verdict
            }
        };
        verdict.map_err(|message| self.error(kind, id, message))
    }

    fn fetch(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
    ) -> Result<Option<Stored>, StoreError> {
        self.fetch_version(kind, id, location, None)
    }

    /// The latest version, or version `version` when given.
    fn fetch_version(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
        version: Option<u64>,
    ) -> Result<Option<Stored>, StoreError> {
        let url = match version {
            Some(version) => format!("{}?version={version}", self.url(location, "data")),
            None => self.url(location, "data"),
        };
        let reply = self
            .call(Method::Get, &url, None)
            .map_err(|m| self.error(kind, id, m))?;
        let metadata = &reply.body["data"]["metadata"];
        let custom_metadata = metadata["custom_metadata"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        match reply.status {
            200 => {
                let version = metadata["version"].as_u64().ok_or_else(|| {
                    self.error(
                        kind,
                        id,
                        format!("Vault's answer for `{}` has no version", location.name()),
                    )
                })?;
                let data = match &reply.body["data"]["data"] {
                    Value::Object(map) => Some(map.clone()),
                    Value::Null => None,
                    _ => {
                        return Err(self.error(
                            kind,
                            id,
                            format!("`{}` holds no key-value map", location.name()),
                        ));
                    }
                };
                Ok(Some(Stored {
                    data,
                    version,
                    custom_metadata,
                }))
            }
            404 => {
                if let Some(message) = route_error(&reply.body) {
                    return Err(self.error(
                        kind,
                        id,
                        format!(
                            "no KV version 2 secret path `{}` in Vault (is `{}` a KV v2 mount?): {message}",
                            location.name(),
                            location.mount
                        ),
                    ));
                }
                // A deleted or destroyed current version still has a version (for check-and-set).
                Ok(metadata["version"].as_u64().map(|version| Stored {
                    data: None,
                    version,
                    custom_metadata,
                }))
            }
            401 | 403 => Err(self.denied(kind, id, location, "read", "data")),
            _ => Err(self.unexpected(kind, id, location, &reply)),
        }
    }

    /// Writes a new version with check-and-set; its version number.
    fn put(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
        wanted: &Map<String, Value>,
        cas: u64,
    ) -> Result<u64, StoreError> {
        let body = write_body(wanted, cas);
        let reply = self
            .call(Method::Post, &self.url(location, "data"), Some(&body))
            .map_err(|m| self.error(kind, id, m))?;
        match reply.status {
            200 | 204 => Ok(reply.body["data"]["version"].as_u64().unwrap_or(cas + 1)),
            400 if vault_errors(&reply.body).contains(CAS_MISMATCH) => {
                // A retried request may have landed the first time; or someone else wrote.
                match self.fetch(kind, id, location)? {
                    Some(Stored {
                        data: Some(data),
                        version,
                        ..
                    }) if data == *wanted => Ok(version),
                    _ => Err(self.error(
                        kind,
                        id,
                        format!(
                            "`{}` changed in Vault while airseal was writing it (check-and-set did not match): nothing was overwritten; run again to compare with the new value",
                            location.name()
                        ),
                    )),
                }
            }
            401 | 403 => Err(self.denied(
                kind,
                id,
                location,
                if cas == 0 { "create" } else { "update" },
                "data",
            )),
            413 => Err(StoreError::Unrepresentable {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                reason: "Vault refused the request as larger than its max_request_size".to_owned(),
            }),
            _ => Err(self.unexpected(kind, id, location, &reply)),
        }
    }

    /// Sets airseal's custom_metadata tags, keeping the others. `existing`: the tags the data
    /// read returned, `None` when it returned none (a new secret, whose key may still have
    /// metadata someone set beforehand: read it then).
    fn tag(
        &self,
        kind: SecretKind,
        id: &str,
        location: &Location,
        existing: Option<Map<String, Value>>,
        context: &WriteContext,
        version: u64,
    ) -> Result<(), StoreError> {
        let stored = format!(
            "the value was stored as version {version}, but its custom_metadata tags were not set"
        );
        let existing = match existing {
            Some(existing) => existing,
            None => {
                let reply = self
                    .call(Method::Get, &self.url(location, "metadata"), None)
                    .map_err(|m| self.error(kind, id, format!("{stored}: {m}")))?;
                match reply.status {
                    200 => reply.body["data"]["custom_metadata"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    // Without `read` on the metadata there is nothing to keep that airseal can see.
                    _ => Map::new(),
                }
            }
        };
        let existing: Map<String, Value> = existing
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut tags = existing.clone();
        tags.insert(MANAGED_BY_TAG.0.to_owned(), Value::from(MANAGED_BY_TAG.1));
        match context
            .source
            .as_deref()
            .map(metadata_value)
            .filter(|s| !s.is_empty())
        {
            Some(source) => {
                tags.insert(SOURCE_TAG.to_owned(), Value::String(source));
            }
            // A source from an earlier write would describe another value.
            None => {
                tags.remove(SOURCE_TAG);
            }
        }
        if tags == existing {
            return Ok(());
        }
        let body = json!({ "custom_metadata": tags }).to_string();
        let reply = self
            .call(Method::Post, &self.url(location, "metadata"), Some(&body))
            .map_err(|m| self.error(kind, id, format!("{stored}: {m}")))?;
        match reply.status {
            200 | 204 => Ok(()),
            401 | 403 => Err(self.error(
                kind,
                id,
                format!(
                    "{stored}: permission denied — the token's policy needs `update` on `{}/metadata/{}`",
                    location.mount, location.path
                ),
            )),
            _ => Err(self.error(
                kind,
                id,
                format!("{stored}: Vault answered {}: {}", reply.status, vault_errors(&reply.body)),
            )),
        }
    }
}

/// Whether the mount `mount` (as `sys/internal/ui/mounts` describes it in `data`) is one airseal
/// writes to.
fn mount_verdict(mount: &str, data: &Value) -> Result<(), String> {
    let path = data["path"].as_str().unwrap_or("").trim_end_matches('/');
    let engine = data["type"].as_str().unwrap_or("");
    let version = match &data["options"]["version"] {
        Value::String(v) => v.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if !path.is_empty() && path != mount {
        Err(format!(
            "`{mount}` is not a mount but a path inside the mount `{path}/`: VaultBackend's `mount_point` must be the mount itself (`{path}`), the rest goes in the `*_path` kwargs"
        ))
    } else if !matches!(engine, "kv" | "generic" | "kv-v2") {
        Err(format!(
            "`{mount}` is a `{engine}` secrets engine, not KV: VaultBackend reads a KV version 2 mount"
        ))
    } else if engine != "kv-v2" && version != "2" {
        Err(format!(
            "`{mount}` is a KV version 1 mount: airseal writes KV version 2, which VaultBackend reads by default (kv_engine_version=2); upgrade it with `vault kv enable-versioning {mount}` or point mount_point at a KV v2 mount"
        ))
    } else {
        Ok(())
    }
}

impl SecretStore for VaultStore {
    fn describe(&self) -> String {
        let namespace = self
            .settings
            .namespace
            .as_deref()
            .map(|n| format!(", namespace `{n}`"))
            .unwrap_or_default();
        match &self.settings.mount_point {
            Some(mount) => format!(
                "{STORE_NAME} at {}{namespace} (KV v2 mount `{mount}`)",
                self.settings.addr
            ),
            None => format!(
                "{STORE_NAME} at {}{namespace} (KV v2, mount from each id's first segment)",
                self.settings.addr
            ),
        }
    }

    fn read(&self, kind: SecretKind, id: &str) -> Result<Option<SecretValue>, StoreError> {
        let location = self.location(kind, id)?;
        self.check_mount(kind, id, &location.mount)?;
        match self.fetch(kind, id, &location)? {
            Some(Stored {
                data: Some(data), ..
            }) => decode(kind, &data).map_err(|message| {
                self.error(kind, id, format!("`{}`: {message}", location.name()))
            }),
            _ => Ok(None),
        }
    }

    fn write(
        &self,
        kind: SecretKind,
        id: &str,
        value: &SecretValue,
        overwrite: bool,
        context: &WriteContext,
    ) -> Result<WriteOutcome, StoreError> {
        let location = self.location(kind, id)?;
        let wanted = encode(value, self.settings.connection_form);
        let size = write_body(&wanted, u64::MAX).len();
        if size > self.settings.max_request_bytes {
            return Err(StoreError::Unrepresentable {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                reason: format!(
                    "the request would be {size} bytes, over Vault's max_request_size ({} bytes)",
                    self.settings.max_request_bytes
                ),
            });
        }
        self.check_mount(kind, id, &location.mount)?;
        let existing = self.fetch(kind, id, &location)?;
        let (outcome, cas) = match &existing {
            None => (WriteOutcome::Created, 0),
            // The current version is deleted: Airflow reads nothing, check-and-set still counts it.
            Some(Stored {
                data: None,
                version,
                ..
            }) => (WriteOutcome::Created, *version),
            Some(Stored {
                data: Some(data),
                version,
                ..
            }) => {
                if same(kind, data, &wanted, value) {
                    return Ok(WriteOutcome::Unchanged);
                }
                if !overwrite {
                    return Err(StoreError::Conflict {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: self.describe(),
                    });
                }
                (WriteOutcome::Updated, *version)
            }
        };
        let version = self.put(kind, id, &location, &wanted, cas)?;
        let existing_tags = existing.map(|s| s.custom_metadata);
        self.tag(kind, id, &location, existing_tags, context, version)?;
        Ok(outcome)
    }

    fn name_of(&self, kind: SecretKind, id: &str) -> Option<String> {
        self.location(kind, id).ok().map(|l| l.name())
    }

    fn list_ids(&self, kind: SecretKind) -> Result<Option<Vec<String>>, StoreError> {
        match kind {
            SecretKind::Connection => self.connection_ids(),
            _ => Ok(None),
        }
    }

    fn staged(&self) -> Option<&dyn crate::staged::StagedStore> {
        Some(self)
    }

    fn metadata(&self, kind: SecretKind, id: &str) -> Result<Option<SecretMetadata>, StoreError> {
        let location = self.location(kind, id)?;
        self.check_mount(kind, id, &location.mount)?;
        let reply = self
            .call(Method::Get, &self.url(&location, "metadata"), None)
            .map_err(|m| self.error(kind, id, m))?;
        match reply.status {
            200 => {
                let data = &reply.body["data"];
                let current = data["current_version"].as_u64();
                // When the current value was written; `updated_time` as a fallback.
                let written = current
                    .and_then(|v| data["versions"][v.to_string()]["created_time"].as_str())
                    .or_else(|| data["updated_time"].as_str())
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                let tags = data["custom_metadata"]
                    .as_object()
                    .map(|tags| {
                        tags.iter()
                            .map(|(k, v)| {
                                let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                                (k.clone(), v)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Some(SecretMetadata {
                    name: location.name(),
                    last_changed: written,
                    version: current.map(|v| v.to_string()),
                    tags,
                    ..SecretMetadata::default()
                }))
            }
            404 => match route_error(&reply.body) {
                Some(message) => Err(self.error(
                    kind,
                    id,
                    format!(
                        "no KV version 2 metadata path for `{}`: {message}",
                        location.name()
                    ),
                )),
                None => Ok(None),
            },
            401 | 403 => Err(self.denied(kind, id, &location, "read", "metadata")),
            _ => Err(self.unexpected(kind, id, &location, &reply)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kwargs(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn settings_follow_vault_and_the_backend() {
        let settings = VaultSettings::from_sources(
            &kwargs(r#"{"url": "http://vault.internal:8200", "mount_point": "/airflow/", "connections_path": "conns/", "variables_path": null, "config_path": ["cfg", "other"]}"#),
            env(&[("VAULT_TOKEN", " s.abc \n"), ("VAULT_NAMESPACE", "team-a/")]),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.addr, "http://vault.internal:8200");
        assert_eq!(settings.token, "s.abc");
        assert_eq!(settings.token_source, "VAULT_TOKEN");
        assert_eq!(settings.namespace.as_deref(), Some("team-a"));
        assert_eq!(settings.mount_point.as_deref(), Some("airflow"));
        assert_eq!(settings.connections_path.as_deref(), Some("conns"));
        assert_eq!(settings.variables_path, None);
        assert_eq!(settings.config_path.as_deref(), Some("cfg"));
        assert!(
            !format!("{settings:?}").contains("s.abc"),
            "Debug shows the token"
        );

        // VAULT_ADDR wins over `url`; the backend's own default mount is `secret`.
        let settings = VaultSettings::from_sources(
            &kwargs(r#"{"url": "http://x:1"}"#),
            env(&[
                ("VAULT_ADDR", "https://vault:8200/"),
                ("VAULT_TOKEN", "t"),
                ("VAULT_MAX_RETRIES", "2"),
                ("VAULT_CLIENT_TIMEOUT", "30s"),
            ]),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.addr, "https://vault:8200");
        assert_eq!(settings.mount_point.as_deref(), Some("secret"));
        assert_eq!(settings.retry.max_attempts, 3);
        assert_eq!(settings.request_timeout, Duration::from_secs(30));

        // ~/.vault-token when VAULT_TOKEN is unset; an error naming both when neither is there.
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = VaultSettings::from_sources(&Map::new(), env(&[]), Some(home.path()));
        assert!(matches!(missing, Err(StoreError::Backend { ref id, .. }) if id == "VAULT_TOKEN"));
        std::fs::write(home.path().join(".vault-token"), "hvs.file\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let settings = VaultSettings::from_sources(&Map::new(), env(&[]), Some(home.path()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (settings.token.as_str(), settings.token_source.as_str()),
            ("hvs.file", "~/.vault-token")
        );

        let v1 = VaultSettings::from_sources(
            &kwargs(r#"{"kv_engine_version": 1}"#),
            env(&[("VAULT_TOKEN", "t")]),
            None,
        );
        assert!(v1.is_err());
    }

    fn store(mount: Option<&str>, connections: Option<&str>) -> VaultStore {
        let mut settings = VaultSettings::new("http://127.0.0.1:1", "t");
        settings.mount_point = mount.map(str::to_owned);
        settings.connections_path = connections.map(str::to_owned);
        VaultStore::new(settings).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_are_where_vault_backend_looks() {
        let s = store(Some("airflow"), Some("connections"));
        assert_eq!(
            s.name_of(SecretKind::Connection, "db").as_deref(),
            Some("airflow/connections/db")
        );
        assert_eq!(
            s.name_of(SecretKind::Variable, "a/b").as_deref(),
            Some("airflow/variables/a/b")
        );
        assert_eq!(s.name_of(SecretKind::Connection, "/db"), None);
        assert_eq!(s.name_of(SecretKind::Connection, "a//b"), None);
        assert_eq!(s.name_of(SecretKind::Connection, "a/../b"), None);
        let bare = store(Some("kv"), Some(""));
        assert_eq!(
            bare.name_of(SecretKind::Connection, "db").as_deref(),
            Some("kv/db")
        );
        let off = store(Some("kv"), None);
        assert!(matches!(
            off.write(
                SecretKind::Connection,
                "db",
                &SecretValue::Text(String::new()),
                false,
                &WriteContext::default()
            ),
            Err(StoreError::NotConfigured { .. })
        ));
        let from_id = store(None, Some("connections"));
        assert_eq!(
            from_id
                .name_of(SecretKind::Connection, "team/db")
                .as_deref(),
            Some("team/connections/db")
        );
        assert_eq!(from_id.name_of(SecretKind::Connection, "db"), None);
        let location = s
            .location(SecretKind::Connection, "a b/é?#%")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.url(&location, "data"),
            "http://127.0.0.1:1/v1/airflow/data/connections/a%20b/%C3%A9%3F%23%25"
        );
    }

    fn expected_uri() -> Connection {
        Connection {
            conn_type: Some("postgres".to_owned()),
            host: Some("db".to_owned()),
            login: Some("u@x".to_owned()),
            password: Some("p:w".to_owned()),
            schema: Some("s".to_owned()),
            port: Some(5432),
            ..Connection::default()
        }
    }

    #[test]
    fn connections_are_written_in_airflow_field_names() {
        let connection = Connection {
            conn_type: Some("postgresql".to_owned()),
            host: Some("db".to_owned()),
            login: Some(String::new()),
            password: Some(String::new()),
            port: Some(5432),
            extra: Some(r#"{"b": 1, "a": [1.0, NaN]}"#.to_owned()),
            ..Connection::default()
        };
        let data = encode(
            &SecretValue::Connection(connection.clone()),
            ConnectionForm::Json,
        );
        assert_eq!(
            Value::Object(data.clone()).to_string(),
            r#"{"conn_type":"postgres","host":"db","login":"","port":5432,"extra":"{\"b\": 1, \"a\": [1.0, NaN]}"}"#
        );
        let read = decode(SecretKind::Connection, &data).unwrap_or_else(|e| panic!("{e}"));
        let expected = Connection {
            conn_type: Some("postgres".to_owned()),
            password: None,
            ..connection
        };
        assert_eq!(read, Some(SecretValue::Connection(expected)));
        // `--uri`: the provider's `conn_uri` key.
        let uri = encode(
            &SecretValue::Connection(expected_uri()),
            ConnectionForm::Uri,
        );
        assert_eq!(
            Value::Object(uri).to_string(),
            r#"{"conn_uri":"postgres://u%40x:p%3Aw@db:5432/s"}"#
        );
        // The forms other tools write read the same way Airflow reads them.
        let uri = kwargs(r#"{"conn_uri": "postgres://u:p%40ss@h:5432/db"}"#);
        let Ok(Some(SecretValue::Connection(c))) = decode(SecretKind::Connection, &uri) else {
            panic!("conn_uri not read");
        };
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        let fields = kwargs(r#"{"conn_type": "http", "port": "8080", "extra": {"k": "v"}}"#);
        let Ok(Some(SecretValue::Connection(c))) = decode(SecretKind::Connection, &fields) else {
            panic!("fields not read");
        };
        assert_eq!(
            (c.port, c.extra.as_deref()),
            (Some(8080), Some(r#"{"k": "v"}"#))
        );
        assert!(decode(SecretKind::Connection, &kwargs(r#"{"user": "x"}"#)).is_err());
        assert!(
            decode(
                SecretKind::Connection,
                &kwargs(r#"{"conn_uri": "", "host": "h"}"#)
            )
            .is_err()
        );
        assert_eq!(
            decode(SecretKind::Variable, &kwargs(r#"{"other": "x"}"#)),
            Ok(None)
        );
        assert_eq!(
            decode(SecretKind::Variable, &kwargs(r#"{"value": 5}"#)),
            Ok(Some(SecretValue::Text("5".to_owned())))
        );
    }

    #[test]
    fn custom_metadata_values_fit_vault() {
        assert_eq!(metadata_value("dags/a.py:3"), "dags/a.py:3");
        assert_eq!(metadata_value("a\nb\u{200b}"), "a?b?");
        let long = format!("{}:42", "é".repeat(400));
        let value = metadata_value(&long);
        assert!(value.len() <= 512 && value.starts_with('…') && value.ends_with(":42"));
    }

    #[test]
    fn mounts_must_be_kv_version_2() {
        let kv2 = json!({"path": "airflow/", "type": "kv", "options": {"version": "2"}});
        assert_eq!(mount_verdict("airflow", &kv2), Ok(()));
        let kv1 = json!({"path": "airflow/", "type": "kv", "options": null});
        assert!(mount_verdict("airflow", &kv1).is_err_and(|m| m.contains("version 1")));
        assert!(
            mount_verdict(
                "secret/airflow",
                &json!({"path": "secret/", "type": "kv", "options": {"version": "2"}})
            )
            .is_err_and(|m| m.contains("inside the mount"))
        );
        assert!(mount_verdict("pki", &json!({"path": "pki/", "type": "pki"})).is_err());
    }

    #[test]
    fn vault_error_text_is_one_line() {
        let body = json!({"errors": ["1 error occurred:\n\t* permission denied\n\n"]});
        assert_eq!(vault_errors(&body), "permission denied");
        assert_eq!(vault_errors(&json!({"errors": []})), "");
        assert_eq!(route_error(&json!({"errors": []})), None);
    }
}
