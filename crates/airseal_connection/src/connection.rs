//! An Airflow connection and its two text forms, as `airflow.models.Connection` (2.10 and 3.x)
//! writes and reads them: `get_uri()` / `Connection(uri=...)` and `as_json()` / `from_json()`.

use serde_json::{Map, Value};

use crate::python::{self, ValueError};

/// The fields Airflow stores. `None` and `""` differ, as in Airflow (a URI without a host
/// parses to `host == ""`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    pub conn_type: Option<String>,
    pub description: Option<String>,
    pub host: Option<String>,
    pub login: Option<String>,
    pub password: Option<String>,
    pub schema: Option<String>,
    pub port: Option<i64>,
    /// The extra as Airflow stores it: JSON text (`json.dumps` of a dict given as an object).
    pub extra: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Airflow raises on this URI (more than two `://`, user info in a host's protocol part, a
    /// bad port or bracket).
    #[error("invalid connection URI: {0}")]
    InvalidUri(String),
    #[error("invalid connection JSON: {0}")]
    InvalidJson(String),
}

impl From<ValueError> for CodecError {
    fn from(error: ValueError) -> Self {
        CodecError::InvalidUri(error.0)
    }
}

/// `Connection._normalize_conn_type`.
pub fn normalize_conn_type(conn_type: &str) -> String {
    if conn_type == "postgresql" {
        "postgres".to_owned()
    } else {
        conn_type.replace('-', "_")
    }
}

const EXTRA_KEY: &str = "__extra__";

/// Which Airflow's rules: they differ in small ways that matter byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Airflow 2.x (`airflow.models.Connection` of 2.10).
    Airflow2,
    /// Airflow 3.x: a host whose protocol equals the type is kept whole in the URI; query
    /// values of a parsed URI are JSON-decoded when they parse; an extra that is not a JSON
    /// object is refused.
    #[default]
    Airflow3,
}

impl Connection {
    /// As Airflow holds it: its password setter ignores an empty password (`if value:`), so
    /// `""` becomes `None`.
    pub fn normalized(&self) -> Connection {
        let mut connection = self.clone();
        if connection.password.as_deref() == Some("") {
            connection.password = None;
        }
        connection
    }

    /// `Connection.get_uri()`.
    pub fn to_uri(&self, dialect: Dialect) -> String {
        self.normalized().uri(dialect)
    }

    fn uri(&self, dialect: Dialect) -> String {
        let mut uri = match &self.conn_type {
            Some(t) if !t.is_empty() => format!("{}://", python::python_lower(t).replace('_', "-")),
            _ => "//".to_owned(),
        };
        let (protocol, host) = match &self.host {
            Some(h) if h.contains("://") => {
                let (p, rest) = h.split_once("://").unwrap_or((h, ""));
                if dialect == Dialect::Airflow3 && Some(p) == self.conn_type.as_deref() {
                    (None, Some(h.as_str()))
                } else {
                    (Some(p), Some(rest))
                }
            }
            other => (None, other.as_deref()),
        };
        if let Some(protocol) = protocol.filter(|p| !p.is_empty()) {
            uri.push_str(protocol);
            uri.push_str("://");
        }
        let mut authority = String::new();
        if let Some(login) = &self.login {
            authority.push_str(&python::quote(login));
        }
        if let Some(password) = &self.password {
            authority.push(':');
            authority.push_str(&python::quote(password));
        }
        if !authority.is_empty() {
            authority.push('@');
            uri.push_str(&authority);
        }
        let mut host_block = String::new();
        if let Some(host) = host.filter(|h| !h.is_empty()) {
            host_block.push_str(&python::quote(host));
        }
        if let Some(port) = self.port.filter(|p| *p != 0) {
            if host_block.is_empty() && authority.is_empty() {
                host_block.push_str(&format!("@:{port}"));
            } else {
                host_block.push_str(&format!(":{port}"));
            }
        }
        let has_schema = self.schema.as_deref().is_some_and(|s| !s.is_empty());
        if let Some(schema) = self.schema.as_deref().filter(|s| !s.is_empty()) {
            host_block.push('/');
            host_block.push_str(&python::quote(schema));
        }
        uri.push_str(&host_block);
        if let Some(extra) = self.extra.as_deref().filter(|e| !e.is_empty()) {
            uri.push_str(if has_schema { "?" } else { "/?" });
            match query_form(extra) {
                Some(query) => uri.push_str(&query),
                None => uri.push_str(&python::urlencode([(EXTRA_KEY, extra)])),
            }
        }
        uri
    }

