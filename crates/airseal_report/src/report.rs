use airseal_finding::{Finding, RuleMeta, Severity, Warning};

/// What a scan produced, as every reporter sees it.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// airseal's version.
    pub version: &'a str,
    pub findings: &'a [Finding],
    /// Metadata of every enabled rule (SARIF lists them).
    pub rules: &'a [RuleMeta],
    pub warnings: &'a [Warning],
    pub summary: &'a Summary,
    pub show_secrets: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub suppressed_inline: u64,
    pub suppressed_by_config: u64,
    pub baselined: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
}

impl Report<'_> {
    /// Findings per severity, most severe first.
    pub fn counts_by_severity(&self) -> [(Severity, usize); 5] {
        Severity::ALL.map(|s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
    }

    pub fn files_with_findings(&self) -> usize {
        let mut paths: Vec<&str> = self.findings.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        paths.len()
    }
}
