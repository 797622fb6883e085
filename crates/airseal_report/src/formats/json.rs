use std::io::{self, Write};

use airseal_finding::{Finding, Warning};
use serde_json::{Map, Value, json};

use crate::{Report, Reporter};

/// `{"version", "findings", "summary", "warnings"}` — the contract other tools read.
pub struct JsonReporter;

/// One finding object per line, the same objects as in `json`.
pub struct JsonlReporter;

impl Reporter for JsonReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let document = json!({
            "version": report.version,
            "findings": report
                .findings
                .iter()
                .map(|f| finding_json(f, report.show_secrets))
                .collect::<Vec<_>>(),
            "summary": summary_json(report),
            "warnings": report.warnings.iter().map(warning_json).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}

impl Reporter for JsonlReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        for finding in report.findings {
            serde_json::to_writer(&mut *out, &finding_json(finding, report.show_secrets))?;
            writeln!(out)?;
        }
        Ok(())
    }
}

pub(crate) fn finding_json(finding: &Finding, show_secrets: bool) -> Value {
    let location = &finding.location;
    json!({
        "code": finding.code.as_str(),
        "name": finding.name,
        "severity": finding.severity.as_str(),
        "confidence": finding.confidence.as_str(),
        "path": finding.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
        "start_byte": location.start_byte,
        "end_byte": location.end_byte,
        "message": finding.message,
        "fingerprint": finding.fingerprint.as_str(),
        "secret": finding.reports_secret().then(|| finding.secret_for_output(show_secrets)),
        "fix": finding.fix,
    })
}

fn summary_json(report: &Report<'_>) -> Value {
    let summary = report.summary;
    let mut by_severity = Map::new();
    for (severity, count) in report.counts_by_severity() {
        by_severity.insert(severity.as_str().to_owned(), json!(count));
    }
    json!({
        "files_scanned": summary.files_scanned,
        "bytes_scanned": summary.bytes_scanned,
        "findings": report.findings.len(),
        "by_severity": by_severity,
        "suppressed": {
            "inline": summary.suppressed_inline,
            "config": summary.suppressed_by_config,
            "baseline": summary.baselined,
        },
        "skipped": {
            "binary": summary.skipped_binary,
            "too_large": summary.skipped_too_large,
        },
        "warnings": report.warnings.len(),
    })
}

fn warning_json(warning: &Warning) -> Value {
    json!({
        "path": warning.path,
        "line": warning.line,
        "kind": warning.kind.as_str(),
        "message": warning.message,
    })
}
