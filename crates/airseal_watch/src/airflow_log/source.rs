//! Where the `log` rows come from: the metadata database (SQLite, PostgreSQL, MySQL/MariaDB),
//! an export file (JSON, JSON Lines, CSV), or Airflow's REST API (`/api/v2/eventLogs`,
//! `/api/v1/eventLogs`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::LogRow;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{url}: {message}")]
    Api { url: String, message: String },
    #[error("{url}: {message}")]
    Database { url: String, message: String },
    #[error(
        "`{0}` is not a source airseal reads: give sqlite:///PATH, a .db/.sqlite file, postgresql://USER:PASSWORD@HOST/DB, mysql://USER:PASSWORD@HOST/DB, a .json/.jsonl/.csv export, or an http(s) URL of /api/v2/eventLogs or /api/v1/eventLogs"
    )]
    Unknown(String),
}

/// A source of `log` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Sqlite(PathBuf),
    /// `postgresql://` (or SQLAlchemy's `postgresql+psycopg2://`), Airflow's `sql_alchemy_conn`.
    Postgres(String),
    /// `mysql://` (or SQLAlchemy's `mysql+pymysql://`, `mysql+mysqldb://` ..., `mariadb://`).
    MySql(String),
    Export(PathBuf),
    Api(String),
}

impl Source {
    pub fn parse(text: &str) -> Result<Source, SourceError> {
        if let Some(path) = text.strip_prefix("sqlite:///") {
            // SQLAlchemy: `sqlite:////abs/path` is absolute, `sqlite:///rel` relative.
            return Ok(Source::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, rest)) = text.split_once("://")
            && (scheme == "postgres" || scheme == "postgresql" || scheme.starts_with("postgresql+"))
        {
            return Ok(Source::Postgres(format!("postgresql://{rest}")));
        }
        if let Some((scheme, rest)) = text.split_once("://")
            && ["mysql", "mariadb"]
                .iter()
                .any(|s| scheme == *s || scheme.starts_with(&format!("{s}+")))
        {
            return Ok(Source::MySql(format!("mysql://{rest}")));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Source::Api(text.to_owned()));
        }
        let path = Path::new(text);
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "db" | "sqlite" | "sqlite3" => Ok(Source::Sqlite(path.to_owned())),
            "json" | "jsonl" | "ndjson" | "csv" => Ok(Source::Export(path.to_owned())),
            _ => Err(SourceError::Unknown(without_userinfo(text))),
        }
    }

    /// For messages and evidence: the path, or the URL without credentials.
    pub fn display(&self) -> String {
        match self {
            Source::Sqlite(path) | Source::Export(path) => path.display().to_string(),
            Source::Api(url) | Source::Postgres(url) | Source::MySql(url) => without_userinfo(url),
        }
    }
}

/// The URL for messages: without `user:password@`, and with the values of query options the
/// masker would hide (`?password=`, `?token=`: libpq and some drivers take them) as `***`.
fn without_userinfo(url: &str) -> String {
    let shown = match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    };
    match shown.split_once('?') {
        Some((base, query)) => {
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if airseal_finding::masker::masker_hides(key) => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", masked.join("&"))
        }
        None => shown,
    }
}

/// Rows of the source, oldest first, and problems with single rows (the file and row named).
pub fn read(
    source: &Source,
    token: Option<&str>,
) -> Result<(Vec<LogRow>, Vec<String>), SourceError> {
    match source {
        Source::Sqlite(path) => read_sqlite(path).map(|rows| (rows, Vec::new())),
        Source::Export(path) => read_export(path),
        Source::Api(url) => read_api(url, token).map(|rows| (rows, Vec::new())),
        Source::Postgres(url) => read_postgres(url).map(|rows| (rows, Vec::new())),
        Source::MySql(url) => read_mysql(url).map(|rows| (rows, Vec::new())),
    }
}

