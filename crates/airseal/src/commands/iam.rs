//! `airseal iam policy`: the least-privilege policy of Airflow's secrets reader role.

use std::io::Write;

use airseal_iam::{Backend, ReaderPolicy};

use crate::ExitStatus;
use crate::args::{IamBackend, IamCommand};
use crate::output::open_output;

pub fn run(command: IamCommand) -> anyhow::Result<ExitStatus> {
    match command {
        IamCommand::Lint { paths, format } => {
            use clap::Parser;
            let mut argv = vec![
                "airseal".into(),
                "scan".into(),
                "--select".into(),
                "IAM".into(),
                "--format".into(),
                format_name(format).into(),
            ];
            argv.extend(paths.into_iter().map(std::path::PathBuf::into_os_string));
            let cli = crate::args::Cli::try_parse_from(argv)?;
            match cli.command {
                crate::args::Command::Scan(args) => super::scan::run(&args),
                _ => anyhow::bail!("internal: `iam lint` did not build a scan"),
            }
        }
        IamCommand::Policy {
            backend,
            region,
            account,
            partition,
            prefixes,
            kms_keys,
        } => {
            let backend = match backend {
                IamBackend::SecretsManager => Backend::SecretsManager,
                IamBackend::Ssm => Backend::ParameterStore,
            };
            let prefixes = if prefixes.is_empty() {
                backend
                    .default_prefixes()
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect()
            } else {
                prefixes
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
