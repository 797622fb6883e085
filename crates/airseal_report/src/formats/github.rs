use std::io::{self, Write};

use airseal_finding::Severity;

use crate::{Report, Reporter};

/// GitHub Actions workflow commands: each finding becomes an annotation on the pull request.
pub struct GithubReporter;

impl Reporter for GithubReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        for finding in report.findings {
            let level = match finding.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "notice",
            };
            let l = &finding.location;
            writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&finding.path),
                l.line,
                l.column,
                l.end_line,
                l.end_column,
                escape_property(&format!("{} {}", finding.code, finding.name)),
                escape_data(&format!(
                    "{} [{}]",
                    crate::message_with_secret(finding, report.show_secrets, " (", ")"),
                    finding.severity
                )),
            )?;
        }
        Ok(())
    }
}

/// Escaping from the workflow-commands documentation (`%`, CR and LF in data).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Properties also escape `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