#[cfg(feature = "postgres")]
fn read_postgres(url: &str) -> Result<Vec<LogRow>, SourceError> {
    use std::str::FromStr;
    let error = |message: String| SourceError::Database {
        url: without_userinfo(url),
        message,
    };
    // The driver's messages can quote the URL; only its kind is kept.
    let mut config = postgres::Config::from_str(url).map_err(|_| {
        error("not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)".to_owned())
    })?;
    if matches!(config.get_ssl_mode(), postgres::config::SslMode::Require) {
        return Err(error(
            "`sslmode=require` asks for TLS, which this client does not have: use a trusted network, an SSH tunnel, or an export".to_owned(),
        ));
    }
    config
        .connect_timeout(std::time::Duration::from_secs(10))
        .application_name("airseal-watch");
    let mut client = config.connect(postgres::NoTls).map_err(|e| {
        error(format!(
            "cannot connect (no TLS: use a trusted network, an SSH tunnel, or an export): {}",
            e.as_db_error().map_or_else(
                || "the server is unreachable or refused the login".to_owned(),
                |d| d.message().to_owned()
            )
        ))
    })?;
    let rows = client
        .query(
            "SELECT id::bigint, dttm::text, event, owner, extra FROM log ORDER BY id",
            &[],
        )
        .map_err(|e| {
            error(format!(
                "no Airflow `log` table readable: {}",
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned())
            ))
        })?;
    Ok(rows
        .iter()
        .map(|row| LogRow {
            id: row.get::<_, Option<i64>>(0),
            dttm: row.get::<_, Option<String>>(1).unwrap_or_default(),
            event: row.get::<_, Option<String>>(2).unwrap_or_default(),
            owner: row.get::<_, Option<String>>(3),
            extra: row.get::<_, Option<String>>(4),
        })
        .collect())
}

#[cfg(not(feature = "postgres"))]
fn read_postgres(url: &str) -> Result<Vec<LogRow>, SourceError> {
    Err(SourceError::Database {
        url: without_userinfo(url),
        message: "this airseal is built without the `postgres` feature".to_owned(),
    })
}

/// The parts of a `mysql://USER:PASSWORD@HOST:PORT/DATABASE?OPTIONS` URL. Parsed here rather
/// than by the driver's `Opts::from_url`, whose errors quote the URL (and its password) and
/// which refuses SQLAlchemy's options (`charset=utf8mb4`).
#[cfg(any(feature = "mysql", test))]
#[derive(Debug, PartialEq, Eq)]
struct MySqlUrl {
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: u16,
    database: Option<String>,
    /// An option asking for TLS (`ssl_ca`, `ssl_mode=REQUIRED` ...), which this client lacks.
    tls: Option<String>,
}

#[cfg(any(feature = "mysql", test))]
fn mysql_url(url: &str) -> Option<MySqlUrl> {
    let rest = url.strip_prefix("mysql://")?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let decode = |s: &str| String::from_utf8(percent_decode(s)).ok();
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Some(decode(u)?), Some(decode(p)?)),
            None => (Some(decode(info)?), None),
        },
        None => (None, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => (h, p.parse().ok()?),
        _ => (hostport, 3306),
    };
    let tls = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = key.to_ascii_lowercase();
        let asks = match key.as_str() {
            "ssl_mode" | "ssl-mode" => !matches!(
                value.to_ascii_uppercase().as_str(),
                "DISABLED" | "PREFERRED"
            ),
            "ssl" => !matches!(value.to_ascii_lowercase().as_str(), "false" | "0" | ""),
            k => k.starts_with("ssl_") || k.starts_with("ssl-"),
        };
        asks.then_some(key)
    });
    Some(MySqlUrl {
        user,
        password,
        host: if host.is_empty() { "localhost" } else { host }.to_owned(),
        port,
        database: (!database.is_empty()).then(|| decode(database)).flatten(),
        tls,
    })
}

