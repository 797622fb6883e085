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
                .message(format!("{} in plain text", meta.summary));
            out.report(builder, detection.secret);
        }
    }
}
