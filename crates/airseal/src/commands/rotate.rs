//! `airseal rotate status | run | schedule | enable`.

use std::io::Write;
use std::path::{Path, PathBuf};

use airseal_config::rotation::{RotationSettings, parse_duration};
use airseal_migrate::StoreOptions;
use airseal_rotation::audit::{AuditLog, AuditRecord, DEFAULT_AUDIT_LOG};
use airseal_rotation::protocol::{self, Request, Strategy};
use airseal_rotation::schedule::{self, ScheduleSpec};
use airseal_rotation::status::{self, State, StatusResult};
use airseal_rotation::{Engine, RotationError, RotationReport};
use airseal_stores::staged::{NativeRotation, StagedStore};
use airseal_stores::{SecretStore, StoreError};
use anyhow::Context as _;
use serde_json::{Value, json};

use crate::ExitStatus;
use crate::args::{
    DoctorFormat, RotateCommand, RotateEnableArgs, RotateRunArgs, RotateScheduleArgs,
    RotateStatusArgs, RotateStatusFormat, RotationPolicyArgs, ScheduleEmit, StoreArgs,
};
use crate::commands::migrate;
use crate::setup::load_config;

pub fn run(command: RotateCommand) -> anyhow::Result<ExitStatus> {
    match command {
        RotateCommand::Status(args) => run_status(&args),
        RotateCommand::Run(args) => run_rotate(&args),
        RotateCommand::Schedule(args) => run_schedule(&args),
        RotateCommand::Enable(args) => run_enable(&args),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn policy(args: &RotationPolicyArgs) -> anyhow::Result<(RotationSettings, Option<PathBuf>)> {
    let config = load_config(args.policy.as_deref(), Path::new("."))?;
    Ok((config.rotation, config.source))
}

fn open(store_args: &StoreArgs) -> anyhow::Result<Box<dyn SecretStore>> {
    let (target, kwargs, _) = migrate::target(store_args)?;
    let options = StoreOptions {
        region: store_args.region.clone(),
        profile: store_args.profile.clone(),
        ..StoreOptions::default()
    };
    Ok(airseal_migrate::open_store(&target, &kwargs, &options)?)
}

fn staged(store: &dyn SecretStore) -> anyhow::Result<&dyn StagedStore> {
    store.staged().with_context(|| {
        format!(
            "{} keeps no staged versions, so airseal cannot rotate there without a moment where no stored credential works: rotate in aws-secrets-manager, aws-ssm or local:DIR (pending records for Vault are not in this release)",
            store.describe()
        )
    })
}

fn audit_log(explicit: Option<&Path>, settings: &RotationSettings) -> anyhow::Result<AuditLog> {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| settings.audit_log.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_AUDIT_LOG));
    Ok(AuditLog::open(&path)?)
}

// ---------------------------------------------------------------------------------------------
// status

