//! Airflow's `LocalFilesystemBackend` files as a store: `connections_file_path` and
//! `variables_file_path`, each `.json`, `.yaml` / `.yml` or `.env`, read the way the backend
//! reads them and written so it reads back exactly what was meant. Writes are atomic (a
//! temporary file in the same folder, synced, then renamed over the old one), leave every
//! other key as it was, and the file ends up readable by its owner only (0600).
//!
//! JSON files are re-serialised (two-space indent, keys in their order). YAML and env files are
//! edited line by line, so comments and formatting elsewhere survive: an entry is one line,
//! `"id": <flow value>` in YAML (double-quoted strings escaped by code point, so PyYAML reads
//! them exactly) and `id=<value>` in env files (a value the backend's line splitter would cut is
//! refused, never written). The backend reads an env
//! file's connection values as URIs only, so connections go there in URI form whatever
//! [`ConnectionForm`] says.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use airseal_connection::python::{json_dumps, json_loads, restore_constants};
use airseal_connection::{Connection, Dialect};

use crate::{SecretKind, SecretStore, SecretValue, StoreError, WriteContext, WriteOutcome};

static FILE_EDITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub use crate::ConnectionForm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
    Env,
}

fn format_of(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Format::Yaml,
        Some("env") => Format::Env,
        _ => Format::Json,
    }
}

#[derive(Debug, Clone)]
pub struct LocalStore {
    pub connections_file: Option<PathBuf>,
    pub variables_file: Option<PathBuf>,
    pub connection_form: ConnectionForm,
}

/// One entry of a file: its id, its value as Airflow reads it (or why it cannot), its line.
pub type FileEntry = (String, Result<SecretValue, StoreError>, usize);

impl LocalStore {
    /// Every entry of the file for `kind` (also `airflow connections export` and `airflow
    /// variables export` files, which have the same formats), in order, with its line; an
    /// entry that does not decode is an error naming its line, the others still come back.
    pub fn entries(&self, kind: SecretKind) -> Result<Vec<FileEntry>, StoreError> {
        let path = self.file(kind, "*")?;
        let (_, entries) = load(path)?;
        Ok(entries
            .values
            .iter()
            .map(|(id, value, line)| (id.clone(), decode(kind, value, path, *line), *line))
            .collect())
    }

    fn file(&self, kind: SecretKind, id: &str) -> Result<&Path, StoreError> {
        let file = match kind {
            SecretKind::Connection => self.connections_file.as_deref(),
            SecretKind::Variable => self.variables_file.as_deref(),
            SecretKind::Config => None,
        };
        file.ok_or_else(|| StoreError::NotConfigured {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            reason: format!("no {}s file configured", kind.name()),
        })
    }
}

/// One file's entries, in order, with the line each starts on.
struct Entries {
    values: Vec<(String, Value, usize)>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn malformed(path: &Path, line: usize, message: impl Into<String>) -> StoreError {
    StoreError::Malformed {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn load(path: &Path) -> Result<(String, Entries), StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(io(path)(error)),
    };
    let mut values = Vec::new();
    match format_of(path) {
        Format::Json => {
            if !text.trim().is_empty() {
                match json_loads(&text) {
                    Some(Value::Object(map)) => {
                        values.extend(map.into_iter().map(|(k, v)| (k, v, 1)));
                    }
                    _ => return Err(malformed(path, 1, "not a JSON object")),
                }
            }
        }
        Format::Env => {
            // Exactly the backend's `_parse_env_file`: `str.splitlines()`, lines matching
            // `\s*#` are comments, `line.partition("=")` with nothing stripped, empty keys and
            // values refused.
            for (index, (line, _)) in split_lines(&text, true).into_iter().enumerate() {
                if line.is_empty() || line.trim_start_matches(python_space).starts_with('#') {
                    continue;
                }
                let Some((key, value)) = line.split_once('=') else {
                    return Err(malformed(path, index + 1, "expected KEY=VALUE"));
                };
                if key.is_empty() || value.is_empty() {
                    return Err(malformed(path, index + 1, "empty key or value"));
                }
                values.push((key.to_owned(), Value::String(value.to_owned()), index + 1));
            }
        }
        Format::Yaml => {
            let documents = airseal_yaml::parse_documents(&text)
                .map_err(|e| malformed(path, e.line, e.message))?;
            if let Some(document) = documents.first() {
                for (key_node, value) in document.entries() {
                    let Some(key) = key_node.as_str() else {
                        continue;
                    };
                    values.push((key.to_owned(), yaml_value(value), key_node.line()));
                }
            }
        }
    }
    // Airflow refuses a file that defines an id twice.
    for (index, (key, _, line)) in values.iter().enumerate() {
        if values[..index].iter().any(|(k, _, _)| k == key) {
            return Err(malformed(path, *line, format!("`{key}` is defined twice")));
        }
    }
    Ok((text, Entries { values }))
}

/// A YAML node as JSON: scalars as strings (a `port` is read as a number by the connection
/// decoder), mappings as objects, sequences as arrays.
fn yaml_value(node: &airseal_yaml::Node) -> Value {
    use airseal_yaml::Node;
    match node {
        Node::Scalar { value, .. } => Value::String(value.clone()),
        Node::Mapping { entries, .. } => Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), yaml_value(v))))
                .collect(),
        ),
        Node::Sequence { items, .. } => Value::Array(items.iter().map(yaml_value).collect()),
        Node::Alias { .. } => Value::Null,
    }
}

