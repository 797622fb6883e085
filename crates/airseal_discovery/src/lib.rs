//! Finds the files to scan and reads them, in parallel.
//!
//! Built on the `ignore` crate's parallel walker: `.gitignore` (also outside a git checkout),
//! `.airsealignore` and `--exclude` globs are honoured, hidden files such as `.env` are scanned
//! (`.git/` itself is not), binary files are skipped by content, and a size cap keeps a 1 GB dump
//! from being read. Nothing here fails a scan: unreadable files, broken links and symlink loops
//! become [`Warning`]s that name the path.

mod options;
mod walk;

pub use airseal_finding::{Warning, WarningKind};
pub use options::{DEFAULT_MAX_FILE_SIZE, DiscoveryOptions};
pub use walk::{SourceFile, Visitor, VisitorFactory, WalkStats, walk};

/// Scanning cannot start at all (bad glob, no existing root).
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("invalid exclude glob `{glob}`: {message}")]
    InvalidGlob { glob: String, message: String },
    #[error("none of the paths to scan exist: {0}")]
    NoRoots(String),
}
