//! `airseal helm externalize | post-render | lint`.
//!
//! externalize: exit 0 when every secret is externalized and the merged values are clean (and
//! schema-valid when a schema is given), 1 when something is left or could not be written, 2
//! when nothing could run. post-render and lint: 0 clean, 1 a secret at or above --fail-on.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use airseal_discovery::SourceFile;
use airseal_engine::ScanOutcome;
use airseal_finding::Severity;
use airseal_helm::{Externalized, Method, Options, Provider, ProviderSettings};
use airseal_migrate::plan::{self, Item};
use airseal_migrate::sources::Sources;
use airseal_migrate::{StoreOptions, Target};
use airseal_report::{Format, Report};
use airseal_stores::ConnectionForm;
use anyhow::Context as _;
use serde_json::{Value, json};

use crate::ExitStatus;
use crate::args::{
    ChartArg, DoctorFormat, HelmCommand, HelmExternalizeArgs, HelmLintArgs, HelmPostRenderArgs,
    ScanOptions,
};
use crate::output::stderr_line;
use crate::setup::{ScanSetup, scan_setup};

pub fn run(command: HelmCommand) -> anyhow::Result<ExitStatus> {
    match command {
        HelmCommand::Externalize(args) => externalize(&args),
        HelmCommand::PostRender(args) => post_render(&args),
        HelmCommand::Lint(args) => lint(&args),
    }
}

/// Rules left out when judging values files: the generic KEY9xx assignment rules mistake the
/// charts' Secret *names* (`existingSecret: airflow-db-1`) for secrets (docs/accuracy.md: 80%
/// precision on the charts' values); the chart rules (HLM, CFG, KUB) judge every chart key and
/// the specific credential rules any value.
const VALUES_IGNORE: &[&str] = &["KEY9"];

/// The rules that mean "a secret in plain text" (not advice like HLM004 / HLM005).
fn is_secret_finding(code: &str) -> bool {
    !matches!(code, "HLM004" | "HLM005" | "CFG003" | "CFG004")
}

/// Scans one text as the scan command would scan a file of that name.
/// The scanner for helm's texts: built once per command (config, rules and detectors), then
/// run on each text with [`scan_text`].
fn text_scanner(chart: Option<ChartArg>, ignore: &[&str]) -> anyhow::Result<ScanSetup> {
    let options = ScanOptions {
        paths: vec![PathBuf::from(".")],
        config: None,
        select: Vec::new(),
        ignore: ignore.iter().map(|s| (*s).to_owned()).collect(),
        exclude: Vec::new(),
        no_ignore: true,
        no_follow: true,
        max_file_size: None,
        threads: 1,
        chart,
        iam_from: None,
    };
    scan_setup(&options, None)
}

/// Scans one text as the scan command would scan a file of that name.
fn scan_text(setup: &ScanSetup, display: &str, text: &[u8]) -> ScanOutcome {
    let mut outcome = ScanOutcome::default();
    setup.scanner.analyze_file(
        &SourceFile {
            path: Path::new(display),
            display_path: display,
            bytes: text,
        },
        &mut outcome,
    );
    outcome.stats.files_scanned = 1;
    outcome.stats.bytes_scanned = text.len() as u64;
    outcome
        .findings
        .retain(|f| is_secret_finding(f.code.as_str()));
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
}

fn write_report(
    outcome: &ScanOutcome,
    out: &mut dyn Write,
    show_secrets: bool,
) -> anyhow::Result<()> {
    let summary = super::scan::summary(outcome);
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        findings: &outcome.findings,
        rules: &[],
        warnings: &outcome.warnings,
        summary: &summary,
        show_secrets,
    };
    Format::Human.reporter().write_report(&report, out)?;
    Ok(())
}