    /// `Connection(uri=...)`.
    pub fn from_uri(uri: &str, dialect: Dialect) -> Result<Connection, CodecError> {
        let schemes = uri.matches("://").count();
        if schemes > 2 {
            return Err(CodecError::InvalidUri("more than two `://`".to_owned()));
        }
        let host_with_protocol = schemes == 2;
        let parts = python::urlsplit(uri)?;
        let conn_type = parts.scheme.clone();
        let rest = uri.replace(
            &format!("{conn_type}://"),
            if host_with_protocol { "" } else { "//" },
        );
        if host_with_protocol {
            let first = rest.split_once("://").map_or(rest.as_str(), |(f, _)| f);
            if first.contains('@') || first.contains(':') {
                return Err(CodecError::InvalidUri(
                    "user info or port in the host's protocol".to_owned(),
                ));
            }
        }
        let parts = python::urlsplit(&rest)?;
        let protocol = host_with_protocol.then_some(parts.scheme.as_str());
        let host = netloc_to_hostname(&parts);
        let host = match protocol {
            Some(p) if !p.is_empty() && !host.is_empty() => format!("{p}://{host}"),
            _ => host,
        };
        let schema = parts.path.get(1..).unwrap_or("");
        let extra = if parts.query.is_empty() {
            None
        } else {
            let pairs = python::parse_qsl(&parts.query);
            // `dict(pairs)`: the last value of a repeated key, at the key's first position.
            let mut query: Vec<(String, String)> = Vec::new();
            for (key, value) in pairs {
                match query.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = value,
                    None => query.push((key, value)),
                }
            }
            Some(match query.iter().find(|(k, _)| k == EXTRA_KEY) {
                Some((_, raw)) => raw.clone(),
                None => query_to_extra(&query, dialect),
            })
        };
        if dialect == Dialect::Airflow3 {
            validate_extra(extra.as_deref())?;
        }
        Ok(Connection {
            conn_type: Some(normalize_conn_type(&conn_type)),
            description: None,
            host: Some(host),
            login: parts.username().map(|u| {
                if u.is_empty() {
                    String::new()
                } else {
                    python::unquote(u)
                }
            }),
            password: parts.password().map(|p| {
                if p.is_empty() {
                    String::new()
                } else {
                    python::unquote(p)
                }
            }),
            schema: Some(if schema.is_empty() {
                String::new()
            } else {
                python::unquote(schema)
            }),
            port: parts.port()?.map(i64::from),
            extra,
        }
        .normalized())
    }

    /// The extra as Airflow's `extra_dejson`: the parsed object, `{}` when empty, invalid or
    /// not an object... as far as airseal needs it (`None` for "not an object").
    fn extra_dejson(&self) -> Option<Value> {
        let extra = self.extra.as_deref().filter(|e| !e.is_empty())?;
        python::json_loads(extra)
    }

    /// `Connection.as_json()`: the non-null fields and a non-empty extra object.
    pub fn to_json(&self) -> String {
        self.normalized().json()
    }

    fn json(&self) -> String {
        let mut map = Map::new();
        let fields = [
            ("conn_type", self.conn_type.clone().map(Value::String)),
            ("description", self.description.clone().map(Value::String)),
            ("host", self.host.clone().map(Value::String)),
            ("login", self.login.clone().map(Value::String)),
            ("password", self.password.clone().map(Value::String)),
            ("schema", self.schema.clone().map(Value::String)),
            ("port", self.port.map(Value::from)),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                map.insert(key.to_owned(), value);
            }
        }
        let extra = self.extra_dejson();
        let truthy = match &extra {
            Some(Value::Object(m)) => !m.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            _ => false,
        };
        if let (true, Some(extra)) = (truthy, extra) {
            map.insert("extra".to_owned(), extra);
        }
        python::restore_constants(&python::json_dumps(&Value::Object(map)))
    }

    /// `Connection.from_json(value)`.
    pub fn from_json(text: &str, dialect: Dialect) -> Result<Connection, CodecError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| CodecError::InvalidJson(e.to_string()))?;
        let Value::Object(mut map) = value else {
            return Err(CodecError::InvalidJson("not an object".to_owned()));
        };
        let string =
            |map: &mut Map<String, Value>, key: &str| -> Result<Option<String>, CodecError> {
                match map.remove(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s)),
                    // The type, never the value: this may be a password.
                    Some(other) => Err(CodecError::InvalidJson(format!(
                        "`{key}` is {}, not a string",
                        json_type(&other)
                    ))),
                }
            };
        // `from_json` only passes on what is truthy (`if extra:`, `if conn_type:`, `if port:`).
        let extra = match map.remove("extra") {
            Some(value) if is_falsy(&value) => None,
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => Some(python::restore_constants(&python::json_dumps(&other))),
        };
        let conn_type = match map.remove("conn_type") {
            Some(value) if !is_falsy(&value) => {
                map.insert("conn_type".to_owned(), value);
                string(&mut map, "conn_type")?.map(|t| normalize_conn_type(&t))
            }
            _ => None,
        };
        let port = match map.remove("port") {
            Some(value) if is_falsy(&value) => None,
            None => None,
            Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| {
                CodecError::InvalidJson(
                    "Expected integer value for `port`, but got a non-numeric string instead."
                        .to_owned(),
                )
            })?),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => None,
                Some(i) => Some(i),
                None => Some(n.as_f64().map_or(0, |f| f.trunc() as i64)),
            },
            Some(Value::Bool(b)) => b.then_some(1),
            Some(other) => {
                return Err(CodecError::InvalidJson(format!(
                    "Expected integer value for `port`, but got {} instead.",
                    json_type(&other)
                )));
            }
        };
        let connection = Connection {
            conn_type,
            description: string(&mut map, "description")?,
            host: string(&mut map, "host")?,
            login: string(&mut map, "login")?,
            // The password setter ignores anything falsy (`if value:`): `0`, `false`, `[]`.
            password: match map.remove("password") {
                Some(value) if !is_falsy(&value) => {
                    map.insert("password".to_owned(), value);
                    string(&mut map, "password")?
                }
                _ => None,
            },
            schema: string(&mut map, "schema")?,
            port,
            extra,
        };
        if let Some(key) = map.keys().next() {
            return Err(CodecError::InvalidJson(format!(
                "unexpected key `{key}` (Connection() takes conn_type, description, host, login, password, schema, port, extra)"
            )));
        }
        if dialect == Dialect::Airflow3 {
            validate_extra(connection.extra.as_deref())?;
        }
        Ok(connection.normalized())
    }
}

