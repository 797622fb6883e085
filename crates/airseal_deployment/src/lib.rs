//! Airflow deployment configuration: the `CFG###` rules over airflow.cfg and over
//! `AIRFLOW__SECTION__KEY` settings, `AIRFLOW_CONN_*` connections and `AIRFLOW_VAR_*` Variables in
//! env files, Dockerfiles, docker-compose files and Kubernetes env; the `HLM###` rules over the
//! Helm values of both Airflow charts; the `KUB###` rules over Kubernetes manifests.
//!
//! Every input is first turned into [`settings::Setting`]s — section, key, the exact bytes of the
//! value — by a reader in `sources/` (or, for YAML, by `helm/` and `kubernetes.rs`); the `CFG`
//! rules only see settings, so airflow.cfg, the environment and the official chart's `config:`
//! get the same judgement, each with the fix spelled its own way. Which options are sensitive
//! comes from Airflow itself (`data/sensitive-options.tsv`, see scripts/sensitive-options.py).

pub mod configuration;
pub mod helm;
pub(crate) mod kubernetes;
mod registry;
mod rules;
mod sensitive;
mod settings;
mod sources;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use airseal_discovery::SourceFile;
use airseal_engine::{Analyzer, FileAnalysis};
use airseal_finding::RuleMeta;
use airseal_yaml::{LiteralBlock, Node};

pub use helm::Chart;
pub use registry::{RULES, RuleSpec};
pub use rules::cfg001_sensitive_option_in_plain_text::CREDENTIAL_KWARGS;
pub use sensitive::sensitive_in;

/// Whether a Variable's name says it holds a secret (`*password*`, `*token*`, `*api_key*`,
/// ...): the names the masker and the CFG006/HLM001 rules treat as secret.
pub fn is_secret_variable_name(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    rules::cfg006_variable_in_environment::SECRET_WORDS
        .iter()
        .any(|w| lower.contains(w))
}
pub use sources::compose_env_files::ComposeEnvFiles;

use settings::{EnvEntry, Setting};

/// Runs the `CFG###`, `HLM###` and `KUB###` rules.
#[derive(Debug, Default)]
pub struct DeploymentAnalyzer {
    /// `--chart`: values files are read as this chart's instead of recognising it by shape.
    chart: Option<Chart>,
    /// Files compose services load with `env_file:`, read as env files whatever their name.
    env_files: ComposeEnvFiles,
}

impl DeploymentAnalyzer {
    pub fn new() -> Self {
        DeploymentAnalyzer::default()
    }

    pub fn with_chart(chart: Option<Chart>) -> Self {
        DeploymentAnalyzer {
            chart,
            ..DeploymentAnalyzer::default()
        }
    }

    /// Also read the `env_file:` targets of these compose files' services as env files.
    pub fn with_env_files(mut self, env_files: ComposeEnvFiles) -> Self {
        self.env_files = env_files;
        self
    }

    /// Codes of every rule this analyzer reports.
    pub fn codes() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.code)
    }
}

/// What kind of configuration a file name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Env,
    Dockerfile,
    Compose,
    /// Any other YAML: Helm values, Kubernetes manifests.
    Yaml,
    AirflowCfg,
}

fn kind_of(name: &str) -> Option<FileKind> {
    if sources::env_file::is_env_file(name) {
        Some(FileKind::Env)
    } else if sources::dockerfile::is_dockerfile(name) {
        Some(FileKind::Dockerfile)
    } else if sources::yaml_env::is_compose_file(name) {
        Some(FileKind::Compose)
    } else if sources::yaml_env::is_yaml(name) {
        Some(FileKind::Yaml)
    } else if name.ends_with(".cfg") {
        Some(FileKind::AirflowCfg)
    } else {
        None
    }
}

/// Bytes without which a YAML file holds nothing these rules read; parsing is skipped.
static YAML_SIGNALS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::new([
        "AIRFLOW_",
        "kind:",
        "\"kind\"",
        "airflow:",
        "fernetKey",
        "webserverSecretKey",
        "metadataConnection",
        "defaultAirflow",
        "gitSync",
    ])
    .ok()
});

/// A problem to report as a warning.
struct Problem {
    line: Option<usize>,
    message: String,
}

