use std::cell::OnceCell;
use std::ops::Range;

use airseal_discovery::SourceFile;
use airseal_finding::{Finding, FindingBuilder, LineIndex, RuleMeta, Warning, WarningKind};

/// Something that reads a file and reports findings: the credential detectors, and in later
/// crates the Python, configuration and Helm analyzers.
pub trait Analyzer: Send + Sync {
    /// Short name for messages (`credentials`, `python`, ...).
    fn name(&self) -> &'static str;

    /// Metadata of every rule this analyzer can report.
    fn rules(&self) -> Vec<RuleMeta>;

    /// Analyzes one file. Called from several threads at once.
    fn analyze(&self, file: &SourceFile<'_>, out: &mut FileAnalysis<'_>);
}

/// Collects one file's findings and warnings; builds the line index only if something is found.
pub struct FileAnalysis<'a> {
    file: SourceFile<'a>,
    line_index: OnceCell<LineIndex>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) warnings: Vec<Warning>,
}

impl<'a> FileAnalysis<'a> {
    pub fn new(file: SourceFile<'a>) -> Self {
        FileAnalysis {
            file,
            line_index: OnceCell::new(),
            findings: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        self.line_index
            .get_or_init(|| LineIndex::new(self.file.bytes))
    }

    /// Records a finding whose secret is at `secret_span` of the file.
    pub fn report(&mut self, finding: FindingBuilder, secret_span: Range<usize>) {
        let finding = finding.build(
            self.file.display_path,
            self.file.bytes,
            self.line_index(),
            secret_span,
        );
        self.findings.push(finding);
    }

    /// Records a problem the analyzer had with this file (never quoting its content).
    pub fn warn(&mut self, line: Option<usize>, message: impl Into<String>) {
        let mut warning = Warning::new(self.file.display_path, WarningKind::Analyzer, message);
        warning.line = line;
        self.warnings.push(warning);
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub(crate) fn into_parts(self) -> (Vec<Finding>, Vec<Warning>, Option<LineIndex>) {
        (self.findings, self.warnings, self.line_index.into_inner())
    }
}
