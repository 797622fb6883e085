//! Where secrets are migrated from, each read with the reader the scan and the doctor use:
//!
//! - `airflow connections export` / `airflow variables export` files (`.json`, `.yaml`,
//!   `.yml`, `.env`) — a file whose name holds `connections` or `variables`, or any file given
//!   as `connections:PATH` / `variables:PATH`;
//! - env and compose files, Dockerfiles and Kubernetes manifests: `AIRFLOW_CONN_*` and
//!   `AIRFLOW_VAR_*`;
//! - Helm values: the User-Community chart's `airflow.connections[]` / `airflow.variables[]`,
//!   the official chart's `extraSecrets.*.data` / `stringData` and both charts' `env` lists;
//! - sensitive Airflow options (airflow.cfg, `AIRFLOW__SECTION__KEY`, chart `config:`), moved
//!   as config secrets and read back by Airflow through `[section] key_secret`.
//!
//! Values that are not literals (`${VAR}`, `{{ template }}`, empty) are left where they are.

use std::path::{Path, PathBuf};

use airseal_connection::Connection;
use airseal_deployment::configuration::configuration_of;
use airseal_deployment::{Chart, ComposeEnvFiles, helm};
use airseal_stores::local::LocalStore;
use airseal_stores::{ConnectionForm, SecretKind, SecretValue};
use airseal_yaml::Node;
use base64::Engine as _;

/// Files larger than this are not read (a secrets export of 10 MB is already unusual).
const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// What kind of place a secret was read from; decides the configuration change that finishes
/// the move.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Origin {
    /// An `airflow connections|variables export` file.
    Export,
    /// `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` in an env, compose or manifest file or a chart's env.
    Environment,
    /// A chart's `airflow.connections[]`, `airflow.variables[]` or `extraSecrets`.
    ChartValues,
    /// A sensitive option; `written_as` says where (`[database] sql_alchemy_conn`).
    Option { section: String, key: String },
}

#[derive(Debug, Clone)]
pub struct SourceSecret {
    pub kind: SecretKind,
    pub id: String,
    pub value: SecretValue,
    pub path: String,
    pub line: usize,
    /// How the source wrote it: `AIRFLOW_CONN_WAREHOUSE`, `airflow.connections[0]`,
    /// `[database] sql_alchemy_conn`, `warehouse`.
    pub written_as: String,
    pub origin: Origin,
}

impl SourceSecret {
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// Something that could not be read or cannot be migrated, with where and (when known) which
/// secret; never a value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceProblem {
    pub path: String,
    pub line: Option<usize>,
    pub id: Option<String>,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Sources {
    pub secrets: Vec<SourceSecret>,
    pub problems: Vec<SourceProblem>,
}

/// One `--from` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A file or directory, each file classified by its name.
    Path(PathBuf),
    /// An export file of this kind, whatever its name.
    Export(SecretKind, PathBuf),
}

impl SourceSpec {
    /// `connections:PATH`, `variables:PATH` or `PATH`.
    pub fn parse(text: &str) -> SourceSpec {
        match text.split_once(':') {
            Some(("connections", path)) => SourceSpec::Export(SecretKind::Connection, path.into()),
            Some(("variables", path)) => SourceSpec::Export(SecretKind::Variable, path.into()),
            _ => SourceSpec::Path(text.into()),
        }
    }
}

/// Reads every source. `respect_ignore` honours .gitignore / .ignore / .airsealignore in
/// directories; `skip` are files a directory walk leaves out (the destination store's own
/// files, when they sit inside a source directory). A file named on its own is always read.
pub fn read(specs: &[SourceSpec], respect_ignore: bool, skip: &[PathBuf]) -> Sources {
    let skip: Vec<PathBuf> = skip
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut sources = Sources::default();
    let roots: Vec<PathBuf> = specs
        .iter()
        .map(|s| match s {
            SourceSpec::Path(p) | SourceSpec::Export(_, p) => p.clone(),
        })
        .collect();
    let env_files = ComposeEnvFiles::collect(&roots, respect_ignore);
    for spec in specs {
        match spec {
            SourceSpec::Export(kind, path) => read_export(*kind, path, &mut sources),
            SourceSpec::Path(root) if root.is_file() => {
                read_file(root, &env_files, &mut sources);
            }
            SourceSpec::Path(root) if root.is_dir() => {
                let walker = ignore::WalkBuilder::new(root)
                    .hidden(false)
                    .git_ignore(respect_ignore)
                    .ignore(respect_ignore)
                    .git_exclude(respect_ignore)
                    .require_git(false)
                    .add_custom_ignore_filename(".airsealignore")
                    .filter_entry(|e| e.file_name() != ".git")
                    .sort_by_file_path(|a, b| a.cmp(b))
                    .build();
                for entry in walker.flatten() {
                    let skipped =
                        || std::fs::canonicalize(entry.path()).is_ok_and(|p| skip.contains(&p));
                    if entry.file_type().is_some_and(|t| t.is_file()) && !skipped() {
                        read_file(entry.path(), &env_files, &mut sources);
                    }
                }
            }
            SourceSpec::Path(root) => sources.problems.push(SourceProblem {
                path: root.display().to_string(),
                line: None,
                id: None,
                message: "no such file or directory".to_owned(),
            }),
        }
    }
    sources
}

