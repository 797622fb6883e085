//! `airseal watch cloudtrail`: the scope from flags, `[watch]` and the deployment; the run
//! (once, or following new files); the report.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use airseal_finding::{RuleMeta, Severity};
use airseal_stores::SecretKind;
use airseal_stores::naming::{Backend, Naming};
use airseal_watch::cloudtrail::reader::ReadOptions;
use airseal_watch::report::{
    AlertReporter, HumanAlerts, JsonAlerts, JsonlAlerts, SarifAlerts, WatchReport, alert_json,
    alert_line, fingerprint,
};
use airseal_watch::{Alert, RULES, Scope, ScopeSpec, Watch, WatchOptions, collect_files};

use crate::ExitStatus;
use crate::args::{
    WatchAirflowLogArgs, WatchCloudtrailArgs, WatchCommand, WatchExportSigmaArgs, WatchFormat,
    WatchScopeArgs,
};
use crate::output::{open_output, stderr_line};
use crate::setup::load_config;

pub fn run(command: WatchCommand) -> anyhow::Result<ExitStatus> {
    match command {
        WatchCommand::Cloudtrail(args) => cloudtrail(&args),
        WatchCommand::AirflowLog(args) => airflow_log(&args),
        WatchCommand::ExportSigma(args) => export_sigma(&args),
    }
}

/// Every watch rule's metadata (CloudTrail's and the audit log's), for the rule reference.
pub fn rule_meta() -> Vec<RuleMeta> {
    RULES
        .iter()
        .chain(airseal_watch::airflow_log::detections::RULES)
        .map(|r| r.meta())
        .collect()
}

/// The name prefixes the deployment's AWS secrets backend looks ids up under.
fn deployment_prefixes(config: &Path) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(
        config.exists(),
        "--config {}: no such path",
        config.display()
    );
    let (class, kwargs) = airseal_migrate::configured_backend(&[config.to_path_buf()])
        .with_context(|| {
            format!(
                "--config {}: no secrets backend is configured there; pass --prefix (`airseal doctor {}` shows what is configured)",
                config.display(),
                config.display()
            )
        })?;
    let backend = match class.rsplit('.').next().unwrap_or(&class) {
        "SecretsManagerBackend" => Backend::AwsSecretsManager,
        "SystemsManagerParameterStoreBackend" => Backend::AwsParameterStore,
        _ => anyhow::bail!(
            "--config {}: the deployment reads `{class}`, whose reads CloudTrail does not record as Secrets Manager or SSM calls; pass --prefix",
            config.display()
        ),
    };
    let naming = Naming::from_kwargs(backend, &kwargs);
    const MARK: &str = "\u{1}";
    let prefixes: Vec<String> = [
        SecretKind::Connection,
        SecretKind::Variable,
        SecretKind::Config,
    ]
    .into_iter()
    .filter_map(|kind| naming.name(kind, MARK, |_, _| true))
    .filter_map(|template| template.split(MARK).next().map(str::to_owned))
    .filter(|prefix| !prefix.is_empty())
    .collect();
    anyhow::ensure!(
        !prefixes.is_empty(),
        "--config {}: the backend looks nothing up under a prefix (every `*_prefix` is null or empty); pass --prefix",
        config.display()
    );
    Ok(prefixes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn fail_on(text: &str) -> anyhow::Result<Option<Severity>> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    text.parse::<Severity>().map(Some).map_err(|_| {
        anyhow::anyhow!("--fail-on {text}: expected info, low, medium, high, critical or none")
    })
}

