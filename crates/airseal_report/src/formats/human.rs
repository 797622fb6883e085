use std::io::{self, Write};

use airseal_finding::{Finding, Severity};
use anstyle::{AnsiColor, Style};

use crate::{Report, Reporter};

/// `path:line:col: CODE [severity] message`, a redacted code frame and a summary. Styles are
/// always written; the CLI's output stream strips them when stdout is not a terminal or
/// `NO_COLOR` is set.
pub struct HumanReporter;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

impl Reporter for HumanReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        for finding in report.findings {
            write_finding(out, finding, report.show_secrets)?;
        }
        write_summary(out, report)
    }
}

fn write_finding(out: &mut dyn Write, finding: &Finding, show_secrets: bool) -> io::Result<()> {
    let l = &finding.location;
    let style = severity_style(finding.severity);
    writeln!(
        out,
        "{BOLD}{}:{}:{}{BOLD:#}: {style}{} [{}]{style:#} {} {DIM}({}){DIM:#}",
        finding.path,
        l.line,
        l.column,
        finding.code,
        finding.severity,
        finding.message,
        finding.name
    )?;
    if let Some(source) = &finding.source_line {
        let number = source.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(out, "{DIM}{gutter} |{DIM:#}")?;
        writeln!(out, "{DIM}{number} |{DIM:#} {}", source.text)?;
        let pad = " ".repeat(source.highlight.start);
        let carets = "^".repeat(source.highlight.len().max(1));
        writeln!(out, "{DIM}{gutter} |{DIM:#} {pad}{style}{carets}{style:#}")?;
    }
    if show_secrets && finding.reports_secret() {
        writeln!(out, "  secret: {}", finding.secret_for_output(true))?;
    }
    if let Some(fix) = &finding.fix {
        writeln!(out, "  {BOLD}fix:{BOLD:#} {fix}")?;
    }
    writeln!(out)
}

fn write_summary(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let summary = report.summary;
    let total = report.findings.len();
    if total == 0 {
        writeln!(
            out,
            "{BOLD}No findings{BOLD:#} in {} files ({}).",
            summary.files_scanned,
            human_bytes(summary.bytes_scanned)
        )?;
    } else {
        let counts: Vec<String> = report
            .counts_by_severity()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| {
                let style = severity_style(*s);
                format!("{style}{n} {s}{style:#}")
            })
            .collect();
        writeln!(
            out,
            "{BOLD}Found {total} {}{BOLD:#} ({}) in {} of {} files scanned ({}).",
            if total == 1 { "finding" } else { "findings" },
            counts.join(", "),
            report.files_with_findings(),
            summary.files_scanned,
            human_bytes(summary.bytes_scanned)
        )?;
    }
    let mut notes = Vec::new();
    if summary.suppressed_inline > 0 {
        notes.push(format!("{} suppressed inline", summary.suppressed_inline));
    }
    if summary.suppressed_by_config > 0 {
        notes.push(format!(
            "{} ignored by configuration",
            summary.suppressed_by_config
        ));
    }
    if summary.baselined > 0 {
        notes.push(format!("{} in the baseline", summary.baselined));
    }
    if !report.warnings.is_empty() {
        notes.push(format!("{} warnings on stderr", report.warnings.len()));
    }
    if !notes.is_empty() {
        writeln!(out, "{DIM}{}.{DIM:#}", notes.join("; "))?;
    }
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