/// `id, dttm, event, owner, extra` as the MySQL driver returns them.
#[cfg(feature = "mysql")]
type MySqlLogRow = (
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[cfg(feature = "mysql")]
fn read_mysql(url: &str) -> Result<Vec<LogRow>, SourceError> {
    use mysql::prelude::Queryable;
    let error = |message: String| SourceError::Database {
        url: without_userinfo(url),
        message,
    };
    let parts = mysql_url(url).ok_or_else(|| {
        error("not a MySQL URL (mysql://USER:PASSWORD@HOST:PORT/DATABASE)".to_owned())
    })?;
    if let Some(option) = parts.tls {
        return Err(error(format!(
            "`{option}` asks for TLS, which this client does not have: use a trusted network, an SSH tunnel, or an export"
        )));
    }
    // Only the server's own message is kept: the driver's can quote the options.
    let server_message = |e: mysql::Error, what: &str| match e {
        mysql::Error::MySqlError(server) => format!("{what}: {}", server.message),
        _ => format!("{what}: the server is unreachable or closed the connection"),
    };
    let options = mysql::OptsBuilder::new()
        .ip_or_hostname(Some(parts.host))
        .tcp_port(parts.port)
        .user(parts.user)
        .pass(parts.password)
        .db_name(parts.database)
        .tcp_connect_timeout(Some(std::time::Duration::from_secs(10)))
        .read_timeout(Some(std::time::Duration::from_secs(300)))
        // Airflow reads and writes its TIMESTAMP columns in UTC (orm_event_handlers sets the
        // session's time_zone to +00:00): so must its reader, whatever the server's zone.
        .init(vec!["SET time_zone = '+00:00'"]);
    let mut connection = mysql::Conn::new(options).map_err(|e| {
        error(server_message(
            e,
            "cannot connect (no TLS: use a trusted network, an SSH tunnel, or an export)",
        ))
    })?;
    let rows: Vec<MySqlLogRow> = connection
        .query("SELECT id, CAST(dttm AS CHAR), event, owner, extra FROM log ORDER BY id")
        .map_err(|e| error(server_message(e, "no Airflow `log` table readable")))?;
    Ok(rows
        .into_iter()
        .map(|(id, dttm, event, owner, extra)| LogRow {
            id,
            dttm: dttm.unwrap_or_default(),
            event: event.unwrap_or_default(),
            owner,
            extra,
        })
        .collect())
}

#[cfg(not(feature = "mysql"))]
fn read_mysql(url: &str) -> Result<Vec<LogRow>, SourceError> {
    Err(SourceError::Database {
        url: without_userinfo(url),
        message: "this airseal is built without the `mysql` feature".to_owned(),
    })
}

fn file_error(path: &Path, message: impl Into<String>) -> SourceError {
    SourceError::File {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn read_sqlite(path: &Path) -> Result<Vec<LogRow>, SourceError> {
    if !path.exists() {
        return Err(file_error(path, "no such database file"));
    }
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| file_error(path, format!("cannot open as SQLite: {e}")))?;
    let mut statement = connection
        .prepare("SELECT id, CAST(dttm AS TEXT), event, owner, extra FROM log ORDER BY id")
        .map_err(|e| file_error(path, format!("no Airflow `log` table: {e}")))?;
    let rows = statement
        .query_map([], |row| {
            Ok(LogRow {
                id: row.get::<_, Option<i64>>(0)?,
                dttm: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                event: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                owner: row.get::<_, Option<String>>(3)?,
                extra: row.get::<_, Option<String>>(4)?,
            })
        })
        .map_err(|e| file_error(path, format!("cannot read the `log` table: {e}")))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, format!("cannot read the `log` table: {e}")))
}

/// The rows of a JSON value: an array of rows, an API page (`{"event_logs": [...]}`), or one row.
fn rows_of(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        Value::Object(mut map) => match map.remove("event_logs") {
            Some(Value::Array(items)) => Some(items),
            Some(_) => None,
            None => Some(vec![Value::Object(map)]),
        },
        _ => None,
    }
}

fn read_export(path: &Path) -> Result<(Vec<LogRow>, Vec<String>), SourceError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| file_error(path, format!("cannot read: {e}")))?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    parse_export(&path.display().to_string(), &text, is_csv)
        .map_err(|message| file_error(path, message))
}