/// What Airflow's backend makes of a stored value.
fn decode(
    kind: SecretKind,
    value: &Value,
    path: &Path,
    line: usize,
) -> Result<SecretValue, StoreError> {
    match (kind, value) {
        (SecretKind::Connection, Value::String(text)) => {
            let connection = if text.trim_start().starts_with('{') {
                Connection::from_json(text, Dialect::Airflow3)
            } else {
                Connection::from_uri(text, Dialect::Airflow3)
            };
            connection
                .map(SecretValue::Connection)
                .map_err(|e| malformed(path, line, e.to_string()))
        }
        (SecretKind::Connection, Value::Object(map)) => {
            let mut map = map.clone();
            // The backend also takes the extra as `extra_dejson`; a YAML port is text.
            if let Some(extra) = map.remove("extra_dejson") {
                map.insert("extra".to_owned(), extra);
            }
            if let Some(Value::String(port)) = map.get("port")
                && let Ok(number) = port.trim().parse::<i64>()
            {
                map.insert("port".to_owned(), Value::from(number));
            }
            let text = restore_constants(&json_dumps(&Value::Object(map)));
            Connection::from_json(&text, Dialect::Airflow3)
                .map(SecretValue::Connection)
                .map_err(|e| malformed(path, line, e.to_string()))
        }
        (_, Value::String(text)) => Ok(SecretValue::Text(text.clone())),
        (_, other) => Ok(SecretValue::Text(json_dumps(other))),
    }
}

impl LocalStore {
    fn encode(&self, value: &SecretValue, format: Format) -> Value {
        match value {
            SecretValue::Text(text) => Value::String(text.clone()),
            SecretValue::Connection(connection) => match (self.connection_form, format) {
                // The backend reads every value of an env file as a URI
                // (`Connection(uri=value)`), so env files always get the URI form.
                (ConnectionForm::Uri, _) | (_, Format::Env) => {
                    Value::String(connection.to_uri(Dialect::Airflow3))
                }
                (ConnectionForm::Json, _) => {
                    let mut object =
                        json_loads(&connection.to_json()).unwrap_or(Value::Object(Map::new()));
                    // `extra` is kept as the exact JSON text: the backend accepts a string, and a
                    // YAML reader would turn `1e5` or `NaN` inside a nested object into strings.
                    if let (Value::Object(map), Some(extra)) = (&mut object, &connection.extra)
                        && map.contains_key("extra")
                    {
                        map.insert("extra".to_owned(), Value::String(extra.clone()));
                    }
                    object
                }
            },
        }
    }
}

fn normalized(value: &SecretValue) -> SecretValue {
    match value {
        SecretValue::Connection(c) => SecretValue::Connection(c.normalized()),
        other => other.clone(),
    }
}

impl SecretStore for LocalStore {
    fn describe(&self) -> String {
        let files: Vec<String> = [&self.connections_file, &self.variables_file]
            .into_iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect();
        format!("local files ({})", files.join(", "))
    }