/// Python's truthiness of a JSON value: `null`, `false`, `0`, `""`, `[]` and `{}` are false.
fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The AWS Secrets Manager backend's aliases for each field of a JSON secret
/// (`SecretsManagerBackend._standardize_secret_keys`), in its order.
const AWS_ALIASES: &[(&str, &[&str])] = &[
    ("login", &["login", "user", "username", "user_name"]),
    ("password", &["password", "pass", "key"]),
    ("host", &["host", "remote_host", "server"]),
    ("port", &["port"]),
    ("schema", &["database", "schema"]),
    (
        "conn_type",
        &["conn_type", "conn_id", "connection_type", "engine"],
    ),
    ("extra", &["extra"]),
];

impl Connection {
    /// What Airflow's AWS Secrets Manager backend makes of a JSON secret: each field from the
    /// first key (in the secret's order) among its aliases (`user`/`username` for login,
    /// `pass`/`key` for password, `database` for schema, `engine` for the type, ...; plus
    /// `extra_conn_words`), every other key — `description` included — dropped, then read as
    /// `Connection.from_json`. `dbname` in AWS's own rotation templates is *not* an alias.
    pub fn from_aws_secret_json(
        text: &str,
        extra_conn_words: &[(&str, &[&str])],
        dialect: Dialect,
    ) -> Result<Connection, CodecError> {
        let Some(Value::Object(secret)) = python::json_loads(text) else {
            return Err(CodecError::InvalidJson("not a JSON object".to_owned()));
        };
        let mut standardized = Map::new();
        for (field, aliases) in AWS_ALIASES {
            let extra_words: Vec<&str> = extra_conn_words
                .iter()
                .filter(|(f, _)| {
                    // `user` is accepted for `login`, for backwards compatibility.
                    let f = if *f == "user" { "login" } else { *f };
                    f == *field
                })
                .flat_map(|(_, words)| words.iter().copied())
                .collect();
            let value = secret
                .iter()
                .find(|(key, _)| {
                    aliases.contains(&key.as_str()) || extra_words.contains(&key.as_str())
                })
                .map_or(Value::Null, |(_, v)| v.clone());
            standardized.insert((*field).to_owned(), value);
        }
        let text = python::restore_constants(&python::json_dumps(&Value::Object(standardized)));
        Connection::from_json(&text, dialect)
    }
}

