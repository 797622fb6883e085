use airseal_detectors::DetectorSet;
use airseal_discovery::SourceFile;
use airseal_finding::{Finding, RuleMeta};

use crate::{Analyzer, FileAnalysis};

/// Runs the data-driven credential rules (`KEY###` and user rules) over any text file.
pub struct CredentialAnalyzer {
    detectors: DetectorSet,
}

impl CredentialAnalyzer {
    pub fn new(detectors: DetectorSet) -> Self {
        CredentialAnalyzer { detectors }
    }

    pub fn detectors(&self) -> &DetectorSet {
        &self.detectors
    }
}

impl Analyzer for CredentialAnalyzer {
    fn name(&self) -> &'static str {
        "credentials"
    }

    fn rules(&self) -> Vec<RuleMeta> {
        self.detectors
            .rules()
            .iter()
            .map(|r| r.meta.clone())
            .collect()
    }

    fn analyze(&self, file: &SourceFile<'_>, out: &mut FileAnalysis<'_>) {
        for detection in self.detectors.detect(file.bytes) {
            let meta = &self.detectors.rules()[detection.rule].meta;
            let builder = Finding::builder(meta.code.clone(), meta.name.clone())
                .severity(meta.severity)
                .confidence(meta.confidence)
                .message(format!("{} in plain text", meta.summary))
                .overlap_rank(credential_rank(&meta.code));
            out.report(builder, detection.secret);
        }
    }
}

/// Rank among findings on the same literal (see `Finding::overlap_rank`): the generic password
/// rules (`KEY9xx`) and the URI rules (`KEY6xx`) say less than an Airflow-aware finding on the same
/// text; a provider-specific rule (an AWS key, a Slack token) says more than a generic
/// "hardcoded secret argument", but less than a rule about how Airflow uses it.
pub fn credential_rank(code: &airseal_finding::RuleCode) -> u8 {
    let code = code.as_str();
    if code.starts_with("KEY9") || code.starts_with("KEY6") {
        10
    } else {
        30
    }
}