fn run_status(args: &RotateStatusArgs) -> anyhow::Result<ExitStatus> {
    let threshold = State::parse_threshold(&args.fail_on).with_context(|| {
        format!(
            "--fail-on `{}`: use overdue, due, never-rotated or none",
            args.fail_on
        )
    })?;
    let (settings, policy_file) = policy(&args.policy)?;
    let store = open(&args.store)?;
    let results = status::gather(store.as_ref(), &settings, &args.ids, now())?;
    let failing = results
        .iter()
        .any(|r| r.as_ref().map_or(true, |s| s.state.rank() >= threshold));
    let errors = results.iter().any(Result::is_err);
    let store_name = store.describe();
    let mut out = std::io::stdout().lock();
    match args.format {
        RotateStatusFormat::Human => write!(
            out,
            "{}",
            human_status(&store_name, policy_file.as_deref(), &results)
        )?,
        RotateStatusFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json_status(&store_name, &results))?
        )?,
        RotateStatusFormat::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&sarif_status(&store_name, &results))?
        )?,
    }
    Ok(if failing || errors {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn days(value: f64) -> String {
    format!("{value:.1}d")
}

fn human_status(store: &str, policy: Option<&Path>, results: &[StatusResult]) -> String {
    let mut text = format!(
        "rotation status in {store} (policy: {})\n",
        policy.map_or_else(|| "defaults".to_owned(), airseal_migrate::display)
    );
    let mut rows = vec![[
        "ID".to_owned(),
        "CLASS".to_owned(),
        "AGE".to_owned(),
        "MAX".to_owned(),
        "STATE".to_owned(),
        "LAST ROTATED".to_owned(),
    ]];
    for result in results {
        match result {
            Ok(s) => {
                let rotated = match (&s.last_rotated, &s.rotated_by) {
                    (Some(at), Some(by)) => format!("{at} ({by})"),
                    (Some(at), None) => at.clone(),
                    (None, _) => match &s.last_changed {
                        Some(changed) => format!("never (changed {changed})"),
                        None => "never".to_owned(),
                    },
                };
                let native = match (s.rotation_enabled, &s.next_rotation) {
                    (Some(true), Some(next)) => format!("; AWS rotation on, next {next}"),
                    (Some(true), None) => "; AWS rotation on".to_owned(),
                    _ => String::new(),
                };
                rows.push([
                    s.id.clone(),
                    s.class.clone(),
                    s.age_days.map_or_else(|| "?".to_owned(), days),
                    days(s.max_age_days),
                    s.state.name().to_owned(),
                    format!("{rotated}{native}"),
                ]);
            }
            Err(error) => rows.push([
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "error".to_owned(),
                error.to_string(),
            ]),
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        text.push_str("  ");
        for (i, cell) in row.iter().enumerate() {
            if i < 5 {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                text.push_str(cell);
            }
        }
        text = text.trim_end().to_owned();
        text.push('\n');
    }
    let counts = counts(results);
    text.push_str(&format!(
        "{} connection(s): {}\n",
        results.len(),
        counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(state, n)| format!("{n} {state}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    text
}

fn counts(results: &[StatusResult]) -> Vec<(&'static str, usize)> {
    let count = |state: State| {
        results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|s| s.state == state))
            .count()
    };
    vec![
        ("overdue", count(State::Overdue)),
        ("due", count(State::Due)),
        ("unknown", count(State::Unknown)),
        ("never-rotated", count(State::NeverRotated)),
        ("ok", count(State::Ok)),
        ("error", results.iter().filter(|r| r.is_err()).count()),
    ]
}

fn json_status(store: &str, results: &[StatusResult]) -> Value {
    let secrets: Vec<Value> = results
        .iter()
        .map(|r| match r {
            Ok(s) => serde_json::to_value(s).unwrap_or(Value::Null),
            Err(e) => json!({"state": "error", "error": e.to_string()}),
        })
        .collect();
    let summary: serde_json::Map<String, Value> = counts(results)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    json!({
        "command": "rotate status",
        "store": store,
        "generated_at": airseal_stores::time::now(),
        "secrets": secrets,
        "summary": summary,
    })
}

/// The rules of the status SARIF: one per state worth a result.
const STATUS_RULES: [(&str, State, &str, &str); 4] = [
    (
        "ROT001",
        State::Overdue,
        "error",
        "Credential older than its rotation policy allows",
    ),
    (
        "ROT002",
        State::Due,
        "warning",
        "Credential due for rotation",
    ),
    (
        "ROT003",
        State::Unknown,
        "warning",
        "Credential age unknown",
    ),
    (
        "ROT004",
        State::NeverRotated,
        "note",
        "Credential never rotated",
    ),
];

fn sarif_status(store: &str, results: &[StatusResult]) -> Value {
    let rules: Vec<Value> = STATUS_RULES
        .iter()
        .map(|(code, state, level, text)| {
            json!({
                "id": code,
                "name": state.name(),
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": level},
            })
        })
        .collect();
    let mut sarif_results = Vec::new();
    for result in results {
        let Ok(s) = result else { continue };
        let Some((index, (code, _, level, _))) = STATUS_RULES
            .iter()
            .enumerate()
            .find(|(_, (_, state, _, _))| *state == s.state)
        else {
            continue;
        };
        let age = s.age_days.map_or_else(|| "unknown".to_owned(), days);
        sarif_results.push(json!({
            "ruleId": code,
            "ruleIndex": index,
            "level": level,
            "message": {"text": format!(
                "connection `{}` ({}) is {} days old against a {} maximum (class `{}`): {}",
                s.id, s.name, age, days(s.max_age_days), s.class, s.state.name()
            )},
            "locations": [{"logicalLocations": [{
                "name": s.name,
                "fullyQualifiedName": format!("{store}/{}", s.name),
                "kind": "resource",
            }]}],
            "properties": {
                "connection": s.id,
                "class": s.class,
                "ageDays": s.age_days,
                "maxAgeDays": s.max_age_days,
                "lastRotated": s.last_rotated,
            },
        }));
    }
    let notifications: Vec<Value> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| json!({"level": "error", "message": {"text": e.to_string()}}))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "airseal",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/airseal/airseal",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": sarif_results,
        }],
    })
}

