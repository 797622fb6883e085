mod baseline;
mod doctor;
mod helm;
mod iam;
pub(crate) mod migrate;
mod rotate;
mod rules;
mod scan;
mod watch;

pub(crate) use watch::rule_meta as watch_rule_meta;

use crate::ExitStatus;
use crate::args::{BaselineCommand, Command};

pub fn run(command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Scan(args) => scan::run(&args),
        Command::Baseline(BaselineCommand::Create { scan, output }) => {
            baseline::create(&scan, &output)
        }
        Command::Rules(args) => rules::run(&args),
        Command::Rule { code } => rules::show(&code),
        Command::Iam(command) => iam::run(command),
        Command::Doctor(args) => doctor::run(&args),
        Command::Migrate(command) => migrate::run(command),
        Command::Helm(command) => helm::run(command),
        Command::Rotate(command) => rotate::run(command),
        Command::Watch(command) => watch::run(command),
    }
}
