//! `airseal iam policy`: the least-privilege policy of Airflow's secrets reader role.

use std::io::Write;

use airseal_iam::{Backend, ReaderPolicy};

use crate::ExitStatus;
use crate::args::{IamBackend, IamCommand};
use crate::output::open_output;

pub fn run(command: IamCommand) -> anyhow::Result<ExitStatus> {
    match command {
        IamCommand::Lint {
            paths,
            from,
            format,
        } => {
            use clap::Parser;
            let mut argv = vec![
                "airseal".into(),
                "scan".into(),
                "--select".into(),
                "IAM".into(),
                "--format".into(),
                format_name(format).into(),
            ];
            if let Some(from) = from {
                argv.push("--iam-from".into());
                argv.push(from.into_os_string());
            }
            argv.extend(paths.into_iter().map(std::path::PathBuf::into_os_string));
            let cli = crate::args::Cli::try_parse_from(argv)?;
            match cli.command {
                crate::args::Command::Scan(args) => super::scan::run(&args),
                _ => anyhow::bail!("internal: `iam lint` did not build a scan"),
            }
        }
        IamCommand::Policy {
            backend,
            from,
            region,
            account,
            partition,
            prefixes,
            kms_keys,
        } => {
            let configured = match &from {
                Some(path) => {
                    let diagnosis = airseal_doctor::diagnose(std::slice::from_ref(path), true);
                    let Some((kind, prefixes)) = diagnosis.aws_reader_scope() else {
                        anyhow::bail!(
                            "{}: no AWS Secrets Manager or SSM Parameter Store backend is configured there (`airseal doctor {}` shows what is)",
                            path.display(),
                            path.display()
                        );
                    };
                    let kind = match kind {
                        airseal_doctor::AwsBackend::SecretsManager => Backend::SecretsManager,
                        airseal_doctor::AwsBackend::ParameterStore => Backend::ParameterStore,
                    };
                    Some((kind, prefixes))
                }
                None => None,
            };
            let backend = match (backend, &configured) {
                (Some(IamBackend::SecretsManager), _) => Backend::SecretsManager,
                (Some(IamBackend::Ssm), _) => Backend::ParameterStore,
                (None, Some((kind, _))) => *kind,
                (None, None) => Backend::SecretsManager,
            };
            if let Some((kind, _)) = &configured {
                anyhow::ensure!(
                    *kind == backend,
                    "--backend contradicts the backend configured under --from"
                );
            }
            let prefixes = if !prefixes.is_empty() {
                prefixes
            } else if let Some((_, configured)) = configured {
                anyhow::ensure!(
                    !configured.is_empty(),
                    "the configured backend looks up nothing (every prefix is null)"
                );
                configured
            } else {
                backend
                    .default_prefixes()
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect()
            };
            let policy = ReaderPolicy {
                backend,
                partition,
                region,
                account,
                prefixes,
                kms_keys,
            };
            let document = policy.document()?;
            let mut out = open_output(None)?;
            serde_json::to_writer_pretty(&mut out, &document)?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(ExitStatus::Success)
        }
    }
}

fn format_name(format: crate::args::OutputFormat) -> &'static str {
    use crate::args::OutputFormat;
    match format {
        OutputFormat::Human => "human",
        OutputFormat::Json => "json",
        OutputFormat::Jsonl => "jsonl",
        OutputFormat::Sarif => "sarif",
        OutputFormat::Junit => "junit",
        OutputFormat::Github => "github",
    }
}