impl Analyzer for DeploymentAnalyzer {
    fn name(&self) -> &'static str {
        "deployment"
    }

    fn rules(&self) -> Vec<RuleMeta> {
        RULES.iter().map(|r| r.meta()).collect()
    }

    fn analyze(&self, file: &SourceFile<'_>, out: &mut FileAnalysis<'_>) {
        let Some(name) = file.path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let kind = match kind_of(name) {
            Some(kind) => kind,
            None if !self.env_files.is_empty() && self.env_files.contains(file.path) => {
                FileKind::Env
            }
            None => return,
        };
        if matches!(kind, FileKind::Yaml | FileKind::Compose)
            && self.chart.is_none()
            && !YAML_SIGNALS
                .as_ref()
                .is_some_and(|signals| signals.is_match(file.bytes))
        {
            return;
        }
        // Chart templates are Go templates that only become YAML when rendered.
        if kind == FileKind::Yaml
            && file.path.components().any(|c| c.as_os_str() == "templates")
            && file.bytes.windows(2).any(|w| w == b"{{")
        {
            return;
        }
        // Offsets must match the bytes; non-UTF-8 files are left to the credential rules.
        let Ok(text) = std::str::from_utf8(file.bytes) else {
            if kind != FileKind::AirflowCfg || file.bytes.windows(2).any(|w| w == b"[c") {
                out.warn(
                    None,
                    "not valid UTF-8: the configuration rules skipped it (the credential rules still read it)",
                );
            }
            return;
        };
        let (reports, problems) = findings(kind, name, text, self.chart);
        for problem in problems {
            out.warn(problem.line, problem.message);
        }
        for (builder, span) in reports.found {
            out.report(builder, span);
        }
    }
}

/// Every finding and problem of one file.
fn findings(
    kind: FileKind,
    name: &str,
    text: &str,
    chart: Option<Chart>,
) -> (registry::Reports, Vec<Problem>) {
    let mut reports = registry::Reports::default();
    let mut problems = Vec::new();
    let Some((settings, entries)) = collect(kind, name, text, chart, &mut reports, &mut problems)
    else {
        return (reports, problems);
    };
    for entry in &entries {
        rules::cfg005_connection_in_environment::check(entry, &mut reports);
        rules::cfg006_variable_in_environment::check(entry, &mut reports);
    }
    for setting in &settings {
        rules::cfg001_sensitive_option_in_plain_text::check(setting, &mut reports);
        rules::cfg002_public_default_secret::check(setting, &mut reports);
        rules::cfg003_configuration_exposes_secrets::check(setting, &mut reports);
        rules::cfg004_invalid_backend_kwargs::check(setting, &mut reports);
    }
    (reports, problems)
}

/// The Airflow settings and environment entries of one file (running the YAML rules on the
/// way, into `reports`); `None` when the file is not configuration after all.
fn collect<'a>(
    kind: FileKind,
    name: &str,
    text: &'a str,
    chart: Option<Chart>,
    reports: &mut registry::Reports,
    problems: &mut Vec<Problem>,
) -> Option<(Vec<Setting<'a>>, Vec<EnvEntry<'a>>)> {
    let (mut settings, entries) = match kind {
        FileKind::Env => (
            sources::env_file::parse(text),
            sources::env_file::entries(text),
        ),
        FileKind::Dockerfile => (
            sources::dockerfile::parse(text),
            sources::dockerfile::entries(text),
        ),
        FileKind::AirflowCfg => {
            if !sources::ini::is_airflow_cfg(name, text) {
                return None;
            }
            let parsed = sources::ini::parse(text);
            problems.extend(parsed.problems.into_iter().map(|p| Problem {
                line: Some(p.line),
                message: p.message,
            }));
            (parsed.settings, Vec::new())
        }
        FileKind::Compose | FileKind::Yaml => match airseal_yaml::parse_counted(text) {
            Ok(parsed) => {
                if let Some(message) = parsed.bomb_warning() {
                    problems.push(Problem {
                        line: None,
                        message,
                    });
                }
                if kind == FileKind::Compose {
                    let entries = sources::yaml_env::compose_entries(text, &parsed.documents);
                    (Vec::new(), entries)
                } else {
                    yaml(text, &parsed.documents, chart, reports)
                }
            }
            Err(error) => {
                problems.push(Problem {
                    line: Some(error.line),
                    message: format!("not valid YAML: {}", error.message),
                });
                return None;
            }
        },
    };
    if kind != FileKind::Env && kind != FileKind::Dockerfile {
        settings.extend(settings::settings_of(&entries));
    }
    Some((settings, entries))
}

