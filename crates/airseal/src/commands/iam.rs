//! `airseal iam policy`: the least-privilege policy of Airflow's secrets reader role.

use std::io::Write;

use airseal_iam::{Backend, ReaderPolicy};

use crate::ExitStatus;
use crate::args::{IamBackend, IamCommand};
use crate::output::open_output;

pub fn run(command: IamCommand) -> anyhow::Result<ExitStatus> {
    match command {
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