/// A stored connection text with a new login and password, everything else as it was: a JSON
/// object keeps its other keys, their order and the alias each field was written under (the
/// first key among `aliases` for login and password, or `login` / `password` when none is
/// there); a URI is re-written from `replacement`. Rotation writes its pending version this
/// way, so keys only one reader understands (`dbname` of AWS's rotation templates, a
/// `description`) survive it.
pub fn with_credentials(
    stored: &str,
    replacement: &Connection,
    aws_aliases: bool,
    dialect: Dialect,
) -> String {
    if !stored.trim_start().starts_with('{') {
        return replacement.to_uri(dialect);
    }
    let Some(Value::Object(mut secret)) = python::json_loads(stored) else {
        return replacement.to_json();
    };
    for (field, new_value) in [
        ("login", &replacement.login),
        ("password", &replacement.password),
    ] {
        let aliases: &[&str] = if aws_aliases {
            AWS_ALIASES
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(&[], |(_, a)| *a)
        } else {
            &[]
        };
        let key = secret
            .keys()
            .find(|k| k.as_str() == field || aliases.contains(&k.as_str()))
            .cloned()
            .unwrap_or_else(|| field.to_owned());
        let value = new_value.clone().map_or(Value::Null, Value::String);
        secret.insert(key, value);
    }
    python::restore_constants(&python::json_dumps(&Value::Object(secret)))
}

/// The `?k=v` query of `get_uri()` when the extra round-trips through it: a non-empty JSON
/// object whose values are all strings (`urlencode` `str()`s other values, which then differ
/// from the parsed strings).
fn query_form(extra: &str) -> Option<String> {
    let Some(Value::Object(map)) = python::json_loads(extra) else {
        return None;
    };
    if map.is_empty() {
        return None;
    }
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in &map {
        pairs.push((key.as_str(), value.as_str()?));
    }
    Some(python::urlencode(pairs))
}

/// The extra of a parsed URI's query: `json.dumps(dict(query))`; Airflow 3 first replaces
/// every non-empty value that parses as JSON by what it parses to (`"1"` → `1`, `"true"` →
/// `true`, `"Infinity"` → `Infinity`).
fn query_to_extra(query: &[(String, String)], dialect: Dialect) -> String {
    let mut out = String::from("{");
    for (index, (key, value)) in query.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(&python::json_dumps(&Value::String(key.clone())));
        out.push_str(": ");
        let decoded = (dialect == Dialect::Airflow3 && !value.is_empty())
            .then(|| python::json_loads_dumps(value))
            .flatten();
        match decoded {
            Some(text) => out.push_str(&text),
            None => out.push_str(&python::json_dumps(&Value::String(value.clone()))),
        }
    }
    out.push('}');
    out
}