/// The rows of an export's text (CSV with a header, one JSON document, or JSON Lines), and
/// problems with single rows naming `shown` and the line or row; `Err` when nothing is a row.
/// Messages never quote the text.
pub fn parse_export(
    shown: &str,
    text: &str,
    is_csv: bool,
) -> Result<(Vec<LogRow>, Vec<String>), String> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    if is_csv {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|_| "no CSV header".to_owned())?
            .clone();
        for (index, record) in reader.records().enumerate() {
            let line = index + 2;
            match record {
                Ok(record) => {
                    let object: serde_json::Map<String, Value> = headers
                        .iter()
                        .zip(record.iter())
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                        .collect();
                    rows.push(LogRow::from_json(&object));
                }
                Err(_) => problems.push(format!("{shown}:{line}: not a CSV row; skipped")),
            }
        }
        return Ok((rows, problems));
    }
    // One JSON document, or JSON Lines.
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let items = rows_of(value).ok_or_else(|| "not a list of audit-log rows".to_owned())?;
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(object) => rows.push(LogRow::from_json(&object)),
                _ => problems.push(format!(
                    "{shown}: row {}: not an object; skipped",
                    index + 1
                )),
            }
        }
        return Ok((rows, problems));
    }
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => rows.push(LogRow::from_json(&object)),
            _ => problems.push(format!("{shown}:{}: not a JSON object; skipped", index + 1)),
        }
    }
    if rows.is_empty() && !problems.is_empty() {
        return Err("neither JSON nor JSON Lines".to_owned());
    }
    Ok((rows, problems))
}

const PAGE: usize = 100;
const MAX_PAGES: usize = 100_000;

