//! Turns configuration and flags into the engine's inputs: which analyzers, which rules, which
//! filters, which files.

use std::path::Path;

use airseal_config::Config;
use airseal_deployment::{ComposeEnvFiles, DeploymentAnalyzer};
use airseal_detectors::{DetectorSet, Rule, builtin_rules, load_rule_file};
use airseal_discovery::{DEFAULT_MAX_FILE_SIZE, DiscoveryOptions};
use airseal_engine::analyzers::CredentialAnalyzer;
use airseal_engine::{Analyzer, Baseline, RuleSelection, ScanSettings, Scanner};
use airseal_finding::{RuleCode, RuleMeta, Severity};
use airseal_iam::lint::ConfiguredScope;
use airseal_iam::lint::IamAnalyzer;
use airseal_python::PythonAnalyzer;
use anyhow::Context;

use crate::args::ScanOptions;

/// The configuration for a run: `--config FILE`, or the one found from the first path.
pub fn load_config(explicit: Option<&Path>, first_path: &Path) -> anyhow::Result<Config> {
    Ok(match explicit {
        Some(path) => Config::load(path)?,
        None => Config::discover(first_path)?,
    })
}

/// Built-in credential rules plus the configuration's extra rule files.
pub fn credential_rules(config: &Config) -> anyhow::Result<Vec<Rule>> {
    let mut rules = builtin_rules().context("built-in rules are broken (a bug in airseal)")?;
    for file in &config.extra_rule_files {
        rules.extend(load_rule_file(file)?);
    }
    Ok(rules)
}

/// Metadata of every rule any analyzer can report, sorted by code.
pub fn all_rule_meta(config: &Config) -> anyhow::Result<Vec<RuleMeta>> {
    let detectors = DetectorSet::new(credential_rules(config)?)?;
    let mut rules = CredentialAnalyzer::new(detectors).rules();
    rules.extend(PythonAnalyzer::new().rules());
    rules.extend(DeploymentAnalyzer::new().rules());
    rules.extend(IamAnalyzer::new().rules());
    rules.extend(crate::commands::watch_rule_meta());
    rules.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(rules)
}

pub struct ScanSetup {
    pub scanner: Scanner,
    pub discovery: DiscoveryOptions,
    pub fail_on: Severity,
}

pub fn scan_setup(options: &ScanOptions, baseline: Option<&Path>) -> anyhow::Result<ScanSetup> {
    let first = options
        .paths
        .first()
        .map_or(Path::new("."), |p| p.as_path());
    let config = load_config(options.config.as_deref(), first)?;
    let select = if options.select.is_empty() {
        config.select.clone()
    } else {
        options.select.clone()
    };
    let mut ignore = config.ignore.clone();
    ignore.extend(options.ignore.iter().cloned());
    for selector in select.iter().chain(&ignore) {
        anyhow::ensure!(
            airseal_config::is_selector(selector),
            "`{selector}` is not a rule code or prefix (like KEY, KEY0 or KEY001)"
        );
    }
    let selection = RuleSelection::new(&select, &ignore, &config.per_file_ignores)
        .context("invalid per-file-ignores glob")?;

    // Rules that cannot be reported are not run: a narrow --select makes the scan faster.
    let rules: Vec<Rule> = credential_rules(&config)?
        .into_iter()
        .filter(|rule| selection.is_enabled(&rule.meta.code))
        .collect();
    let detectors = DetectorSet::new(rules)?;
    let mut analyzers: Vec<Box<dyn Analyzer>> = vec![Box::new(CredentialAnalyzer::new(detectors))];
    let python_enabled = PythonAnalyzer::codes()
        .filter_map(|code| RuleCode::new(code).ok())
        .any(|code| selection.is_enabled(&code));
    if python_enabled {
        analyzers.push(Box::new(PythonAnalyzer::new()));
    }
    let deployment_enabled = DeploymentAnalyzer::codes()
        .filter_map(|code| RuleCode::new(code).ok())
        .any(|code| selection.is_enabled(&code));
    if deployment_enabled {
        let env_files = ComposeEnvFiles::collect(&options.paths, !options.no_ignore);
        analyzers.push(Box::new(
            DeploymentAnalyzer::with_chart(options.chart.map(Into::into)).with_env_files(env_files),
        ));
    }
    let iam_enabled = IamAnalyzer::codes()
        .filter_map(|code| RuleCode::new(code).ok())
        .any(|code| selection.is_enabled(&code));
    if iam_enabled {
        analyzers.push(Box::new(IamAnalyzer::with_scope(iam_scope(
            options.iam_from.as_deref(),
        )?)));
    }

    let baseline = baseline.map(Baseline::load).transpose()?;
    let settings = ScanSettings::new(selection, &config.allowlist, &config.stopwords, baseline)
        .with_context(|| match &config.source {
            Some(path) => format!("in {}", path.display()),
            None => "in the configuration".to_owned(),
        })?;
    let mut exclude = config.exclude.clone();
    exclude.extend(options.exclude.iter().cloned());
    let discovery = DiscoveryOptions {
        roots: options.paths.clone(),
        exclude,
        respect_ignore_files: !options.no_ignore,
        follow_symlinks: !options.no_follow,
        max_file_size: options
            .max_file_size
            .or(config.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
        threads: options.threads,
    };
    Ok(ScanSetup {
        fail_on: config.fail_on.unwrap_or(Severity::Low),
        scanner: Scanner::new(analyzers, settings),
        discovery,
    })
}

/// `--iam-from PATH`: the AWS backend and prefixes configured there, for IAM008.
fn iam_scope(from: Option<&Path>) -> anyhow::Result<Option<ConfiguredScope>> {
    let Some(from) = from else {
        return Ok(None);
    };
    anyhow::ensure!(from.exists(), "--iam-from {}: no such path", from.display());
    let diagnosis = airseal_doctor::diagnose(&[from.to_path_buf()], true);
    let Some((backend, prefixes)) = diagnosis.aws_reader_scope() else {
        anyhow::bail!(
            "--iam-from {}: no AWS Secrets Manager or SSM Parameter Store backend is configured there (`airseal doctor {}` shows what is)",
            from.display(),
            from.display()
        );
    };
    Ok(Some(ConfiguredScope {
        parameter_store: backend == airseal_doctor::AwsBackend::ParameterStore,
        prefixes,
        source: from.display().to_string(),
    }))
}
