use std::path::Path;

use airseal_engine::Baseline;

use crate::ExitStatus;
use crate::args::ScanOptions;
use crate::commands::scan::{execute, print_warnings};
use crate::output::stderr_line;
use crate::setup::scan_setup;

pub fn create(options: &ScanOptions, output: &Path) -> anyhow::Result<ExitStatus> {
    let setup = scan_setup(options, None)?;
    let outcome = execute(&setup, true)?;
    print_warnings(&outcome, false);
    let baseline = Baseline::from_findings(&outcome.findings);
    // Written beside the target and renamed over it, so an interrupted run keeps the old file.
    let tmp = output.with_extension("json.tmp");
    std::fs::write(&tmp, baseline.to_json())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, output)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    stderr_line(&format!(
        "wrote {} fingerprints ({} findings) to {}",
        baseline.len(),
        outcome.findings.len(),
        output.display()
    ));
    Ok(ExitStatus::Success)
}
