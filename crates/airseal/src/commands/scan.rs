use std::sync::Arc;

use airseal_engine::{ScanOutcome, ScanProgress};
use airseal_report::{Format, Report, Summary};

use crate::ExitStatus;
use crate::args::ScanArgs;
use crate::output::{open_output, stderr_line};
use crate::progress::ProgressDisplay;
use crate::setup::{ScanSetup, scan_setup};

/// Warnings printed to stderr before the rest are only counted (all are in JSON output).
const WARNINGS_SHOWN: usize = 20;

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitStatus> {
    let setup = scan_setup(&args.scan, args.baseline.as_deref())?;
    let outcome = execute(&setup, !args.quiet)?;
    if !args.quiet {
        print_warnings(&outcome, args.verbose);
    }
    let rules = setup.scanner.rules();
    let summary = summary(&outcome);
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        findings: &outcome.findings,
        rules: &rules,
        warnings: &outcome.warnings,
        summary: &summary,
        show_secrets: args.show_secrets,
    };
    let mut out = open_output(args.output.as_deref())?;
    Format::from(args.format)
        .reporter()
        .write_report(&report, &mut out)?;
    out.flush()?;
    let fail_on = args.fail_on.map_or(setup.fail_on, Into::into);
    Ok(if outcome.findings.iter().any(|f| f.severity >= fail_on) {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// Runs the scan with a progress display on stderr.
pub fn execute(setup: &ScanSetup, show_progress: bool) -> anyhow::Result<ScanOutcome> {
    let progress = Arc::new(ScanProgress::default());
    let display = ProgressDisplay::start(Arc::clone(&progress), show_progress);
    let outcome = setup.scanner.scan(&setup.discovery, &progress);
    drop(display);
    Ok(outcome?)
}

pub fn summary(outcome: &ScanOutcome) -> Summary {
    Summary {
        files_scanned: outcome.stats.files_scanned,
        bytes_scanned: outcome.stats.bytes_scanned,
        suppressed_inline: outcome.suppressed_inline,
        suppressed_by_config: outcome.suppressed_by_config,
        baselined: outcome.baselined,
        skipped_binary: outcome.stats.skipped_binary,
        skipped_too_large: outcome.stats.skipped_too_large,
    }
}

pub fn print_warnings(outcome: &ScanOutcome, verbose: bool) {
    let shown = if verbose {
        outcome.warnings.len()
    } else {
        WARNINGS_SHOWN
    };
    for warning in outcome.warnings.iter().take(shown) {
        stderr_line(&format!("warning: {warning}"));
    }
    if outcome.warnings.len() > shown {
        stderr_line(&format!(
            "warning: … and {} more warnings (--verbose shows all; --format json lists them)",
            outcome.warnings.len() - shown
        ));
    }
}

use std::io::Write as _;
