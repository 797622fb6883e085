//! Rule documentation read from a rule file's own doc comment.

/// A rule's user documentation, written as the `//!` comment at the top of the rule's source
/// file (the way ruff documents its rules): `## What it does`, `## Why is this bad?`,
/// `## Example`, `## How to fix`.
#[derive(Debug, Default)]
pub struct RuleDoc {
    pub what_it_does: String,
    pub why_bad: String,
    pub example: String,
    pub how_to_fix: String,
}

impl RuleDoc {
    /// Splits the leading `//!` lines at their `## ` headings. The example's code fence is
    /// dropped: the reference adds its own.
    pub fn from_source(source: &str) -> Self {
        let mut sections = RuleDoc::default();
        let mut current: Option<&mut String> = None;
        for line in source.lines() {
            let Some(text) = line.strip_prefix("//!") else {
                break;
            };
            let text = text.strip_prefix(' ').unwrap_or(text);
            if let Some(heading) = text.strip_prefix("## ") {
                current = match heading.trim() {
                    "What it does" => Some(&mut sections.what_it_does),
                    "Why is this bad?" => Some(&mut sections.why_bad),
                    "Example" => Some(&mut sections.example),
                    "How to fix" => Some(&mut sections.how_to_fix),
                    _ => None,
                };
                continue;
            }
            if let Some(section) = current.as_deref_mut() {
                if text.starts_with("```") {
                    continue;
                }
                section.push_str(text);
                section.push('\n');
            }
        }
        for s in [
            &mut sections.what_it_does,
            &mut sections.why_bad,
            &mut sections.example,
            &mut sections.how_to_fix,
        ] {
            *s = s.trim().to_owned();
        }
        sections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_split_at_their_headings_and_fences_dropped() {
        let source = "//! ## What it does\n//! Finds x.\n//! ## Why is this bad?\n//! Leaks.\n//! ## Example\n//! ```python\n//! x = 1\n//! ```\n//! ## How to fix\n//! Do y.\nfn main() {}\n//! not documentation\n";
        let doc = RuleDoc::from_source(source);
        assert_eq!(doc.what_it_does, "Finds x.");
        assert_eq!(doc.why_bad, "Leaks.");
        assert_eq!(doc.example, "x = 1");
        assert_eq!(doc.how_to_fix, "Do y.");
    }
}

/// A rule written in Rust (the `DAG###` and `CFG###` rules): its fixed facts, and its source
/// file, whose `//!` comment is its documentation.
#[derive(Debug)]
pub struct StaticRule {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: crate::Severity,
    pub confidence: crate::Confidence,
    /// See [`crate::Finding::overlap_rank`]: rules about a literal secret merge with the
    /// credential rules on the same span.
    pub overlap_rank: Option<u8>,
    pub references: &'static [&'static str],
    /// The rule file's source (`include_str!` of itself), for its documentation.
    pub source: &'static str,
}

impl StaticRule {
    /// The rule's metadata, with its documentation split out of the doc comment.
    pub fn meta(&self) -> crate::RuleMeta {
        let doc = RuleDoc::from_source(self.source);
        crate::RuleMeta {
            code: self.rule_code(),
            name: self.name.to_owned(),
            summary: self.summary.to_owned(),
            severity: self.severity,
            confidence: self.confidence,
            what_it_does: doc.what_it_does,
            why_bad: doc.why_bad,
            how_to_fix: doc.how_to_fix,
            example: doc.example,
            references: self.references.iter().map(|r| (*r).to_owned()).collect(),
            origin: "builtin".to_owned(),
        }
    }

    /// A finding of this rule, at the given severity (usually the rule's own).
    pub fn finding(
        &self,
        severity: crate::Severity,
        message: String,
        fix: String,
        span_is_secret: bool,
    ) -> crate::FindingBuilder {
        let mut builder = crate::Finding::builder(self.rule_code(), self.name)
            .severity(severity)
            .confidence(self.confidence)
            .message(message)
            .fix(fix);
        if !span_is_secret {
            builder = builder.span_is_code();
        }
        if let Some(rank) = self.overlap_rank {
            builder = builder.overlap_rank(rank);
        }
        builder
    }

    fn rule_code(&self) -> crate::RuleCode {
        // Codes are constants checked by each registry's tests.
        crate::RuleCode::new(self.code)
            .unwrap_or_else(|_| panic!("invalid rule code {}", self.code))
    }
}