fn post_render(args: &HelmPostRenderArgs) -> anyhow::Result<ExitStatus> {
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut input)
        .context("reading the rendered manifests from stdin")?;
    // Helm installs what the post-renderer prints: the manifests go out unchanged, whatever
    // the verdict, and the verdict is the exit code.
    {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&input)?;
        stdout.flush()?;
    }
    let outcome = scan_text(&text_scanner(None, &[])?, "rendered-manifests.yaml", &input);
    for warning in &outcome.warnings {
        stderr_line(&format!("airseal post-render: warning: {warning}"));
    }
    let fail_on: Severity = args.fail_on.into();
    let failing = outcome
        .findings
        .iter()
        .filter(|f| f.severity >= fail_on)
        .count();
    if outcome.findings.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let mut report = Vec::new();
    write_report(&outcome, &mut report, args.show_secrets)?;
    if failing > 0 {
        writeln!(
            report,
            "airseal post-render: {failing} plain-text secret(s) at or above {fail_on} in the rendered manifests; the install is refused (`airseal helm externalize` moves them out of the values)"
        )?;
    }
    if let Some(path) = &args.report {
        // Plain text in the file: no terminal colours.
        let plain = anstream::adapter::strip_str(&String::from_utf8_lossy(&report)).to_string();
        std::fs::write(path, plain)
            .with_context(|| format!("--report {}: cannot write", path.display()))?;
    }
    let mut stderr = anstream::stderr().lock();
    stderr.write_all(&report)?;
    Ok(if failing > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn lint(args: &HelmLintArgs) -> anyhow::Result<ExitStatus> {
    let fail_on: Severity = args.fail_on.into();
    let mut worst = ExitStatus::Success;
    let mut stdout = anstream::stdout().lock();
    let scanner = text_scanner(args.chart, VALUES_IGNORE)?;
    for path in &args.values {
        let text =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let display = path.display().to_string();
        let outcome = scan_text(&scanner, &display, &text);
        write_report(&outcome, &mut stdout, false)?;
        if outcome.findings.iter().any(|f| f.severity >= fail_on) {
            worst = ExitStatus::Findings;
        }
    }
    Ok(worst)
}

fn target_of(provider: Provider) -> Option<Target> {
    match provider {
        Provider::AwsSecretsManager => Some(Target::AwsSecretsManager),
        Provider::AwsParameterStore => Some(Target::AwsParameterStore),
        Provider::Vault => Some(Target::Vault),
        Provider::AzureKeyVault | Provider::GcpSecretManager => None,
    }
}

fn externalize(args: &HelmExternalizeArgs) -> anyhow::Result<ExitStatus> {
    let provider = Provider::parse(&args.provider).with_context(|| {
        format!(
            "--provider {}: use aws-secrets-manager, aws-ssm, vault, azure-key-vault or gcp-secret-manager",
            args.provider
        )
    })?;
    let method = Method::parse(&args.method)
        .with_context(|| format!("--method {}: use external-secrets or csi", args.method))?;
    let target = target_of(provider);
    anyhow::ensure!(
        target.is_some() || args.plan_only,
        "airseal has no {} store to write to (only its naming): run with --plan-only, then create the secrets the plan lists with the provider's own tools",
        provider.title()
    );
    let display = airseal_migrate::display(&args.values);
    let text = std::fs::read_to_string(&args.values)
        .with_context(|| format!("{display}: cannot read (a values file is UTF-8 YAML)"))?;
    let values = airseal_helm::parse_values(&display, &text)?;
    let chart = airseal_helm::chart_of(&display, &text, args.chart.map(Into::into))?;
    let mut kwargs = provider.default_kwargs();
    if let Some(given) = &args.backend_kwargs {
        for (key, value) in airseal_migrate::parse_kwargs(given)? {
            kwargs.insert(key, value);
        }
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let options = Options {
        chart,
        provider,
        method,
        release: args.release.clone(),
        namespace: args.namespace.clone(),
        store: args
            .store
            .clone()
            .unwrap_or_else(|| format!("{}-{}", args.release, provider.code())),
        kwargs: kwargs.clone(),
        direct_backend: args.direct_backend,
        settings: ProviderSettings {
            region: args.region.clone().or_else(|| env("AWS_REGION")),
            vault_addr: args.vault_addr.clone().or_else(|| env("VAULT_ADDR")),
            vault_role: args.vault_role.clone(),
            azure_vault_url: args.azure_vault_url.clone(),
            azure_tenant_id: args.azure_tenant_id.clone(),
            gcp_project: args.gcp_project.clone(),
            identity: args.identity.clone(),
        },
        refresh_interval: args.refresh_interval.clone(),
    };
    let result = airseal_helm::externalize(&display, &values, &options);
    let unexpected = airseal_helm::unexpected_changes(&values, &result);
    anyhow::ensure!(
        unexpected.is_empty(),
        "internal error: the overlay would change values that are not secrets ({}); nothing was written",
        unexpected
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The proof: scan the values as Helm will merge them.
    let merged_text = serde_yaml_ng::to_string(&result.merged)?;
    let merged_name = format!("{display} + values-airseal.yaml");
    let scanner = text_scanner(Some(chart_arg(chart)), VALUES_IGNORE)?;
    let left = scan_text(&scanner, &merged_name, merged_text.as_bytes());
    let schema_errors = match &args.values_schema {
        Some(path) => validate_values(path, &result.merged)?,
        None => Vec::new(),
    };

    // The store: plan (and apply) through airseal migrate, unless --plan-only.
    let sources = Sources {
        secrets: result
            .slots
            .iter()
            .filter_map(|s| s.migrate.clone())
            .collect(),
        problems: Vec::new(),
    };
    let (items, store_name, applied) = match (&target, args.plan_only) {
        (Some(target), false) => {
            let store_options = StoreOptions {
                form: ConnectionForm::Json,
                kms_key_id: args.kms_key_id.clone(),
                region: args.region.clone(),
                profile: args.profile.clone(),
                endpoint_url: None,
                max_attempts: None,
            };
            let store = airseal_migrate::open_store(target, &kwargs, &store_options)?;
            let concurrency = usize::from(args.concurrency);
            let plan = plan::plan(&sources, store.as_ref(), args.overwrite, concurrency);
            let items = plan::apply(&plan, store.as_ref(), args.overwrite, concurrency, &|_| {});
            (items, store.describe(), true)
        }
        _ => (
            unread_plan(&result, &sources),
            provider.title().to_owned(),
            false,
        ),
    };

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    let written = write_outputs(args, &options, &result, &items)?;

    let store_failed = items.iter().any(|i| super::migrate::blocks(i.action));
    let failed = store_failed
        || !result.problems.is_empty()
        || !left.findings.is_empty()
        || !schema_errors.is_empty();
    let mut out = std::io::stdout().lock();
    match args.format {
        DoctorFormat::Json => {
            let report = json!({
                "command": "helm externalize",
                "chart": chart.name(),
                "provider": provider.code(),
                "method": method.code(),
                "slots": result.slots.iter().map(slot_json).collect::<Vec<_>>(),
                "store": {"name": store_name, "applied": applied, "items": items, "summary": super::migrate::summary(&items)},
                "problems": result.problems,
                "notes": result.notes,
                "left_after_merge": left.findings.iter().map(|f| json!({"code": f.code.as_str(), "line": f.location.line, "message": f.message})).collect::<Vec<_>>(),
                "schema_errors": schema_errors,
                "files": written,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        DoctorFormat::Human => {
            write!(
                out,
                "{}",
                human(
                    &result,
                    &display,
                    &items,
                    &store_name,
                    applied,
                    &written,
                    &schema_errors
                )
            )?;
            if !left.findings.is_empty() {
                writeln!(out, "\nStill in plain text after the merge:")?;
                write_report(&left, &mut out, false)?;
            } else {
                writeln!(
                    out,
                    "\nScanned the merged values: no secret left in plain text."
                )?;
            }
        }
    }
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn chart_arg(chart: airseal_deployment::Chart) -> ChartArg {
    match chart {
        airseal_deployment::Chart::UserCommunity => ChartArg::UserCommunity,
        airseal_deployment::Chart::Official => ChartArg::Official,
    }
}

/// With --plan-only the store is not read: every secret is listed as one to write.
fn unread_plan(result: &Externalized, sources: &Sources) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for secret in &sources.secrets {
        let fingerprint = secret.value.fingerprint(secret.kind, &secret.id);
        let name = result
            .slots
            .iter()
            .find(|s| {
                s.migrate
                    .as_ref()
                    .is_some_and(|m| m.kind == secret.kind && m.id == secret.id)
            })
            .map(|s| s.remote.name.clone());
        if let Some(existing) = items
            .iter_mut()
            .find(|i| i.kind == secret.kind.name() && i.id == secret.id)
        {
            if existing.fingerprint != fingerprint {
                existing.action = plan::Action::Invalid;
                existing.reason = Some("the values give this id two different values".to_owned());
            }
            existing.sources.push(secret.written_as.clone());
            continue;
        }
        items.push(Item {
            kind: secret.kind.name(),
            id: secret.id.clone(),
            name,
            action: plan::Action::Create,
            fingerprint,
            stored_fingerprint: None,
            sources: vec![secret.written_as.clone()],
            reason: Some("not compared with the store (--plan-only)".to_owned()),
        });
    }
    items
}

fn slot_json(slot: &airseal_helm::Slot) -> Value {
    json!({
        "path": slot.path.to_string(),
        "what": slot.what,
        "secret": slot.target.as_ref().map(|t| json!({"name": t.name, "key": t.key})),
        "remote": {"provider": slot.remote.provider.code(), "name": slot.remote.name, "property": slot.remote.property},
        "reference": slot.migrate.is_none(),
    })
}

/// Writes the overlay, the manifests and the plan; returns the paths written.
fn write_outputs(
    args: &HelmExternalizeArgs,
    options: &Options,
    result: &Externalized,
    items: &[Item],
) -> anyhow::Result<Vec<String>> {
    let mut written = Vec::new();
    let mut write = |name: &str, text: String| -> anyhow::Result<()> {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        written.push(path.display().to_string());
        Ok(())
    };
    let header = format!(
        "# Written by airseal helm externalize from {}: pass it after the original values,\n# helm upgrade ... -f {} -f values-airseal.yaml\n",
        args.values.display(),
        args.values.display()
    );
    write(
        "values-airseal.yaml",
        header + &serde_yaml_ng::to_string(&result.overlay)?,
    )?;
    if !result.manifests.is_empty() {
        let name = match options.method {
            Method::ExternalSecrets => "external-secrets.yaml",
            Method::Csi => "secret-provider-class.yaml",
        };
        let mut text = String::new();
        for manifest in &result.manifests {
            text.push_str("---\n");
            text.push_str(&serde_yaml_ng::to_string(manifest)?);
        }
        write(name, text)?;
    }
    write(
        "migration-plan.json",
        serde_json::to_string_pretty(&json!({"items": items}))? + "\n",
    )?;
    if let Some(policy) = reader_policy(args, options)? {
        write(
            "iam-policy.json",
            serde_json::to_string_pretty(&policy)? + "\n",
        )?;
    }
    Ok(written)
}

/// The reader role's policy when pods read AWS themselves (direct backend or CSI) and the
/// account and region are known (`airseal iam policy` with the same prefixes).
fn reader_policy(args: &HelmExternalizeArgs, options: &Options) -> anyhow::Result<Option<Value>> {
    let backend = match options.provider {
        Provider::AwsSecretsManager => airseal_iam::Backend::SecretsManager,
        Provider::AwsParameterStore => airseal_iam::Backend::ParameterStore,
        _ => return Ok(None),
    };
    if !(options.direct_backend || options.method == Method::Csi) {
        return Ok(None);
    }
    let (Some(account), Some(region)) = (&args.account, &options.settings.region) else {
        return Ok(None);
    };
    let prefixes: Vec<String> = ["connections_prefix", "variables_prefix", "config_prefix"]
        .iter()
        .filter_map(|k| {
            options
                .kwargs
                .get(*k)
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let policy = airseal_iam::ReaderPolicy {
        backend,
        partition: "aws".to_owned(),
        region: region.clone(),
        account: account.clone(),
        prefixes,
        kms_keys: args
            .kms_key_id
            .iter()
            .filter(|k| k.starts_with("arn:"))
            .cloned()
            .collect(),
    };
    Ok(Some(policy.document()?))
}

fn validate_values(
    schema_path: &Path,
    merged: &serde_yaml_ng::Value,
) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(schema_path)
        .with_context(|| format!("--values-schema {}: cannot read", schema_path.display()))?;
    let schema: Value = serde_json::from_str(&text)
        .with_context(|| format!("--values-schema {}: not JSON", schema_path.display()))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| anyhow::anyhow!("--values-schema {}: {e}", schema_path.display()))?;
    let instance: Value = serde_json::to_value(merged)?;
    // Messages name the failing path and keyword, never the instance (which may be a secret
    // the schema rejected).
    Ok(validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {}", e.instance_path(), e.kind().keyword()))
        .collect())
}

fn human(
    result: &Externalized,
    display: &str,
    items: &[Item],
    store: &str,
    applied: bool,
    written: &[String],
    schema_errors: &[String],
) -> String {
    let mut out = format!("{display} ({}):\n", result.chart.name());
    if result.slots.is_empty() {
        out.push_str("  no plain-text secret or airseal: reference at a chart secret key\n");
    }
    for slot in &result.slots {
        let secret = slot.target.as_ref().map_or_else(
            || "read by Airflow's backend".to_owned(),
            |t| format!("Secret {} key {}", t.name, t.key),
        );
        let remote = match &slot.remote.property {
            Some(p) => format!("{}#{p}", slot.remote.name),
            None => slot.remote.name.clone(),
        };
        let how = if slot.migrate.is_some() {
            "moved to"
        } else {
            "reference to"
        };
        out.push_str(&format!(
            "  {}: {} → {secret} ← {how} {remote}\n",
            slot.path, slot.what
        ));
    }
    out.push_str(&format!(
        "\n{} {store}:\n",
        if applied {
            "Written to"
        } else {
            "To write to (not read: --plan-only)"
        }
    ));
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for item in sorted {
        out.push_str(&format!(
            "  {:<9} {} {}  sha256:{}{}\n",
            super::migrate::action_name(item.action),
            item.kind,
            item.name.as_deref().unwrap_or(&item.id),
            &item.fingerprint[..12.min(item.fingerprint.len())],
            item.reason
                .as_deref()
                .map(|r| format!("  ({r})"))
                .unwrap_or_default()
        ));
    }
    if !result.problems.is_empty() {
        out.push_str("\nNot externalized:\n");
        for problem in &result.problems {
            out.push_str(&format!(
                "  {display}: {}: {}\n",
                problem.path, problem.message
            ));
        }
    }
    if !result.notes.is_empty() {
        out.push_str("\nStill to do:\n");
        for note in &result.notes {
            out.push_str(&format!("  - {note}\n"));
        }
    }
    if !schema_errors.is_empty() {
        out.push_str("\nThe merged values do not validate against the chart's schema:\n");
        for error in schema_errors {
            out.push_str(&format!("  {error}\n"));
        }
    }
    out.push_str("\nWrote:\n");
    for path in written {
        out.push_str(&format!("  {path}\n"));
    }
    out
}