    fn files(&self) -> Vec<PathBuf> {
        [&self.connections_file, &self.variables_file]
            .into_iter()
            .flatten()
            .cloned()
            .chain(self.rotation_state_file())
            .collect()
    }

    fn list_ids(&self, kind: SecretKind) -> Result<Option<Vec<String>>, StoreError> {
        if self.file(kind, "*").is_err() {
            return Ok(Some(Vec::new()));
        }
        match self.entries(kind) {
            Ok(entries) => Ok(Some(entries.into_iter().map(|(id, _, _)| id).collect())),
            // A connections file that does not exist yet holds nothing.
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(Some(Vec::new()))
            }
            Err(error) => Err(error),
        }
    }

    fn staged(&self) -> Option<&dyn crate::staged::StagedStore> {
        Some(self)
    }

    fn metadata(
        &self,
        kind: SecretKind,
        id: &str,
    ) -> Result<Option<crate::SecretMetadata>, StoreError> {
        if kind != SecretKind::Connection || self.read(kind, id)?.is_none() {
            return Ok(None);
        }
        self.rotation_metadata(id).map(Some)
    }

    fn read(&self, kind: SecretKind, id: &str) -> Result<Option<SecretValue>, StoreError> {
        let path = self.file(kind, id)?;
        let (_, entries) = load(path)?;
        entries
            .values
            .iter()
            .find(|(key, _, _)| key == id)
            .map(|(_, value, line)| decode(kind, value, path, *line))
            .transpose()
    }

    fn name_of(&self, kind: SecretKind, id: &str) -> Option<String> {
        self.file(kind, id).ok().map(|_| id.to_owned())
    }

    fn write(
        &self,
        kind: SecretKind,
        id: &str,
        value: &SecretValue,
        overwrite: bool,
        _context: &WriteContext,
    ) -> Result<WriteOutcome, StoreError> {
        // One read-modify-write at a time in this process: `migrate apply` writes from several
        // threads, and two of them editing the same file would lose one edit.
        let _guard = FILE_EDITS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = self.file(kind, id)?.to_owned();
        let (text, entries) = load(&path)?;
        let existing = entries.values.iter().find(|(key, _, _)| key == id);
        let existing_line = existing.map(|(_, _, line)| *line);
        let outcome = match existing {
            Some((_, stored, line)) => {
                if decode(kind, stored, &path, *line)
                    .ok()
                    .map(|v| normalized(&v))
                    == Some(normalized(value))
                {
                    return Ok(WriteOutcome::Unchanged);
                }
                if !overwrite {
                    return Err(StoreError::Conflict {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: self.describe(),
                    });
                }
                WriteOutcome::Updated
            }
            None => WriteOutcome::Created,
        };
        let format = format_of(&path);
        let encoded = self.encode(value, format);
        let new_text = match format {
            Format::Json => {
                let mut map: Map<String, Value> =
                    entries.values.into_iter().map(|(k, v, _)| (k, v)).collect();
                map.insert(id.to_owned(), encoded);
                let dumped = serde_json::to_string_pretty(&Value::Object(map))
                    .map_err(|e| malformed(&path, 1, e.to_string()))?;
                format!("{dumped}\n")
            }
            Format::Env => {
                let value_text = encoded.as_str().unwrap_or_default();
                if let Some(reason) = env_line_problem(id, value_text) {
                    return Err(StoreError::Unrepresentable {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: self.describe(),
                        reason: reason.to_owned(),
                    });
                }
                let line = format!("{id}={value_text}");
                replace_entry(&text, existing_line, &line, false)
            }
            Format::Yaml => {
                let line = format!("{}: {}", yaml_quote(id), yaml_flow(&encoded));
                replace_entry(&text, existing_line, &line, true)
            }
        };
        atomic_write(&path, &new_text)?;
        Ok(outcome)
    }
}

/// Why `id=value` would not read back through the backend's env parser (`str.splitlines()`,
/// `line.partition("=")`, comment and empty-value checks), if it would not.
fn env_line_problem(id: &str, value: &str) -> Option<&'static str> {
    // Every character Python's `str.splitlines()` splits on.
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    if id.is_empty() || id.contains('=') || id.contains(breaks) {
        Some("an env file key cannot be empty or hold `=` or a line break")
    } else if id.trim_start().starts_with('#') {
        Some("an env file key starting with `#` is read as a comment")
    } else if value.is_empty() {
        Some("the backend refuses an empty value in an env file")
    } else if value.contains(breaks) {
        Some("the value holds a line break, which an env file line cannot")
    } else {
        None
    }
}