/// Airflow 3's `_validate_extra`: an extra must be a JSON object.
fn validate_extra(extra: Option<&str>) -> Result<(), CodecError> {
    let Some(extra) = extra.filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    let is_object = matches!(python::json_loads(extra), Some(Value::Object(_)));
    if is_object {
        Ok(())
    } else {
        Err(CodecError::InvalidJson(
            "the extra must be a JSON object (Airflow 3 refuses anything else)".to_owned(),
        ))
    }
}

/// `_parse_netloc_to_hostname`.
fn netloc_to_hostname(parts: &python::SplitResult) -> String {
    let hostname = python::unquote(&parts.hostname().unwrap_or_default());
    if !hostname.contains('/') {
        return hostname;
    }
    let mut netloc = parts.netloc.as_str();
    if let Some((_, after)) = netloc.rsplit_once('@') {
        netloc = after;
    }
    if let Some((before, _)) = netloc.split_once(':') {
        netloc = before;
    }
    python::unquote(netloc)
}

/// A JSON value's type for error messages, which must not carry values.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers, taken from Airflow 2.10.5 and 3.3.2 themselves (the property test in
    /// scripts/connection-roundtrip.py checks thousands more against the live packages).
    #[test]
    fn known_answers_from_airflow() {
        let connection = Connection {
            conn_type: Some("google_cloud_platform".to_owned()),
            host: Some("db.example.com".to_owned()),
            login: Some("user@x".to_owned()),
            password: Some("p@ss:w/rd é".to_owned()),
            schema: Some("analytics".to_owned()),
            port: Some(5432),
            extra: Some(r#"{"sslmode": "require", "keyfile_dict": {"a": 1}}"#.to_owned()),
            ..Connection::default()
        };
        assert_eq!(
            connection.to_uri(Dialect::Airflow3),
            "google-cloud-platform://user%40x:p%40ss%3Aw%2Frd%20%C3%A9@db.example.com:5432/analytics?__extra__=%7B%22sslmode%22%3A+%22require%22%2C+%22keyfile_dict%22%3A+%7B%22a%22%3A+1%7D%7D"
        );
        assert_eq!(
            connection.to_json(),
            r#"{"conn_type": "google_cloud_platform", "host": "db.example.com", "login": "user@x", "password": "p@ss:w/rd \u00e9", "schema": "analytics", "port": 5432, "extra": {"sslmode": "require", "keyfile_dict": {"a": 1}}}"#
        );
        let uri = "postgresql://u:p%40ss@h:5432/db?sslmode=require&connect_timeout=10";
        let three = Connection::from_uri(uri, Dialect::Airflow3).unwrap_or_default();
        assert_eq!(three.conn_type.as_deref(), Some("postgres"));
        assert_eq!(three.password.as_deref(), Some("p@ss"));
        assert_eq!(
            three.extra.as_deref(),
            Some(r#"{"sslmode": "require", "connect_timeout": 10}"#)
        );
        let two = Connection::from_uri(uri, Dialect::Airflow2).unwrap_or_default();
        assert_eq!(
            two.extra.as_deref(),
            Some(r#"{"sslmode": "require", "connect_timeout": "10"}"#)
        );
    }

    #[test]
    fn what_airflow_refuses_is_refused() {
        for uri in ["a://b://c://d", "x://[::1", "x://h:99999", "http://u@h://x"] {
            assert!(
                Connection::from_uri(uri, Dialect::Airflow3).is_err(),
                "{uri}"
            );
        }
        assert!(Connection::from_json(r#"{"port": "eighty"}"#, Dialect::Airflow3).is_err());
        assert!(Connection::from_json(r#"{"bogus": 1}"#, Dialect::Airflow2).is_err());
        assert!(Connection::from_json(r#"{"extra": "[1]"}"#, Dialect::Airflow3).is_err());
    }
}
