//! The finding model every airseal analyzer reports in.
//!
//! A [`Finding`] is one place where a rule matched: a stable rule code, a location (1-based line and
//! column plus a byte span), a message, the secret in redacted form and a [`Fingerprint`] that
//! survives line moves. Rules describe themselves with [`RuleMeta`], the one source of the rule
//! reference (`airseal rules`, `airseal rule CODE`, docs/rules.md, SARIF rule metadata).
//!
//! The secret's raw bytes are held only inside [`SecretText`], whose `Debug` and `Display` print the
//! redacted form, so a stray `{:?}` in a log or panic message cannot leak it.

mod finding;
mod fingerprint;
mod line_index;
pub mod masker;
mod redact;
mod rule;
mod rule_doc;
mod severity;
mod source_line;
mod warning;

pub use finding::{Finding, FindingBuilder, Location};
pub use fingerprint::Fingerprint;
pub use line_index::LineIndex;
pub use redact::{SecretText, redact, without_quoted_values};
pub use rule::{RuleCode, RuleCodeError, RuleMeta};
pub use rule_doc::{RuleDoc, StaticRule};
pub use severity::{Confidence, ParseLevelError, Severity};
pub use source_line::SourceLine;
pub use warning::{Warning, WarningKind};