/// The scope from the flags, `[watch]` and the deployment, and the notes the reports show
/// about it.
fn resolve_scope(args: &WatchScopeArgs) -> anyhow::Result<(Scope, Vec<String>)> {
    let settings = load_config(args.policy.as_deref(), Path::new("."))?.watch;
    let (prefixes, prefix_source) = if !args.prefixes.is_empty() {
        (args.prefixes.clone(), "--prefix".to_owned())
    } else if let Some(config) = &args.config {
        (
            deployment_prefixes(config)?,
            format!("the deployment under {}", config.display()),
        )
    } else if !settings.prefixes.is_empty() {
        (settings.prefixes.clone(), "[watch] prefixes".to_owned())
    } else {
        (Vec::new(), "Airflow's default prefixes".to_owned())
    };
    let pick = |flags: &[String], configured: &[String]| {
        if flags.is_empty() {
            configured.to_vec()
        } else {
            flags.to_vec()
        }
    };
    let spec = ScopeSpec {
        prefixes,
        readers: pick(&args.principals, &settings.readers),
        writers: pick(&args.writers, &settings.writers),
        source_networks: settings.source_networks.clone(),
        regions: settings.regions.clone(),
        user_agents: settings.user_agents.clone(),
        kms_keys: settings.kms_keys.clone(),
        bulk_read_threshold: settings.bulk_read_threshold,
        bulk_read_window_seconds: settings.bulk_read_window_seconds.map(|s| s as i64),
        clock_skew_seconds: settings.clock_skew_seconds.map(|s| s as i64),
    };
    let scope = Scope::new(spec).context("[watch]")?;
    let mut notes = vec![format!(
        "Airflow's secrets: names under {} (from {prefix_source})",
        scope
            .prefixes
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if scope.readers.is_empty() {
        notes.push("no readers configured (`[watch] readers` or --principal): AUD002 is off, and lookup misses are not reported by AUD001".to_owned());
    }
    if scope.writers.is_empty() {
        notes.push(
            "no writers configured (`[watch] writers` or --writer): AUD007 is off".to_owned(),
        );
    }
    Ok((scope, notes))
}

fn cloudtrail(args: &WatchCloudtrailArgs) -> anyhow::Result<ExitStatus> {
    let threshold = fail_on(&args.report.fail_on)?;
    let (scope, notes) = resolve_scope(&args.scope)?;
    let options = WatchOptions {
        read: ReadOptions {
            max_in_memory: args.max_in_memory.max(1).saturating_mul(1024 * 1024),
            ..ReadOptions::default()
        },
        now: now(),
    };
    let mut watch = Watch::new(scope, options);
    if args.follow {
        return follow(args, &mut watch, threshold, &notes);
    }
    let (files, mut warnings) = collect_files(&args.paths);
    if files.is_empty() {
        for warning in &warnings {
            stderr_line(&format!("warning: {warning}"));
        }
        anyhow::bail!(
            "no CloudTrail files (.json, .json.gz, .jsonl, .ndjson) under the given paths"
        );
    }
    let mut batch = watch.process(&files);
    batch.alerts.extend(watch.bulk_alerts());
    batch.alerts.sort_by(airseal_watch::cloudtrail::alert_order);
    warnings.append(&mut batch.warnings);
    let rules: Vec<RuleMeta> = RULES.iter().map(|r| r.meta()).collect();
    let report = WatchReport {
        version: env!("CARGO_PKG_VERSION"),
        alerts: &batch.alerts,
        rules: &rules,
        warnings: &warnings,
        stats: &batch.stats,
        notes: &notes,
    };
    write_report(&report, args.report.format, args.report.output.as_deref())?;
    Ok(exit_status(&batch.alerts, threshold))
}

/// Writes a watch report in `format` (standard output or `output`); warnings go to stderr too
/// unless the human report lists them.
fn write_report(
    report: &WatchReport<'_>,
    format: WatchFormat,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let mut out = open_output(output)?;
    let reporter: &dyn AlertReporter = match format {
        WatchFormat::Human => &HumanAlerts,
        WatchFormat::Json => &JsonAlerts,
        WatchFormat::Jsonl => &JsonlAlerts,
        WatchFormat::Sarif => &SarifAlerts,
    };
    reporter.write_report(report, &mut out)?;
    out.flush()?;
    if format != WatchFormat::Human {
        for warning in report.warnings {
            stderr_line(&format!("warning: {warning}"));
        }
    }
    Ok(())
}

fn exit_status(alerts: &[Alert], threshold: Option<Severity>) -> ExitStatus {
    match threshold {
        Some(threshold) if alerts.iter().any(|a| a.severity >= threshold) => ExitStatus::Findings,
        _ => ExitStatus::Success,
    }
}

/// `--follow`: reads what is there, then every new file as it appears, printing each alert
/// once (AUD004's when the run of reads crosses the threshold).
fn follow(
    args: &WatchCloudtrailArgs,
    watch: &mut Watch,
    threshold: Option<Severity>,
    notes: &[String],
) -> anyhow::Result<ExitStatus> {
    anyhow::ensure!(
        matches!(args.report.format, WatchFormat::Human | WatchFormat::Jsonl),
        "--follow prints findings as they come: use --format human or jsonl"
    );
    for note in notes {
        stderr_line(&format!("note: {note}"));
    }
    let started = Instant::now();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut reported: HashSet<String> = HashSet::new();
    let mut all: Vec<Alert> = Vec::new();
    let mut out = open_output(args.report.output.as_deref())?;
    loop {
        let (files, warnings) = collect_files(&args.paths);
        let new: Vec<PathBuf> = files.into_iter().filter(|f| !seen.contains(f)).collect();
        for warning in warnings {
            stderr_line(&format!("warning: {warning}"));
        }
        if !new.is_empty() {
            let batch = watch.process(&new);
            seen.extend(new);
            for warning in &batch.warnings {
                stderr_line(&format!("warning: {warning}"));
            }
            let mut fresh = batch.alerts;
            fresh.extend(watch.bulk_alerts());
            fresh.sort_by(airseal_watch::cloudtrail::alert_order);
            for alert in fresh {
                if !reported.insert(fingerprint(&alert).as_str().to_owned()) {
                    continue;
                }
                match args.report.format {
                    WatchFormat::Jsonl => {
                        serde_json::to_writer(&mut out, &alert_json(&alert))?;
                        writeln!(out)?;
                    }
                    _ => writeln!(out, "{}\n", alert_line(&alert))?,
                }
                all.push(alert);
            }
            out.flush()?;
        }
        if let Some(limit) = args.follow_timeout
            && started.elapsed() >= Duration::from_secs(limit)
        {
            break;
        }
        std::thread::sleep(
            Duration::from_secs(args.follow_interval.max(1)).min(
                args.follow_timeout
                    .map(Duration::from_secs)
                    .map_or(Duration::MAX, |t| {
                        t.saturating_sub(started.elapsed())
                            .max(Duration::from_millis(100))
                    }),
            ),
        );
    }
    Ok(exit_status(&all, threshold))
}

/// `export-sigma`: one Sigma rule file per detection, for the scope given.
fn export_sigma(args: &WatchExportSigmaArgs) -> anyhow::Result<ExitStatus> {
    let (scope, notes) = resolve_scope(&args.scope)?;
    for note in &notes {
        stderr_line(&format!("note: {note}"));
    }
    let rules = airseal_watch::sigma::export(&scope);
    let mut out = open_output(None)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for rule in &rules {
        let path = args.out.join(&rule.file_name);
        std::fs::write(&path, &rule.yaml)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    for rule in rules.iter().filter(|r| !r.exact) {
        writeln!(
            out,
            "{} is not exact: {}",
            rule.code,
            rule.differences.join("; ")
        )?;
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

fn airflow_log(args: &WatchAirflowLogArgs) -> anyhow::Result<ExitStatus> {
    use airseal_watch::airflow_log::{LogPolicy, check, source};
    let threshold = fail_on(&args.report.fail_on)?;
    let settings = load_config(args.policy.as_deref(), Path::new("."))?.watch;
    let users = if args.users.is_empty() {
        settings.airflow_users.clone()
    } else {
        args.users.clone()
    };
    let hours = args
        .working_hours
        .clone()
        .or(settings.working_hours.clone());
    let days = args.working_days.clone().or(settings.working_days.clone());
    let policy = LogPolicy::new(&users, hours.as_deref(), days.as_deref()).context("[watch]")?;
    let mut notes = Vec::new();
    if users.is_empty() {
        notes.push(
            "no Airflow users configured (`[watch] airflow-users` or --user): AUD101 is off"
                .to_owned(),
        );
    }
    if hours.is_none() {
        notes.push("no working hours configured (`[watch] working-hours` or --working-hours): AUD102 is off".to_owned());
    }
    let source = source::Source::parse(&args.source)?;
    let token = std::env::var(&args.token_env)
        .ok()
        .filter(|t| !t.is_empty());
    let (rows, problems) = source::read(&source, token.as_deref())?;
    let shown = source.display();
    let alerts = check(&rows, &shown, &policy);
    let warnings: Vec<airseal_finding::Warning> = problems
        .into_iter()
        .map(|p| {
            airseal_finding::Warning::new(shown.clone(), airseal_finding::WarningKind::Analyzer, p)
        })
        .collect();
    let stats = airseal_watch::Stats {
        files: 1,
        records: rows.len() as u64,
        ..airseal_watch::Stats::default()
    };
    let rules: Vec<RuleMeta> = airseal_watch::airflow_log::detections::RULES
        .iter()
        .map(|r| r.meta())
        .collect();
    let report = WatchReport {
        version: env!("CARGO_PKG_VERSION"),
        alerts: &alerts,
        rules: &rules,
        warnings: &warnings,
        stats: &stats,
        notes: &notes,
    };
    write_report(&report, args.report.format, args.report.output.as_deref())?;
    Ok(exit_status(&alerts, threshold))
}
