use std::ops::Range;

use crate::{Confidence, Fingerprint, LineIndex, RuleCode, SecretText, Severity, SourceLine};

/// Where a finding is: 1-based line/column of its first and last character (end exclusive, as in
/// SARIF and LSP), and the byte span in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub start_byte: usize,
    pub end_byte: usize,
}

impl Location {
    pub fn from_span(text: &[u8], index: &LineIndex, span: Range<usize>) -> Self {
        let (line, column) = index.line_column(text, span.start);
        let (end_line, end_column) = index.line_column(text, span.end);
        Location {
            line,
            column,
            end_line,
            end_column,
            start_byte: span.start,
            end_byte: span.end,
        }
    }
}

/// One place where a rule matched. Every analyzer reports in this shape; reporters decide how to
/// show it. It deliberately does not implement `Serialize`: each reporter writes the secret
/// through [`Finding::secret_for_output`], so `--show-secrets` is decided in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: RuleCode,
    pub name: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Path relative to the scan root, with `/` separators.
    pub path: String,
    pub location: Location,
    pub message: String,
    pub secret: SecretText,
    pub fingerprint: Fingerprint,
    /// What to do instead, when the analyzer knows (e.g. the `_secret` option to use).
    pub fix: Option<String>,
    /// The finding's line with every secret on it redacted, for code frames. Filled in by the
    /// engine, which knows all the secrets in the file.
    pub source_line: Option<SourceLine>,
    /// False when the span is code rather than a secret value (a `Variable.get` call at parse
    /// time, an `os.environ` read): such a span is neither redacted in frames nor printed as a
    /// secret.
    pub span_is_secret: bool,
    /// Findings that describe the same literal from different angles (a generic password rule,
    /// an Airflow-aware argument rule, a provider-specific token rule) carry a rank; where two
    /// ranked findings of one file overlap, only the higher rank is reported. `None`: never
    /// merged.
    pub overlap_rank: Option<u8>,
}

impl Finding {
    pub fn builder(code: RuleCode, name: impl Into<String>) -> FindingBuilder {
        FindingBuilder {
            code,
            name: name.into(),
            severity: Severity::Medium,
            confidence: Confidence::Medium,
            message: String::new(),
            fix: None,
            span_is_secret: true,
            overlap_rank: None,
        }
    }

    /// Whether the output formats may print the span as the finding's secret.
    pub fn reports_secret(&self) -> bool {
        self.span_is_secret
    }

    /// The secret as it may be printed: redacted, unless the user asked for `--show-secrets`.
    pub fn secret_for_output(&self, show_secrets: bool) -> String {
        if show_secrets {
            String::from_utf8_lossy(self.secret.expose()).into_owned()
        } else {
            self.secret.redacted()
        }
    }

    /// Sort key for stable output: path, position, code.
    pub fn sort_key(&self) -> (&str, usize, usize, &str) {
        (
            &self.path,
            self.location.line,
            self.location.column,
            self.code.as_str(),
        )
    }
}

/// Collects a finding's rule-level fields before it is placed in a file.
#[derive(Debug, Clone)]
pub struct FindingBuilder {
    code: RuleCode,
    name: String,
    severity: Severity,
    confidence: Confidence,
    message: String,
    fix: Option<String>,
    span_is_secret: bool,
    overlap_rank: Option<u8>,
}

impl FindingBuilder {
    /// Marks the span as code, not a secret value (see [`Finding::span_is_secret`]).
    pub fn span_is_code(mut self) -> Self {
        self.span_is_secret = false;
        self
    }

    /// See [`Finding::overlap_rank`].
    pub fn overlap_rank(mut self, rank: u8) -> Self {
        self.overlap_rank = Some(rank);
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Places the finding at `secret_span` of `text` (the file's bytes) in `path`.
    pub fn build(
        self,
        path: &str,
        text: &[u8],
        index: &LineIndex,
        secret_span: Range<usize>,
    ) -> Finding {
        let secret = SecretText::new(&text[secret_span.clone()]);
        let fingerprint = Fingerprint::compute(&self.code, path, secret.expose());
        Finding {
            location: Location::from_span(text, index, secret_span),
            code: self.code,
            name: self.name,
            severity: self.severity,
            confidence: self.confidence,
            path: path.to_owned(),
            message: self.message,
            secret,
            fingerprint,
            fix: self.fix,
            source_line: None,
            span_is_secret: self.span_is_secret,
            overlap_rank: self.overlap_rank,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_located_fingerprinted_finding() {
        let text = b"x = 1\nkey = 'AKIAQYLPMN5HFIQR7Q2X'\n";
        let index = LineIndex::new(text);
        let finding = Finding::builder(RuleCode::new("KEY001").unwrap(), "aws-access-key-id")
            .severity(Severity::High)
            .message("AWS access key ID")
            .build("a.py", text, &index, 13..33);
        assert_eq!(finding.location.line, 2);
        assert_eq!(finding.location.column, 8);
        assert_eq!(finding.location.end_column, 28);
        assert_eq!(finding.secret_for_output(false), "AKIA…7Q2X");
        assert_eq!(finding.secret_for_output(true), "AKIAQYLPMN5HFIQR7Q2X");
        assert!(!format!("{finding:?}").contains("QYLPMN5"));
    }
}