/// A YAML flow value for `value`: strings double-quoted by [`yaml_quote`], the rest as JSON.
fn yaml_flow(value: &Value) -> String {
    match value {
        Value::String(text) => yaml_quote(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(yaml_flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", yaml_quote(key), yaml_flow(item)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        other => json_dumps(other),
    }
}

/// A double-quoted YAML scalar that both YAML 1.1 (PyYAML, which Airflow uses) and YAML 1.2
/// readers return as exactly `text`. Characters outside PyYAML's printable set, and the YAML 1.1
/// line breaks (U+0085, U+2028, U+2029) and the BOM, are escaped by code point; JSON's `\uXXXX`
/// surrogate pairs are not used, because PyYAML decodes each half on its own.
fn yaml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        let code = u32::from(c);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                out.push_str(&format!("\\u{code:04x}"));
            }
            ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => {
                out.push(c);
            }
            _ if code < 0x100 => out.push_str(&format!("\\x{code:02x}")),
            _ if code < 0x10000 => out.push_str(&format!("\\u{code:04x}")),
            _ => out.push_str(&format!("\\U{code:08x}")),
        }
    }
    out.push('"');
    out
}

/// Python's `str.isspace()` for the characters `\s` matches (Rust's `is_whitespace` leaves out
/// the information separators U+001C–U+001F).
fn python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `text` split into lines, each with its terminator: at every break Python's `str.splitlines()`
/// knows (env files, which the backend splits that way) or, without `python_breaks`, only at
/// `\n`, `\r\n` and `\r` (YAML's line breaks).
fn split_lines(text: &str, python_breaks: bool) -> Vec<(&str, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let end = match c {
            '\r' if chars.peek().is_some_and(|&(_, next)| next == '\n') => {
                chars.next();
                index + 2
            }
            '\n' | '\r' => index + 1,
            '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}'
                if python_breaks =>
            {
                index + c.len_utf8()
            }
            _ => continue,
        };
        lines.push((&text[start..index], &text[index..end]));
        start = end;
    }
    if start < text.len() {
        lines.push((&text[start..], ""));
    }
    lines
}

