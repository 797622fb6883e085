use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Confidence, Severity};

/// A stable rule code: three capital letters and three digits, e.g. `KEY001`, `DAG004`.
///
/// Codes are never renumbered or reused; the letters name the analyzer family, so `--select KEY`
/// picks every generic credential detector.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RuleCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rule code `{0}`: expected three capital letters and three digits, like KEY001")]
pub struct RuleCodeError(String);

impl RuleCode {
    pub fn new(code: &str) -> Result<Self, RuleCodeError> {
        let bytes = code.as_bytes();
        let valid = bytes.len() == 6
            && bytes[..3].iter().all(u8::is_ascii_uppercase)
            && bytes[3..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(RuleCode(code.to_owned()))
        } else {
            Err(RuleCodeError(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-letter family (`KEY` for `KEY001`).
    pub fn family(&self) -> &str {
        &self.0[..3]
    }

    /// Whether a selector such as `KEY`, `KEY0`, `KEY001` covers this code.
    pub fn matches_selector(&self, selector: &str) -> bool {
        selector.eq_ignore_ascii_case("ALL") || self.0.starts_with(&selector.to_ascii_uppercase())
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for RuleCode {
    type Err = RuleCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleCode::new(s)
    }
}

impl TryFrom<String> for RuleCode {
    type Error = RuleCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RuleCode::new(&value)
    }
}

impl From<RuleCode> for String {
    fn from(code: RuleCode) -> String {
        code.0
    }
}

/// What a rule says about itself. The reference documentation (`airseal rule CODE`,
/// docs/rules.md, SARIF `rules[]`) is generated from these fields only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    pub code: RuleCode,
    /// kebab-case name of the bad pattern, e.g. `aws-access-key-id`.
    pub name: String,
    /// One line for listings.
    pub summary: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Markdown: what the rule detects.
    pub what_it_does: String,
    /// Markdown: why it matters.
    pub why_bad: String,
    /// Markdown: how to fix it.
    pub how_to_fix: String,
    /// A snippet that triggers the rule (fabricated credentials only).
    pub example: String,
    pub references: Vec<String>,
    /// Where the rule comes from: `builtin` or a user rule file's path.
    pub origin: String,
}

impl RuleMeta {
    /// The rule's documentation as markdown, in the fixed order
    /// What it does / Why is this bad? / Example / How to fix.
    pub fn documentation_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("## {} {}\n\n", self.code, self.name));
        out.push_str(&format!(
            "{} — severity **{}**, confidence **{}**.\n\n",
            self.summary, self.severity, self.confidence
        ));
        out.push_str("### What it does\n");
        out.push_str(self.what_it_does.trim());
        out.push_str("\n\n### Why is this bad?\n");
        out.push_str(self.why_bad.trim());
        out.push_str("\n\n### Example\n```\n");
        out.push_str(self.example.trim_end());
        out.push_str("\n```\n\n### How to fix\n");
        out.push_str(self.how_to_fix.trim());
        out.push('\n');
        if !self.references.is_empty() {
            out.push_str("\n### References\n");
            for reference in &self.references {
                out.push_str(&format!("- <{reference}>\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_letters_three_digits() {
        assert!(RuleCode::new("KEY001").is_ok());
        assert!(RuleCode::new("key001").is_err());
        assert!(RuleCode::new("KEY01").is_err());
        assert!(RuleCode::new("KEY0001").is_err());
    }

    #[test]
    fn selectors_match_by_prefix() {
        let code = RuleCode::new("KEY104").unwrap();
        assert!(code.matches_selector("KEY"));
        assert!(code.matches_selector("key1"));
        assert!(code.matches_selector("KEY104"));
        assert!(code.matches_selector("ALL"));
        assert!(!code.matches_selector("KEY105"));
        assert!(!code.matches_selector("DAG"));
    }
}