/// Helm values and Kubernetes manifests: runs the `HLM` / `KUB` rules and returns the Airflow
/// settings and environment entries found, for the `CFG` rules.
fn yaml<'a>(
    text: &'a str,
    documents: &[Node],
    chart: Option<Chart>,
    reports: &mut registry::Reports,
) -> (Vec<Setting<'a>>, Vec<EnvEntry<'a>>) {
    let mut settings = Vec::new();
    let mut entries = Vec::new();
    for document in documents {
        if kubernetes::is_object(document) {
            for object in kubernetes::objects(document) {
                manifest(text, object, reports, &mut settings, &mut entries);
            }
            continue;
        }
        let Some(chart) = chart.or_else(|| helm::chart::detect(document)) else {
            continue;
        };
        let values = helm::Values {
            text,
            root: document,
            chart,
        };
        rules::hlm001_chart_secret_in_values::check(&values, reports);
        rules::hlm002_chart_public_default_secret::check(&values, reports);
        rules::hlm003_secret_in_embedded_config_file::check(&values, reports);
        rules::hlm004_secrets_readable_by_workers::check(&values, reports);
        rules::hlm005_git_sync_without_known_hosts::check(&values, reports);
        for entry in helm::environment(&values) {
            rules::kub003_secret_in_container_env::check(&entry, reports);
            entries.push(entry);
        }
        let (config_settings, config_entries) = helm::airflow_config(&values);
        settings.extend(config_settings);
        entries.extend(config_entries);
        // Manifests inside values: the User-Community chart's `extraManifests`.
        for at in helm::resolve(document, "extraManifests[]") {
            for object in kubernetes::objects(at.node) {
                manifest(text, object, reports, &mut settings, &mut entries);
            }
        }
        // The official chart's `extraConfigMaps.<name>.data`.
        for at in helm::resolve(document, "extraConfigMaps.*.data") {
            configmap_data(
                text,
                &at.path,
                at.node,
                reports,
                &mut settings,
                &mut entries,
            );
        }
    }
    (settings, entries)
}

/// One Kubernetes object.
fn manifest<'a>(
    text: &'a str,
    object: &Node,
    reports: &mut registry::Reports,
    settings: &mut Vec<Setting<'a>>,
    entries: &mut Vec<EnvEntry<'a>>,
) {
    rules::kub001_secret_manifest_with_data::check(text, object, reports);
    if object.get("kind").and_then(Node::as_str) == Some("ConfigMap")
        && let Some(data) = object.get("data")
    {
        let name = kubernetes::name_of(object).to_owned();
        configmap_data(text, &name, data, reports, settings, entries);
    }
    for entry in kubernetes::container_env(text, object) {
        rules::kub003_secret_in_container_env::check(&entry, reports);
        entries.push(entry);
    }
}

/// ConfigMap data: credentials (`KUB002`), Airflow variables for the `CFG` rules (ConfigMaps
/// are commonly loaded with `envFrom`), and an `airflow.cfg` key read as airflow.cfg.
fn configmap_data<'a>(
    text: &'a str,
    name: &str,
    data: &Node,
    reports: &mut registry::Reports,
    settings: &mut Vec<Setting<'a>>,
    entries: &mut Vec<EnvEntry<'a>>,
) {
    for entry in kubernetes::data_entries(text, data) {
        rules::kub002_configmap_holds_credentials::check(name, &entry, reports);
        if rules::kub002_configmap_holds_credentials::is_airflow_name(&entry.key) {
            entries.push(EnvEntry {
                name: std::borrow::Cow::Owned(entry.key.clone()),
                value: entry.raw,
                value_span: entry.span.clone(),
                line: entry.line,
            });
        }
    }
    if let Some(cfg) = data.get("airflow.cfg")
        && let (Some(block), Some(value)) = (LiteralBlock::of(text, cfg), cfg.as_str())
    {
        for setting in sources::ini::parse(value).settings {
            let Some(span) = block.map(text, value, setting.value_span.clone()) else {
                continue;
            };
            let Some(bytes) = text.get(span.clone()) else {
                continue;
            };
            settings.push(Setting {
                value: bytes,
                line: block.line_of(setting.value_span.start),
                value_span: span,
                ..setting
            });
        }
    }
}

/// The spans of every finding in a text read under a file name (YAML as `chart`'s values when
/// given), without the engine: for the fuzz target, which checks they lie in the text.
pub fn finding_spans(
    file_name: &str,
    text: &str,
    chart: Option<Chart>,
) -> Vec<std::ops::Range<usize>> {
    let kind = kind_of(file_name).unwrap_or(FileKind::AirflowCfg);
    findings(kind, file_name, text, chart)
        .0
        .found
        .into_iter()
        .map(|(_, span)| span)
        .collect()
}