/// The export kind a file name says, for `.json` / `.yaml` / `.yml` / `.env` files.
fn export_kind(path: &Path) -> Option<SecretKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(extension.as_str(), "json" | "yaml" | "yml" | "env") {
        return None;
    }
    if name.contains("connections") {
        Some(SecretKind::Connection)
    } else if name.contains("variables") {
        Some(SecretKind::Variable)
    } else {
        None
    }
}

fn read_file(path: &Path, env_files: &ComposeEnvFiles, sources: &mut Sources) {
    if let Some(kind) = export_kind(path) {
        read_export(kind, path, sources);
        return;
    }
    let display = path.display().to_string();
    if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_FILE_SIZE) {
        return;
    }
    let Ok(bytes) = std::fs::read(path) else {
        sources
            .problems
            .push(problem(&display, None, None, "cannot be read"));
        return;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return;
    };
    let Some(configuration) = configuration_of(path, &text, env_files, None) else {
        return;
    };
    for (line, message) in &configuration.problems {
        sources
            .problems
            .push(problem(&display, *line, None, message));
    }
    for option in &configuration.options {
        // `[secrets]` options configure the backend itself: Airflow cannot read them from it.
        if option.section == "secrets"
            || airseal_deployment::sensitive_in(&option.section, &option.key).is_none()
            || !is_literal(&option.value)
        {
            continue;
        }
        sources.secrets.push(SourceSecret {
            kind: SecretKind::Config,
            id: option.key.clone(),
            value: SecretValue::Text(option.value.clone()),
            path: display.clone(),
            line: option.line,
            written_as: option.written_as.clone(),
            origin: Origin::Option {
                section: option.section.clone(),
                key: option.key.clone(),
            },
        });
    }
    for variable in &configuration.environment {
        environment_secret(
            &variable.name,
            &variable.value,
            &display,
            variable.line,
            Origin::Environment,
            sources,
        );
    }
    if let Some(chart) = configuration.chart
        && let Ok(documents) = airseal_yaml::parse_documents(&text)
    {
        for document in &documents {
            chart_values(chart, document, &display, sources);
        }
    }
}

/// `AIRFLOW_CONN_<ID>` / `AIRFLOW_VAR_<KEY>`: Airflow looks the id up upper-cased, so the
/// migrated id is the lower-cased name (how such ids are written in DAGs).
pub fn environment_secret(
    name: &str,
    value: &str,
    path: &str,
    line: usize,
    origin: Origin,
    sources: &mut Sources,
) {
    let (kind, id) = if let Some(id) = name.strip_prefix("AIRFLOW_CONN_") {
        (SecretKind::Connection, id.to_ascii_lowercase())
    } else if let Some(key) = name.strip_prefix("AIRFLOW_VAR_") {
        // Only Variables whose name says secret: `AIRFLOW_VAR_ENVIRONMENT=prod` is
        // configuration, and is fine where it is.
        if !airseal_deployment::is_secret_variable_name(key) {
            return;
        }
        (SecretKind::Variable, key.to_ascii_lowercase())
    } else {
        return;
    };
    if id.is_empty() || !is_literal(value) {
        return;
    }
    let parsed = SecretValue::from_stored_text(kind, value, false);
    match parsed {
        Ok(value) => sources.secrets.push(SourceSecret {
            kind,
            id,
            value,
            path: path.to_owned(),
            line,
            written_as: name.to_owned(),
            origin,
        }),
        Err(error) => sources.problems.push(problem(
            path,
            Some(line),
            Some(&id),
            &format!("`{name}` is not a connection Airflow can read: {error}"),
        )),
    }
}