/// Every page of `/api/v2/eventLogs` (or v1), ordered by id. Credentials: `token` as a bearer
/// token (Airflow 3), else the URL's `user:password@` as basic authentication (Airflow 2).
fn read_api(url: &str, token: Option<&str>) -> Result<Vec<LogRow>, SourceError> {
    use base64::Engine;
    let shown = without_userinfo(url);
    let api_error = |message: String| SourceError::Api {
        url: shown.clone(),
        message,
    };
    let (base, basic) = match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => (
                    format!("{scheme}://{host}{path}"),
                    Some(
                        base64::engine::general_purpose::STANDARD.encode(percent_decode(userinfo)),
                    ),
                ),
                None => (url.to_owned(), None),
            }
        }
        None => (url.to_owned(), None),
    };
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build(),
    );
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut fetched = 0usize;
    for _ in 0..MAX_PAGES {
        // The offset is what has arrived: a server may cap the page below PAGE
        // (`[api] maximum_page_limit`).
        let page_url =
            format!("{base}{separator}limit={PAGE}&offset={fetched}&order_by=event_log_id");
        let mut request = agent.get(&page_url).header("Accept", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        } else if let Some(basic) = &basic {
            request = request.header("Authorization", &format!("Basic {basic}"));
        }
        let mut response = request
            .call()
            .map_err(|e| api_error(format!("cannot reach the API: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| api_error(format!("cannot read the answer: {e}")))?;
        match status {
            200 => {}
            401 | 403 => {
                return Err(api_error(format!(
                    "the API answered {status}: give a token (AIRSEAL_AIRFLOW_TOKEN) or user:password in the URL, of a user allowed to read the audit log"
                )));
            }
            _ => return Err(api_error(format!("the API answered {status}"))),
        }
        let value: Value = serde_json::from_str(&body)
            .map_err(|_| api_error("the answer is not JSON".to_owned()))?;
        let items = match value.get("event_logs") {
            Some(Value::Array(items)) => items.clone(),
            _ => {
                return Err(api_error(
                    "the answer has no `event_logs` list: is this an eventLogs URL?".to_owned(),
                ));
            }
        };
        if items.is_empty() {
            break;
        }
        fetched += items.len();
        rows.extend(
            items
                .iter()
                .filter_map(Value::as_object)
                .map(LogRow::from_json),
        );
        // The end: an empty page, or `total_entries` reached. Airflow 2.7-2.8 count
        // `total_entries` without filters, too many: an empty page ends those.
        if value
            .get("total_entries")
            .and_then(Value::as_u64)
            .is_some_and(|total| fetched as u64 >= total)
        {
            break;
        }
    }
    Ok(rows)
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart() {
        assert_eq!(
            Source::parse("sqlite:////tmp/airflow.db").ok(),
            Some(Source::Sqlite(PathBuf::from("/tmp/airflow.db")))
        );
        assert!(matches!(Source::parse("export.csv"), Ok(Source::Export(_))));
        assert!(matches!(
            Source::parse("https://airflow/api/v2/eventLogs"),
            Ok(Source::Api(_))
        ));
        assert!(Source::parse("notes.txt").is_err());
        // An unknown scheme is refused without echoing its credentials.
        let refused = Source::parse("oracle://airflow:Pw-9f2e@db/airflow")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refused.contains("oracle://db/airflow") && !refused.contains("Pw-9f2e"),
            "{refused}"
        );
        assert_eq!(
            Source::parse("postgresql+psycopg2://airflow:pw@db:5432/airflow").ok(),
            Some(Source::Postgres(
                "postgresql://airflow:pw@db:5432/airflow".to_owned()
            ))
        );
        assert_eq!(
            Source::Postgres("postgresql://airflow:pw@db:5432/airflow".to_owned()).display(),
            "postgresql://db:5432/airflow"
        );
        assert_eq!(
            Source::Api("https://admin:s3cret@airflow.example.com/api/v1/eventLogs".to_owned())
                .display(),
            "https://airflow.example.com/api/v1/eventLogs"
        );
        // A password or token given as a query option is masked too.
        assert_eq!(
            Source::Postgres(
                "postgresql://db/airflow?sslmode=disable&password=Pw-7q&user=a".to_owned()
            )
            .display(),
            "postgresql://db/airflow?sslmode=disable&password=***&user=a"
        );
        assert_eq!(
            Source::Api("https://airflow/api/v2/eventLogs?token=T0k-9&event=x".to_owned())
                .display(),
            "https://airflow/api/v2/eventLogs?token=***&event=x"
        );
    }

    #[test]
    fn mysql_urls_are_read_as_sqlalchemy_writes_them() {
        assert_eq!(
            Source::parse("mysql+pymysql://airflow:p%40ss@db:3307/airflow?charset=utf8mb4").ok(),
            Some(Source::MySql(
                "mysql://airflow:p%40ss@db:3307/airflow?charset=utf8mb4".to_owned()
            ))
        );
        assert!(matches!(
            Source::parse("mariadb+mysqldb://a@db/x"),
            Ok(Source::MySql(_))
        ));
        assert_eq!(
            Source::MySql("mysql://airflow:Pw-9f2e@db/airflow".to_owned()).display(),
            "mysql://db/airflow"
        );
        assert_eq!(
            mysql_url("mysql://airflow:p%40ss@db:3307/airflow?charset=utf8mb4"),
            Some(MySqlUrl {
                user: Some("airflow".to_owned()),
                password: Some("p@ss".to_owned()),
                host: "db".to_owned(),
                port: 3307,
                database: Some("airflow".to_owned()),
                tls: None,
            })
        );
        assert!(matches!(
            mysql_url("mysql://db"),
            Some(MySqlUrl {
                port: 3306,
                user: None,
                database: None,
                ..
            })
        ));
        for tls in ["ssl_ca=/ca.pem", "ssl_mode=REQUIRED", "ssl=true"] {
            let parsed = mysql_url(&format!("mysql://u:p@db/x?{tls}"));
            assert!(parsed.is_some_and(|p| p.tls.is_some()), "{tls}");
        }
        let plain = mysql_url("mysql://u:p@db/x?ssl_mode=DISABLED");
        assert!(plain.is_some_and(|p| p.tls.is_none()));
        assert_eq!(mysql_url("mysql://u:p@db:notaport/x"), None);
    }
}
