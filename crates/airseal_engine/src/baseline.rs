//! Baselines: the fingerprints of findings a team has accepted for now, so `scan --baseline`
//! reports only new ones.
//!
//! The file holds fingerprints, codes and paths only — no values, no line numbers, no timestamps —
//! sorted and de-duplicated, so re-creating it after unrelated edits changes nothing in a diff.

use std::collections::HashSet;
use std::path::Path;

use airseal_finding::{Finding, Fingerprint};
use serde::{Deserialize, Serialize};

pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub path: String,
    pub code: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    entries: Vec<BaselineEntry>,
    fingerprints: HashSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read baseline: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}{}: not an airseal baseline: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}: baseline version {found} is not supported (expected {BASELINE_VERSION})")]
    Version { path: String, found: u32 },
}

impl Baseline {
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut entries: Vec<BaselineEntry> = findings
            .into_iter()
            .map(|f| BaselineEntry {
                path: f.path.clone(),
                code: f.code.to_string(),
                fingerprint: f.fingerprint.to_string(),
            })
            .collect();
        entries.sort();
        entries.dedup();
        Self::from_entries(entries)
    }

    fn from_entries(entries: Vec<BaselineEntry>) -> Self {
        let fingerprints = entries.iter().map(|e| e.fingerprint.clone()).collect();
        Baseline {
            entries,
            fingerprints,
        }
    }

    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: display.clone(),
            source,
        })?;
        let file: BaselineFile =
            serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
                path: display.clone(),
                line: Some(e.line()),
                message: airseal_finding::without_quoted_values(&strip_position(&e.to_string())),
            })?;
        if file.version != BASELINE_VERSION {
            return Err(BaselineError::Version {
                path: display,
                found: file.version,
            });
        }
        if let Some(index) = file
            .findings
            .iter()
            .position(|e| Fingerprint::parse(&e.fingerprint).is_none())
        {
            // Named by position: the entry's own fields are not echoed, whatever they hold.
            return Err(BaselineError::Invalid {
                path: display,
                line: None,
                message: format!(
                    "finding {} has a malformed fingerprint (expected 32 hex digits)",
                    index + 1
                ),
            });
        }
        Ok(Self::from_entries(file.findings))
    }

    pub fn contains(&self, finding: &Finding) -> bool {
        self.fingerprints.contains(finding.fingerprint.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let file = BaselineFile {
            version: BASELINE_VERSION,
            findings: self.entries.clone(),
        };
        let mut json = serde_json::to_string_pretty(&file).unwrap_or_default();
        json.push('\n');
        json
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
