//! Every output format behind one trait.
//!
//! A [`Report`] is what a scan produced; a [`Reporter`] writes it in one [`Format`]. Reporters get
//! the secret only through [`airseal_finding::Finding::secret_for_output`], so `--show-secrets` is
//! honoured in one place, and code frames come pre-redacted from the engine.

mod formats;
mod report;

use std::io::{self, Write};

pub use formats::{
    GithubReporter, HumanReporter, JsonReporter, JsonlReporter, JunitReporter, SarifReporter,
};
pub use report::{Report, Summary};

/// SARIF pieces other reports (`airseal watch`) share with `scan`'s: the level of a severity,
/// a rule's `reportingDescriptor`, a path as a URI reference.
pub mod sarif {
    pub use crate::formats::sarif::{level, rule_json, uri_path};
}

/// Writes a report in one format.
pub trait Reporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// The output formats of `airseal scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// path:line:col, a code frame and a summary; coloured on a terminal.
    Human,
    /// One JSON object: version, findings, summary, warnings.
    Json,
    /// One finding object per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// JUnit XML: one test suite per file, one failing test case per finding.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::...`).
    Github,
}

impl Format {
    pub fn reporter(self) -> Box<dyn Reporter> {
        match self {
            Format::Human => Box::new(HumanReporter),
            Format::Json => Box::new(JsonReporter),
            Format::Jsonl => Box::new(JsonlReporter),
            Format::Sarif => Box::new(SarifReporter),
            Format::Junit => Box::new(JunitReporter),
            Format::Github => Box::new(GithubReporter),
        }
    }
}

/// A finding's message followed by its secret as the output may show it (`"{message}{open}{secret}{close}"`),
/// or the message alone when the finding's span is code rather than a secret.
pub(crate) fn message_with_secret(
    finding: &airseal_finding::Finding,
    show_secrets: bool,
    open: &str,
    close: &str,
) -> String {
    if finding.reports_secret() {
        format!(
            "{}{open}{}{close}",
            finding.message,
            finding.secret_for_output(show_secrets)
        )
    } else {
        finding.message.clone()
    }
}
