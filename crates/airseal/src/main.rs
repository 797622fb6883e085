//! The `airseal` binary: parses arguments, runs a command, maps the result to an exit code.
//! Everything else lives in the library crates.

mod args;
mod commands;
mod output;
mod progress;
mod setup;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes: 0 nothing at or above `--fail-on`, 1 findings, 2 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Findings,
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Findings => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are "errors" to clap but successes to the user.
            let status = if error.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
            let _ = error.print();
            return status.into();
        }
    };
    match commands::run(cli.command) {
        Ok(status) => status.into(),
        Err(error) if output::is_broken_pipe(&error) => ExitStatus::Success.into(),
        Err(error) => {
            output::print_error(&error);
            ExitStatus::Error.into()
        }
    }
}