// ---------------------------------------------------------------------------------------------
// run

fn run_rotate(args: &RotateRunArgs) -> anyhow::Result<ExitStatus> {
    let strategy = Strategy::parse(&args.strategy).with_context(|| {
        format!(
            "--strategy `{}`: use single-user or alternating-users",
            args.strategy
        )
    })?;
    anyhow::ensure!(
        strategy == Strategy::SingleUser || args.master.is_some(),
        "--strategy alternating-users needs --master CONN_ID, a connection that may create and alter roles"
    );
    let (settings, _) = policy(&args.policy)?;
    let store = open(&args.store)?;
    let staged = staged(store.as_ref())?;
    let log = audit_log(args.audit_log.as_deref(), &settings)?;
    let store_name = store.describe();

    let mut skipped: Vec<(String, String)> = Vec::new();
    let ids: Vec<String> = if args.due {
        let mut due = Vec::new();
        for result in status::gather(store.as_ref(), &settings, &[], now())? {
            match result {
                Ok(s) if s.state.rank() < State::Due.rank() => {}
                Ok(s) => {
                    let rotatable = s.conn_type.as_deref().is_some_and(|t| {
                        Engine::of(&airseal_connection::Connection {
                            conn_type: Some(t.to_owned()),
                            ..Default::default()
                        })
                        .is_some()
                    });
                    if s.rotation_enabled == Some(true) {
                        skipped.push((
                            s.id,
                            "Secrets Manager rotates it with its own Lambda".to_owned(),
                        ));
                    } else if Some(s.id.as_str()) == args.master.as_deref() {
                        skipped.push((s.id, "the master connection is not rotated with the connections it serves; rotate it on its own".to_owned()));
                    } else if rotatable {
                        due.push(s.id);
                    } else {
                        skipped.push((
                            s.id,
                            format!(
                                "{}: conn_type `{}` is not a database airseal rotates",
                                s.state.name(),
                                s.conn_type.unwrap_or_default()
                            ),
                        ));
                    }
                }
                Err(error) => skipped.push((String::new(), error.to_string())),
            }
        }
        due
    } else {
        args.ids.clone()
    };
    anyhow::ensure!(
        args.token.is_none() || ids.len() == 1,
        "--token names one rotation: pass exactly one connection id with it"
    );

    let master = match &args.master {
        Some(master_id) => Some(
            staged
                .current(master_id)?
                .with_context(|| format!("--master `{master_id}` is not in {store_name}"))?
                .connection,
        ),
        None => None,
    };

    let mut results: Vec<(String, Result<RotationReport, RotationError>)> = Vec::new();
    for id in &ids {
        let mut started = AuditRecord::new("rotation-started", id, &store_name);
        started.strategy = Some(strategy.name().to_owned());
        log.append(&started)?;
        let request = Request {
            id,
            strategy,
            master: master.as_ref(),
            token: args.token.as_deref(),
            password: &settings.password,
        };
        let result = match natively_rotated(store.as_ref(), id) {
            Some(lambda) => Err(RotationError::Unrotatable {
                id: id.clone(),
                message: format!(
                    "Secrets Manager rotates it with {lambda}; airseal does not rotate it as well (two rotations would race): turn that off with `aws secretsmanager cancel-rotate-secret` to let airseal rotate it"
                ),
            }),
            None => protocol::rotate(staged, &airseal_rotation::database::open, &request),
        };
        let mut finished = AuditRecord::new("rotation-finished", id, &store_name);
        finished.strategy = Some(strategy.name().to_owned());
        match &result {
            Ok(report) => {
                finished.token = Some(report.token.clone());
                finished.from_version = report.from_version.clone();
                finished.user_before = Some(report.user_before.clone());
                finished.user_after = Some(report.user_after.clone());
                finished.outcome = Some(report.outcome.name().to_owned());
                finished.steps = report.steps.iter().map(|s| (*s).to_owned()).collect();
            }
            Err(error) => {
                finished.event = "rotation-failed".to_owned();
                finished.outcome = Some("failed".to_owned());
                finished.error = Some(error.to_string());
            }
        }
        log.append(&finished)?;
        results.push((id.clone(), result));
    }

    let failed = results.iter().any(|(_, r)| r.is_err());
    let mut out = std::io::stdout().lock();
    match args.format {
        DoctorFormat::Human => {
            writeln!(out, "rotation in {store_name} ({})", strategy.name())?;
            for (id, result) in &results {
                match result {
                    Ok(report) => writeln!(
                        out,
                        "  {:<9} {id}: {} -> version {}{}",
                        report.outcome.name(),
                        if report.user_before == report.user_after {
                            format!("user `{}`", report.user_after)
                        } else {
                            format!("user `{}` -> `{}`", report.user_before, report.user_after)
                        },
                        report.token,
                        if report.steps.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", report.steps.join(", "))
                        }
                    )?,
                    Err(error) => writeln!(out, "  failed    {id}: {error}")?,
                }
            }
            for (id, why) in &skipped {
                writeln!(out, "  skipped   {id}: {why}")?;
            }
            if ids.is_empty() && skipped.is_empty() {
                writeln!(out, "  nothing is due")?;
            }
            writeln!(out, "audit log: {}", airseal_migrate::display(log.path()))?;
        }
        DoctorFormat::Json => {
            let items: Vec<Value> = results
                .iter()
                .map(|(id, result)| match result {
                    Ok(r) => json!({
                        "id": id,
                        "outcome": r.outcome.name(),
                        "strategy": r.strategy.name(),
                        "token": r.token,
                        "from_version": r.from_version,
                        "user_before": r.user_before,
                        "user_after": r.user_after,
                        "steps": r.steps,
                    }),
                    Err(e) => json!({"id": id, "outcome": "failed", "error": e.to_string()}),
                })
                .collect();
            let skipped: Vec<Value> = skipped
                .iter()
                .map(|(id, why)| json!({"id": id, "reason": why}))
                .collect();
            let report = json!({
                "command": "rotate run",
                "store": store_name,
                "results": items,
                "skipped": skipped,
                "audit_log": log.path().display().to_string(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
    }
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// The Lambda that rotates `id` when Secrets Manager's own rotation is on for it.
fn natively_rotated(store: &dyn SecretStore, id: &str) -> Option<String> {
    let metadata = store
        .metadata(airseal_stores::SecretKind::Connection, id)
        .ok()
        .flatten()?;
    (metadata.rotation_enabled == Some(true)).then(|| {
        metadata
            .rotation_lambda
            .unwrap_or_else(|| "a rotation Lambda".to_owned())
    })
}

// ---------------------------------------------------------------------------------------------
// schedule

fn run_schedule(args: &RotateScheduleArgs) -> anyhow::Result<ExitStatus> {
    anyhow::ensure!(
        Strategy::parse(&args.strategy).is_some(),
        "--strategy `{}`: use single-user or alternating-users",
        args.strategy
    );
    if let Some(kwargs) = &args.backend_kwargs {
        airseal_migrate::parse_kwargs(kwargs)?;
    }
    if let Some(to) = &args.to {
        airseal_migrate::Target::parse(to)?;
    }
    let mut run_args = Vec::new();
    let mut pass = |flag: &str, value: &Option<String>| {
        if let Some(value) = value {
            run_args.push(flag.to_owned());
            run_args.push(value.clone());
        }
    };
    pass("--to", &args.to);
    pass("--backend-kwargs", &args.backend_kwargs);
    pass("--region", &args.region);
    pass("--master", &args.master);
    run_args.push("--strategy".to_owned());
    run_args.push(args.strategy.clone());
    let default_name = match args.emit {
        ScheduleEmit::AirflowDag => "airseal_rotate_due",
        ScheduleEmit::K8sCronjob => "airseal-rotate",
    };
    let spec = ScheduleSpec {
        airseal: args.airseal.clone(),
        run_args,
        schedule: args.schedule.clone(),
        name: args.name.clone().unwrap_or_else(|| default_name.to_owned()),
        image: args.image.clone(),
        service_account: args.service_account.clone(),
        namespace: args.namespace.clone(),
    };
    let text = match args.emit {
        ScheduleEmit::AirflowDag => schedule::airflow_dag(&spec),
        ScheduleEmit::K8sCronjob => schedule::k8s_cronjob(&spec).map_err(anyhow::Error::msg)?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------------------------------------
// enable

fn run_enable(args: &RotateEnableArgs) -> anyhow::Result<ExitStatus> {
    let after_days = args
        .every
        .as_deref()
        .map(|every| {
            let seconds = parse_duration(every).map_err(|e| anyhow::anyhow!("--every: {e}"))?;
            anyhow::ensure!(
                seconds % 86_400 == 0 && (1..=1000).contains(&(seconds / 86_400)),
                "--every: Secrets Manager rotates every 1 to 1000 whole days"
            );
            Ok((seconds / 86_400) as i64)
        })
        .transpose()?;
    anyhow::ensure!(
        args.lambda_arn.starts_with("arn:") && args.lambda_arn.contains(":lambda:"),
        "--lambda-arn `{}` is not a Lambda function ARN",
        args.lambda_arn
    );
    let rotation = NativeRotation {
        lambda_arn: args.lambda_arn.clone(),
        after_days,
        schedule_expression: args.schedule_expression.clone(),
        window: args.window.clone(),
        rotate_immediately: args.rotate_immediately,
    };
    let store = open(&args.store)?;
    let staged = staged(store.as_ref())?;
    let settings = RotationSettings::default();
    let log = audit_log(args.audit_log.as_deref(), &settings)?;
    let store_name = store.describe();
    let mut results: Vec<(String, Result<(), StoreError>)> = Vec::new();
    for id in &args.ids {
        let result = staged.enable_native_rotation(id, &rotation);
        let mut record = AuditRecord::new("rotation-enabled", id, &store_name);
        match &result {
            Ok(()) => record.outcome = Some("enabled".to_owned()),
            Err(e) => {
                record.outcome = Some("failed".to_owned());
                record.error = Some(e.to_string());
            }
        }
        log.append(&record)?;
        results.push((id.clone(), result));
    }
    let failed = results.iter().any(|(_, r)| r.is_err());
    let mut out = std::io::stdout().lock();
    match args.format {
        DoctorFormat::Human => {
            for (id, result) in &results {
                match result {
                    Ok(()) => writeln!(out, "  enabled   {id}: {} rotates it", args.lambda_arn)?,
                    Err(e) => writeln!(out, "  failed    {id}: {e}")?,
                }
            }
        }
        DoctorFormat::Json => {
            let items: Vec<Value> = results
                .iter()
                .map(|(id, r)| match r {
                    Ok(()) => json!({"id": id, "outcome": "enabled"}),
                    Err(e) => json!({"id": id, "outcome": "failed", "error": e.to_string()}),
                })
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(
                    &json!({"command": "rotate enable", "store": store_name, "results": items})
                )?
            )?;
        }
    }
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
