//! Airflow deployment configuration: the `CFG###` rules over airflow.cfg, and over
//! `AIRFLOW__SECTION__KEY` settings, `AIRFLOW_CONN_*` connections and `AIRFLOW_VAR_*` Variables in
//! env files and Dockerfile `ENV` / `ARG` instructions.
//!
//! Every input is first turned into [`settings::Setting`]s — section, key, the exact bytes of the
//! value — by a reader in `sources/`; the rules in `rules/` only see settings, so airflow.cfg and
//! the environment get the same judgement, each with the fix spelled its own way (`fernet_key_cmd`
//! in airflow.cfg, `AIRFLOW__CORE__FERNET_KEY_CMD` in the environment). Which options are
//! sensitive comes from Airflow itself (`data/sensitive-options.tsv`, see
//! scripts/sensitive-options.py).

mod registry;
mod rules;
mod sensitive;
mod settings;
mod sources;

use airseal_discovery::SourceFile;
use airseal_engine::{Analyzer, FileAnalysis};
use airseal_finding::RuleMeta;

pub use registry::{RULES, RuleSpec};
pub use sensitive::sensitive_in;

/// Runs the `CFG###` rules over airflow.cfg files and env files.
#[derive(Debug, Default)]
pub struct DeploymentAnalyzer;

impl DeploymentAnalyzer {
    pub fn new() -> Self {
        DeploymentAnalyzer
    }

    /// Codes of every rule this analyzer reports.
    pub fn codes() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.code)
    }
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
        let is_env = sources::env_file::is_env_file(name);
        let is_dockerfile = sources::dockerfile::is_dockerfile(name);
        let is_yaml = sources::yaml_env::is_yaml(name);
        if !is_env && !is_dockerfile && !is_yaml && !name.ends_with(".cfg") {
            return;
        }
        // Only YAML that mentions an Airflow environment variable is parsed.
        if is_yaml && !file.bytes.windows(8).any(|w| w == b"AIRFLOW_") {
            return;
        }
        // Offsets must match the bytes; non-UTF-8 files are left to the credential rules.
        let Ok(text) = std::str::from_utf8(file.bytes) else {
            return;
        };
        let (settings, entries) = if is_env {
            (
                sources::env_file::parse(text),
                sources::env_file::entries(text),
            )
        } else if is_dockerfile {
            (
                sources::dockerfile::parse(text),
                sources::dockerfile::entries(text),
            )
        } else if is_yaml {
            match sources::yaml_env::entries(text, sources::yaml_env::is_compose_file(name)) {
                Ok(entries) => (settings::settings_of(&entries), entries),
                Err(error) => {
                    out.warn(
                        Some(error.line),
                        format!("not valid YAML: {}", error.message),
                    );
                    return;
                }
            }
        } else if sources::ini::is_airflow_cfg(name, text) {
            let parsed = sources::ini::parse(text);
            for problem in &parsed.problems {
                out.warn(Some(problem.line), problem.message.clone());
            }
            (parsed.settings, Vec::new())
        } else {
            return;
        };
        for (builder, span) in run_rules(&settings, &entries).found {
            out.report(builder, span);
        }
    }
}

fn run_rules(
    settings: &[settings::Setting<'_>],
    entries: &[settings::EnvEntry<'_>],
) -> registry::Reports {
    let mut reports = registry::Reports::default();
    for entry in entries {
        rules::cfg005_connection_in_environment::check(entry, &mut reports);
        rules::cfg006_variable_in_environment::check(entry, &mut reports);
    }
    for setting in settings {
        rules::cfg001_sensitive_option_in_plain_text::check(setting, &mut reports);
        rules::cfg002_public_default_secret::check(setting, &mut reports);
        rules::cfg003_configuration_exposes_secrets::check(setting, &mut reports);
        rules::cfg004_invalid_backend_kwargs::check(setting, &mut reports);
    }
    reports
}

/// The spans of every `CFG###` finding in a text read as airflow.cfg (or as an env file when the
/// name says so), without the engine: for the fuzz target, which checks they lie in the text.
pub fn finding_spans(file_name: &str, text: &str) -> Vec<std::ops::Range<usize>> {
    let (settings, entries) = if sources::env_file::is_env_file(file_name) {
        (
            sources::env_file::parse(text),
            sources::env_file::entries(text),
        )
    } else if sources::dockerfile::is_dockerfile(file_name) {
        (
            sources::dockerfile::parse(text),
            sources::dockerfile::entries(text),
        )
    } else if sources::yaml_env::is_yaml(file_name) {
        let compose = sources::yaml_env::is_compose_file(file_name);
        let entries = sources::yaml_env::entries(text, compose).unwrap_or_default();
        (settings::settings_of(&entries), entries)
    } else {
        (sources::ini::parse(text).settings, Vec::new())
    };
    run_rules(&settings, &entries)
        .found
        .into_iter()
        .map(|(_, span)| span)
        .collect()
}
