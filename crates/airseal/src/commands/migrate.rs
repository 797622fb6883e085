//! `airseal migrate plan|apply|verify`. Exit 0 when everything is (or would be) in the store,
//! 1 when some secret is not (conflict, invalid, skipped by the store, failed write, a source
//! that could not be read, a difference on verify), 2 when nothing could run (bad arguments,
//! no store).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use airseal_migrate::changes::{self, Changes};
use airseal_migrate::plan::{self, Action, Item, Verdict, Verified};
use airseal_migrate::sources::{self, SourceProblem, SourceSpec};
use airseal_migrate::{StoreOptions, Target};
use airseal_stores::ConnectionForm;
use anyhow::Context as _;
use serde_json::{Map, Value, json};

use crate::ExitStatus;
use crate::args::{DoctorFormat, MigrateArgs, MigrateCommand, StoreArgs};
use crate::output::stderr_line;

pub fn run(command: MigrateCommand) -> anyhow::Result<ExitStatus> {
    match command {
        MigrateCommand::Plan(args) => run_plan(&args, Mode::Plan),
        MigrateCommand::Verify(args) => run_plan(&args, Mode::Verify),
        MigrateCommand::Apply(args) => run_plan(
            &args.common,
            Mode::Apply {
                write_changes: args.write_changes,
                progress: !args.no_progress,
            },
        ),
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Plan,
    Apply { write_changes: bool, progress: bool },
    Verify,
}

/// The store, its effective kwargs, and whether the deployment already reads it.
pub(crate) fn target(args: &StoreArgs) -> anyhow::Result<(Target, Map<String, Value>, bool)> {
    let given_target = args.to.as_deref().map(Target::parse).transpose()?;
    if let Some(config) = &args.config {
        anyhow::ensure!(
            config.exists(),
            "--config {}: no such path",
            config.display()
        );
        let configured = airseal_migrate::configured_backend(std::slice::from_ref(config));
        return match (given_target, configured) {
            (None, None) => anyhow::bail!(
                "--config {}: no secrets backend is configured there; pass --to (`airseal doctor {}` shows what is configured)",
                config.display(),
                config.display()
            ),
            (None, Some((class, kwargs))) => {
                let target = Target::of_class(&class).with_context(|| {
                    format!("--config: the configured backend `{class}` is not one airseal writes to (aws-secrets-manager, aws-ssm, vault, local)")
                })?;
                let kwargs = airseal_migrate::effective_kwargs(&target, &kwargs);
                Ok((target, kwargs, true))
            }
            (Some(target), Some((class, kwargs))) => {
                let same = Target::of_class(&class)
                    .is_some_and(|t| std::mem::discriminant(&t) == std::mem::discriminant(&target));
                if same {
                    let kwargs = airseal_migrate::effective_kwargs(&target, &kwargs);
                    Ok((target, kwargs, true))
                } else {
                    stderr_line(&format!(
                        "warning: the deployment reads `{class}`, not {}: migrating with that store's default names; switch the backend with the printed configuration",
                        args.to.as_deref().unwrap_or_default()
                    ));
                    let kwargs = airseal_migrate::effective_kwargs(&target, &Map::new());
                    Ok((target, kwargs, false))
                }
            }
            (Some(target), None) => {
                let kwargs = airseal_migrate::effective_kwargs(&target, &Map::new());
                Ok((target, kwargs, false))
            }
        };
    }
    let target = given_target.context("say where to migrate to: --to aws-secrets-manager|aws-ssm|vault|local:DIR, or --config PATH of a deployment with a secrets backend")?;
    let given = match &args.backend_kwargs {
        Some(text) => airseal_migrate::parse_kwargs(text)?,
        None => Map::new(),
    };
    let kwargs = airseal_migrate::effective_kwargs(&target, &given);
    Ok((target, kwargs, false))
}

fn run_plan(args: &MigrateArgs, mode: Mode) -> anyhow::Result<ExitStatus> {
    let (target, kwargs, already_configured) = target(&args.store)?;
    let specs: Vec<SourceSpec> = args.from.iter().map(|s| SourceSpec::parse(s)).collect();
    let options = StoreOptions {
        form: if args.uri {
            ConnectionForm::Uri
        } else {
            ConnectionForm::Json
        },
        kms_key_id: args.kms_key_id.clone(),
        region: args.store.region.clone(),
        profile: args.store.profile.clone(),
        endpoint_url: None,
        max_attempts: None,
    };
    let store = airseal_migrate::open_store(&target, &kwargs, &options)?;
    let sources = sources::read(&specs, !args.no_ignore, &store.files());
    let concurrency = usize::from(args.concurrency);
    let plan = plan::plan(&sources, store.as_ref(), args.overwrite, concurrency);
    let store_name = store.describe();
    let mut out = std::io::stdout().lock();
    match mode {
        Mode::Plan => {
            let items = plan.items();
            let failed = items.iter().any(|i| blocks(i.action)) || !sources.problems.is_empty();
            match args.format {
                DoctorFormat::Human => {
                    write!(
                        out,
                        "{}",
                        human_items("plan", &store_name, &items, &sources.problems)
                    )?;
                }
                DoctorFormat::Json => {
                    let report = json!({"command": "plan", "store": store_name, "items": items, "problems": sources.problems, "summary": summary(&items)});
                    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                }
            }
            Ok(status(failed))
        }
        Mode::Apply {
            write_changes,
            progress,
        } => {
            let bar = progress_bar(&plan, progress);
            let done = AtomicU64::new(0);
            let tick = |_: &Item| {
                done.fetch_add(1, Ordering::Relaxed);
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            };
            let results = plan::apply(&plan, store.as_ref(), args.overwrite, concurrency, &tick);
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let changes = changes::changes(&plan, &results, &target, &kwargs, already_configured);
            let (edits, diff, skipped) = changes::edits(&changes);
            if write_changes {
                changes::write(&edits).context("--write-changes")?;
            }
            let failed = results.iter().any(|i| blocks(i.action)) || !sources.problems.is_empty();
            match args.format {
                DoctorFormat::Human => {
                    write!(
                        out,
                        "{}",
                        human_items("apply", &store_name, &results, &sources.problems)
                    )?;
                    write!(
                        out,
                        "{}",
                        human_changes(&changes, &diff, &skipped, write_changes, edits.len())
                    )?;
                }
                DoctorFormat::Json => {
                    let report = json!({
                        "command": "apply", "store": store_name, "items": results,
                        "problems": sources.problems, "summary": summary(&results),
                        "changes": changes, "changes_written": write_changes,
                        "edited_files": edits.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
                        "hand_edits": skipped,
                    });
                    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                }
            }
            Ok(status(failed))
        }
        Mode::Verify => {
            let verified = plan::verify(&plan, store.as_ref(), concurrency);
            let failed = verified.iter().any(|v| {
                matches!(
                    v.verdict,
                    Verdict::Missing | Verdict::Different | Verdict::Error
                )
            });
            match args.format {
                DoctorFormat::Human => write!(out, "{}", human_verify(&store_name, &verified))?,
                DoctorFormat::Json => {
                    let report =
                        json!({"command": "verify", "store": store_name, "items": verified});
                    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                }
            }
            Ok(status(failed))
        }
    }
}

fn status(failed: bool) -> ExitStatus {
    if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

/// Actions that leave a secret outside the store.
pub(crate) fn blocks(action: Action) -> bool {
    matches!(
        action,
        Action::Conflict | Action::Invalid | Action::Error | Action::Skip
    )
}

pub(crate) fn progress_bar(plan: &plan::Plan, enabled: bool) -> Option<indicatif::ProgressBar> {
    let todo = plan
        .planned
        .iter()
        .filter(|p| matches!(p.item.action, Action::Create | Action::Update))
        .count() as u64;
    (enabled && todo >= 20 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(todo);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} secrets written ({elapsed}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

pub(crate) fn action_name(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Unchanged => "unchanged",
        Action::Conflict => "conflict",
        Action::Skip => "skip",
        Action::Invalid => "invalid",
        Action::Error => "error",
    }
}

pub(crate) fn summary(items: &[Item]) -> Value {
    let mut counts = Map::new();
    for item in items {
        let entry = counts
            .entry(action_name(item.action))
            .or_insert(Value::from(0));
        *entry = Value::from(entry.as_u64().unwrap_or(0) + 1);
    }
    Value::Object(counts)
}

pub(crate) fn human_items(
    command: &str,
    store: &str,
    items: &[Item],
    problems: &[SourceProblem],
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let verb = if command == "plan" {
        "would be"
    } else {
        "were"
    };
    let _ = writeln!(
        out,
        "airseal migrate {command}: {} secrets → {store}",
        items.len()
    );
    for item in items {
        let name = item.name.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "  {:<9} {:<10} {:<28} {:<40} {}",
            action_name(item.action),
            item.kind,
            item.id,
            name,
            item.fingerprint
        );
        for source in &item.sources {
            let _ = writeln!(out, "            from {source}");
        }
        if let Some(reason) = &item.reason {
            let _ = writeln!(out, "            {reason}");
        }
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "not read:");
        for problem in problems {
            let at = problem
                .line
                .map(|l| format!("{}:{l}", problem.path))
                .unwrap_or_else(|| problem.path.clone());
            let id = problem
                .id
                .as_deref()
                .map(|i| format!(" `{i}`"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {at}:{id} {}", problem.message);
        }
    }
    let count = |action: Action| items.iter().filter(|i| i.action == action).count();
    let _ = writeln!(
        out,
        "{} {verb} created, {} updated, {} unchanged; {} conflicts, {} skipped, {} invalid, {} errors",
        count(Action::Create),
        count(Action::Update),
        count(Action::Unchanged),
        count(Action::Conflict),
        count(Action::Skip),
        count(Action::Invalid),
        count(Action::Error),
    );
    out
}

fn human_changes(
    changes: &Changes,
    diff: &str,
    skipped: &[String],
    written: bool,
    files: usize,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if let Some(backend) = &changes.backend {
        let _ = writeln!(
            out,
            "\nfinish the switch: point Airflow at the store (one of):"
        );
        let _ = writeln!(
            out,
            "  airflow.cfg:\n    {}",
            backend.airflow_cfg.join("\n    ")
        );
        let _ = writeln!(
            out,
            "  environment:\n    {}",
            backend.environment.join("\n    ")
        );
        let _ = writeln!(
            out,
            "  official chart values:\n    {}",
            backend.official_chart.join("\n    ")
        );
        let _ = writeln!(
            out,
            "  User-Community chart values:\n    {}",
            backend.user_community_chart.join("\n    ")
        );
    }
    if !changes.secret_options.is_empty() {
        let _ = writeln!(out, "\nread the moved options from the store:");
        for option in &changes.secret_options {
            let _ = writeln!(
                out,
                "  [{}] {}    or    {}",
                option.section, option.airflow_cfg, option.environment
            );
        }
    }
    if !changes.removals.is_empty() {
        let _ = writeln!(out, "\ndelete the plain-text copies:");
        for removal in &changes.removals {
            let how = if removal.in_patch { "" } else { " (by hand)" };
            let _ = writeln!(
                out,
                "  {}:{}  {}{how}",
                removal.path, removal.line, removal.written_as
            );
        }
    }
    if !diff.is_empty() {
        let state = if written {
            format!("written to {files} files")
        } else {
            "pass --write-changes to make them".to_owned()
        };
        let _ = writeln!(
            out,
            "\nline edits ({state}; values shown as <redacted>):\n{diff}"
        );
    }
    for line in skipped {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn human_verify(store: &str, verified: &[Verified]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "airseal migrate verify: {} secrets ← {store}",
        verified.len()
    );
    for item in verified {
        let verdict = match item.verdict {
            Verdict::Verified => "ok",
            Verdict::Missing => "missing",
            Verdict::Different => "different",
            Verdict::NotMigrated => "not-migrated",
            Verdict::Error => "error",
        };
        let _ = writeln!(
            out,
            "  {verdict:<12} {:<10} {:<28} {}",
            item.kind,
            item.id,
            item.name.as_deref().unwrap_or("-")
        );
        if let Some(reason) = &item.reason {
            let _ = writeln!(out, "               {reason}");
        }
    }
    let count = |v: Verdict| verified.iter().filter(|i| i.verdict == v).count();
    let _ = writeln!(
        out,
        "{} read back identical, {} missing, {} different, {} errors, {} not migrated",
        count(Verdict::Verified),
        count(Verdict::Missing),
        count(Verdict::Different),
        count(Verdict::Error),
        count(Verdict::NotMigrated)
    );
    out
}
