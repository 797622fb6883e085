//! The scan driver: discovery → analyzers → filters → findings.
//!
//! Analyzers plug in through the [`Analyzer`] trait; the engine knows none of them by name. The
//! generic credential detectors are one analyzer ([`analyzers::CredentialAnalyzer`]); later ones
//! (Python DAGs, configuration, Helm values) live in crates of their own and are handed to
//! [`Scanner::new`] by the CLI. After the analyzers, every finding passes the same filters in the
//! same order: rule selection, per-file ignores, allowlist and stopwords, inline
//! `airseal: ignore` comments, then the baseline.

mod analyzer;
pub mod analyzers;
mod baseline;
mod scanner;
mod selection;
mod suppression;

pub use analyzer::{Analyzer, FileAnalysis};
pub use baseline::{BASELINE_VERSION, Baseline, BaselineEntry, BaselineError};
pub use scanner::{ScanOutcome, ScanProgress, ScanSettings, Scanner, SettingsError};
pub use selection::RuleSelection;
pub use suppression::suppression_covers;