fn chart_values(chart: Chart, document: &Node, path: &str, sources: &mut Sources) {
    let text = |node: &Node, key: &str| {
        node.get(key)
            .and_then(Node::as_str)
            .filter(|v| !v.is_empty() && !matches!(*v, "~" | "null" | "Null" | "NULL"))
            .map(str::to_owned)
    };
    if chart == Chart::UserCommunity {
        for at in helm::resolve(document, "airflow.connections[]") {
            let Some(id) = text(at.node, "id") else {
                continue;
            };
            let connection = Connection {
                conn_type: text(at.node, "type"),
                description: text(at.node, "description"),
                host: text(at.node, "host"),
                login: text(at.node, "login"),
                password: text(at.node, "password"),
                schema: text(at.node, "schema"),
                port: text(at.node, "port").and_then(|p| p.trim().parse().ok()),
                extra: text(at.node, "extra"),
            };
            if [
                &connection.password,
                &connection.login,
                &connection.extra,
                &connection.host,
            ]
            .iter()
            .any(|field| field.as_deref().is_some_and(|v| !is_literal(v)))
            {
                continue;
            }
            sources.secrets.push(SourceSecret {
                kind: SecretKind::Connection,
                id,
                value: SecretValue::Connection(connection),
                path: path.to_owned(),
                line: at.node.line(),
                written_as: at.path.clone(),
                origin: Origin::ChartValues,
            });
        }
        for at in helm::resolve(document, "airflow.variables[]") {
            let (Some(key), Some(value)) = (text(at.node, "key"), text(at.node, "value")) else {
                continue;
            };
            if is_literal(&value) && airseal_deployment::is_secret_variable_name(&key) {
                sources.secrets.push(SourceSecret {
                    kind: SecretKind::Variable,
                    id: key,
                    value: SecretValue::Text(value),
                    path: path.to_owned(),
                    line: at.node.line(),
                    written_as: at.path.clone(),
                    origin: Origin::ChartValues,
                });
            }
        }
    }
    // `extraSecrets: {name: {data: |, stringData: |}}` (official chart; the UC chart has
    // `airflow.extraSecrets`... not here: its Secrets are created from `extraManifests`).
    for at in helm::resolve(document, "extraSecrets.*") {
        for (field, encoded) in [("stringData", false), ("data", true)] {
            let Some(block) = at.node.get(field).and_then(Node::as_str) else {
                continue;
            };
            let Ok(inner) = airseal_yaml::parse_documents(block) else {
                sources.problems.push(problem(
                    path,
                    Some(at.node.line()),
                    None,
                    &format!("{}.{field} is not a YAML mapping", at.path),
                ));
                continue;
            };
            for inner_document in &inner {
                for (key, value) in inner_document.entries() {
                    let (Some(name), Some(value)) = (key.as_str(), value.as_str()) else {
                        continue;
                    };
                    let value = if encoded {
                        match decode_secret_data(value) {
                            Some(value) => value,
                            None => {
                                sources.problems.push(problem(
                                    path,
                                    Some(at.node.line()),
                                    None,
                                    &format!("{}.data.{name} is not base64 of UTF-8 text", at.path),
                                ));
                                continue;
                            }
                        }
                    } else {
                        value.to_owned()
                    };
                    environment_secret(
                        name,
                        &value,
                        path,
                        at.node.line() + key.line(),
                        Origin::ChartValues,
                        sources,
                    );
                }
            }
        }
    }
}

/// A Kubernetes Secret `data` entry as text: base64 of UTF-8, surrounding space ignored (as
/// the API server takes it). `None` when it is not.
pub fn decode_secret_data(encoded: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

fn read_export(kind: SecretKind, path: &Path, sources: &mut Sources) {
    let display = path.display().to_string();
    let store = LocalStore {
        connections_file: (kind == SecretKind::Connection).then(|| path.to_path_buf()),
        variables_file: (kind == SecretKind::Variable).then(|| path.to_path_buf()),
        connection_form: ConnectionForm::Json,
    };
    match store.entries(kind) {
        Ok(entries) => {
            for (id, value, line) in entries {
                match value {
                    Ok(value) => sources.secrets.push(SourceSecret {
                        kind,
                        written_as: id.clone(),
                        id,
                        value,
                        path: display.clone(),
                        line,
                        origin: Origin::Export,
                    }),
                    Err(error) => sources.problems.push(problem(
                        &display,
                        Some(line),
                        Some(&id),
                        &error.to_string(),
                    )),
                }
            }
        }
        Err(error) => sources
            .problems
            .push(problem(&display, None, None, &error.to_string())),
    }
}

/// A literal value, not a reference resolved elsewhere (`${VAR}`, `{{ .Values.x }}`,
/// `$(VAR)`) and not empty.
pub fn is_literal(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !value.contains("${") && !value.contains("{{") && !value.starts_with("$(")
}

fn problem(path: &str, line: Option<usize>, id: Option<&str>, message: &str) -> SourceProblem {
    SourceProblem {
        path: path.to_owned(),
        line,
        id: id.map(str::to_owned),
        message: message.to_owned(),
    }
}
