//! `airseal doctor`: the secrets-backend configuration checked, and where every connection and
//! Variable resolves from. Exit 1 when an error-level problem is found.

use std::io::Write;

use crate::ExitStatus;
use crate::args::{DoctorArgs, DoctorFormat};
use crate::output::open_output;

pub fn run(args: &DoctorArgs) -> anyhow::Result<ExitStatus> {
    let missing: Vec<String> = args
        .paths
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    anyhow::ensure!(
        missing.len() < args.paths.len(),
        "no such path: {}",
        missing.join(", ")
    );
    let diagnosis = airseal_doctor::diagnose(&args.paths, !args.no_ignore);
    let text = match args.format {
        DoctorFormat::Human => airseal_doctor::human(&diagnosis),
        DoctorFormat::Json => format!("{}\n", serde_json::to_string_pretty(&diagnosis)?),
    };
    let mut out = open_output(args.output.as_deref())?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if diagnosis.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