/// `text` with the entry starting on line `at` (1-based) replaced by `line`, or `line` appended
/// when `at` is `None`. With `with_indented`, the indented and blank lines under the entry (a
/// YAML block value) go with it. Every other line keeps its bytes and terminator.
fn replace_entry(text: &str, at: Option<usize>, line: &str, with_indented: bool) -> String {
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    let mut swallowing = false;
    for (index, (existing, terminator)) in split_lines(text, !with_indented).into_iter().enumerate()
    {
        if swallowing {
            if existing.starts_with([' ', '\t']) || existing.trim().is_empty() {
                continue;
            }
            swallowing = false;
        }
        if Some(index + 1) == at {
            out.push_str(line);
            out.push('\n');
            swallowing = with_indented;
            continue;
        }
        out.push_str(existing);
        out.push_str(if terminator.is_empty() {
            "\n"
        } else {
            terminator
        });
    }
    if at.is_none() {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Writes `text` to `path` atomically: a temporary file beside it (mode 0600), synced, renamed.
pub(crate) fn atomic_write(path: &Path, text: &str) -> Result<(), StoreError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("secrets");
    let temporary = dir.join(format!(".{name}.airseal-{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warehouse(password: &str) -> SecretValue {
        SecretValue::Connection(Connection {
            conn_type: Some("postgres".to_owned()),
            host: Some("warehouse.internal".to_owned()),
            login: Some("etl".to_owned()),
            password: Some(password.to_owned()),
            schema: Some("dw".to_owned()),
            port: Some(5432),
            extra: Some(r#"{"sslmode": "require"}"#.to_owned()),
            ..Connection::default()
        })
    }

    #[test]
    fn every_format_round_trips_keeps_other_keys_and_is_idempotent() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("tempdir") };
        for (name, before) in [
            (
                "connections.json",
                "{\n  \"other\": \"http://keep.me\"\n}\n",
            ),
            (
                "connections.yaml",
                "# managed by hand\nother: http://keep.me\n",
            ),
            ("connections.env", "# comment\nother=http://keep.me\n"),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, before).unwrap_or_default();
            let store = LocalStore {
                connections_file: Some(path.clone()),
                variables_file: None,
                connection_form: ConnectionForm::Json,
            };
            let value = warehouse("p@ss:w/rd é");
            let first = store.write(
                SecretKind::Connection,
                "warehouse",
                &value,
                false,
                &WriteContext::default(),
            );
            assert!(
                matches!(first, Ok(WriteOutcome::Created)),
                "{name}: {first:?}"
            );
            let again = store.write(
                SecretKind::Connection,
                "warehouse",
                &value,
                false,
                &WriteContext::default(),
            );
            assert!(
                matches!(again, Ok(WriteOutcome::Unchanged)),
                "{name}: {again:?}"
            );
            let read = store.read(SecretKind::Connection, "warehouse");
            assert_eq!(read.ok().flatten(), Some(normalized(&value)), "{name}");
            let other = store.read(SecretKind::Connection, "other").ok().flatten();
            assert!(
                matches!(&other, Some(SecretValue::Connection(c)) if c.host.as_deref() == Some("keep.me")),
                "{name}: {other:?}"
            );
            let changed = warehouse("rotated");
            let conflict = store.write(
                SecretKind::Connection,
                "warehouse",
                &changed,
                false,
                &WriteContext::default(),
            );
            let message = conflict.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("`warehouse`") && !message.contains("rotated"),
                "{message}"
            );
            assert!(matches!(
                store.write(
                    SecretKind::Connection,
                    "warehouse",
                    &changed,
                    true,
                    &WriteContext::default()
                ),
                Ok(WriteOutcome::Updated)
            ));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(text.contains("keep.me"), "{name}: {text}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
                assert_eq!(mode.ok(), Some(0o600), "{name}");
            }
        }
    }

    #[test]
    fn duplicate_ids_and_broken_files_are_errors_naming_the_line() {
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { panic!("tempdir") };
        let path = dir.path().join("variables.env");
        std::fs::write(&path, "a=1\nb=2\na=3\n").unwrap_or_default();
        let store = LocalStore {
            connections_file: None,
            variables_file: Some(path),
            connection_form: ConnectionForm::Json,
        };
        let error = store
            .read(SecretKind::Variable, "a")
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.ends_with("variables.env:3: `a` is defined twice")),
            "{error:?}"
        );
        let missing = store
            .read(SecretKind::Connection, "x")
            .err()
            .map(|e| e.to_string());
        assert!(missing.is_some_and(|e| e.contains("no connections file")));
    }

    #[test]
    fn env_files_refuse_what_their_parser_would_split_and_yaml_escapes_by_code_point() {
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { panic!("tempdir") };
        let path = dir.path().join("variables.env");
        let mut store = LocalStore {
            connections_file: None,
            variables_file: Some(path.clone()),
            connection_form: ConnectionForm::Json,
        };
        // Values long enough not to occur by chance in the message's temporary path.
        for (id, value) in [
            ("token", "line\u{2028}break"),
            ("a=b", "value-of-a-b"),
            ("empty", ""),
        ] {
            let error = store.write(
                SecretKind::Variable,
                id,
                &SecretValue::Text(value.to_owned()),
                true,
                &WriteContext::default(),
            );
            let message = error.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("cannot hold it"), "{id}: {message}");
            assert!(value.is_empty() || !message.contains(value), "{message}");
        }
        assert!(!path.exists(), "nothing written");
        assert_eq!(
            yaml_quote("a\"b\\c\u{7}\u{85}é😀\u{fffe}"),
            r#""a\"b\\c\x07\u0085é😀\ufffe""#
        );
        let yaml = dir.path().join("variables.yaml");
        store.variables_file = Some(yaml);
        let odd = SecretValue::Text("tab\there \u{1b}[0m 😀 \u{2028}".to_owned());
        assert!(matches!(
            store.write(
                SecretKind::Variable,
                "odd",
                &odd,
                false,
                &WriteContext::default()
            ),
            Ok(WriteOutcome::Created)
        ));
        assert_eq!(
            store.read(SecretKind::Variable, "odd").ok().flatten(),
            Some(odd)
        );
    }
}
