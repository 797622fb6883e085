//! What a configuration file sets, for `airseal doctor`: the Airflow options (wherever and
//! however written), the `AIRFLOW_*` environment, and the connections and Variables the
//! User-Community chart creates in the metadata database — owned, with lines, values included
//! (the doctor reads `backend_kwargs`; it never prints a value).

use std::path::Path;

use airseal_yaml::Node;

use crate::helm::{self, Chart};
use crate::sources::compose_env_files::ComposeEnvFiles;
use crate::{FileKind, Problem, collect, kind_of, registry};

/// An Airflow option as set in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredOption {
    /// Lower case.
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
    /// As written: `[secrets] backend`, `AIRFLOW__SECRETS__BACKEND`, `config.secrets.backend`.
    pub written_as: String,
    /// Environment settings override airflow.cfg.
    pub from_environment: bool,
}

/// An `AIRFLOW_*` variable (connections, Variables, per-key backend kwargs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A connection or Variable a chart creates in the metadata database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartDefinition {
    pub id: String,
    pub line: usize,
    /// It carries a password (or a secret-named Variable's value) in plain text.
    pub holds_secret: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FileConfiguration {
    pub options: Vec<ConfiguredOption>,
    pub environment: Vec<EnvironmentVariable>,
    pub chart: Option<Chart>,
    pub chart_connections: Vec<ChartDefinition>,
    pub chart_variables: Vec<ChartDefinition>,
    /// (line, message) of what could not be read.
    pub problems: Vec<(Option<usize>, String)>,
}

/// The configuration in one file, if it is a configuration file at all.
pub fn configuration_of(
    path: &Path,
    text: &str,
    env_files: &ComposeEnvFiles,
    chart: Option<Chart>,
) -> Option<FileConfiguration> {
    let name = path.file_name()?.to_str()?;
    let kind = match kind_of(name) {
        Some(kind) => kind,
        None if env_files.contains(path) => FileKind::Env,
        None => return None,
    };
    let mut reports = registry::Reports::default();
    let mut problems: Vec<Problem> = Vec::new();
    let collected = collect(kind, name, text, chart, &mut reports, &mut problems);
    let mut out = FileConfiguration {
        problems: problems.into_iter().map(|p| (p.line, p.message)).collect(),
        ..FileConfiguration::default()
    };
    let Some((settings, entries)) = collected else {
        return (!out.problems.is_empty()).then_some(out);
    };
    out.options = settings
        .iter()
        .map(|s| ConfiguredOption {
            section: s.section.clone(),
            key: s.key.clone(),
            value: s.value.trim().trim_matches(['"', '\'']).to_owned(),
            line: s.line,
            written_as: s.display(),
            from_environment: s.origin != crate::settings::Origin::AirflowCfg,
        })
        .collect();
    out.environment = entries
        .iter()
        .filter(|e| e.name.starts_with("AIRFLOW_"))
        .map(|e| EnvironmentVariable {
            name: e.name.to_string(),
            value: e.value.trim().trim_matches(['"', '\'']).to_owned(),
            line: e.line,
        })
        .collect();
    if kind == FileKind::Yaml
        && let Ok(documents) = airseal_yaml::parse_documents(text)
    {
        for document in &documents {
            let Some(found) = chart.or_else(|| helm::chart::detect(document)) else {
                continue;
            };
            out.chart = Some(found);
            if found == Chart::UserCommunity {
                chart_lists(document, &mut out);
            }
        }
    }
    Some(out)
}

/// The User-Community chart's `airflow.connections[]` and `airflow.variables[]`, which its sync
/// job writes into the metadata database.
fn chart_lists(document: &Node, out: &mut FileConfiguration) {
    let plain = |node: Option<&Node>| {
        node.and_then(Node::as_str)
            .is_some_and(|v| !crate::rules::is_yaml_null(v) && !crate::rules::is_not_a_value(v))
    };
    for at in helm::resolve(document, "airflow.connections[]") {
        if let Some(id) = at.node.get("id").and_then(Node::as_str) {
            out.chart_connections.push(ChartDefinition {
                id: id.to_owned(),
                line: at.node.line(),
                holds_secret: plain(at.node.get("password")),
            });
        }
    }
    for at in helm::resolve(document, "airflow.variables[]") {
        if let Some(key) = at.node.get("key").and_then(Node::as_str) {
            let lower = key.to_ascii_lowercase();
            let secret_name = crate::rules::cfg006_variable_in_environment::SECRET_WORDS
                .iter()
                .any(|w| lower.contains(w));
            out.chart_variables.push(ChartDefinition {
                id: key.to_owned(),
                line: at.node.line(),
                holds_secret: secret_name && plain(at.node.get("value")),
            });
        }
    }
}
