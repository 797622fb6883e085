//! airseal's configuration: `airseal.toml`, or `[tool.airseal]` in `pyproject.toml`, found by
//! walking up from the scan root.
//!
//! ```toml
//! select = ["KEY"]                 # codes or prefixes to run (default: all)
//! ignore = ["KEY901"]              # codes or prefixes never to report
//! fail-on = "high"                 # lowest severity that makes `scan` exit 1 (default: low)
//! exclude = ["tests/fixtures/**"]  # gitignore-style globs not to scan
//! extra-rule-files = ["ci/airseal-rules.yml"]
//! max-file-size = 10485760
//! allowlist = ['^AKIA[A-Z0-9]{12}TEST$']  # regexes; a secret matching one is not reported
//! stopwords = ["acme-demo"]        # a secret containing one (any case) is not reported
//!
//! [per-file-ignores]
//! "tests/**" = ["KEY9"]
//!
//! [rotation]                       # see the `rotation` module
//! default-max-age = "180d"
//!
//! [watch]                          # see the `watch` module
//! readers = ["arn:aws:iam::123456789012:role/airflow-worker"]
//! ```
//!
//! Unknown keys are errors that name the key, the file and the line: a misspelt `ignor` must not
//! silently turn into "report everything".

mod error;
pub mod rotation;
mod spec;
pub mod watch;

use std::path::{Path, PathBuf};

use airseal_finding::Severity;

pub use error::ConfigError;
pub use spec::{ConfigSpec, is_selector};

/// File names looked for in each directory, in order.
pub const CONFIG_FILE_NAMES: [&str; 3] = ["airseal.toml", ".airseal.toml", "pyproject.toml"];

/// Settings read from one configuration file, with paths made absolute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file these settings came from; `None` for the defaults.
    pub source: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `(glob, selectors)` pairs; globs are relative to the scan root.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub fail_on: Option<Severity>,
    pub exclude: Vec<String>,
    pub extra_rule_files: Vec<PathBuf>,
    pub max_file_size: Option<u64>,
    pub allowlist: Vec<String>,
    pub stopwords: Vec<String>,
    /// `[rotation]` (see [`rotation`]).
    pub rotation: rotation::RotationSettings,
    /// `[watch]` (see [`watch`]).
    pub watch: watch::WatchSettings,
}

impl Config {
    /// Finds the configuration for a scan of `start` (a file or directory): the first
    /// `airseal.toml`, `.airseal.toml` or `pyproject.toml` with a `[tool.airseal]` table in
    /// `start` or one of its ancestors. No file means default settings.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if absolute.is_dir() {
            Some(absolute.as_path())
        } else {
            absolute.parent()
        };
        while let Some(current) = dir {
            for name in CONFIG_FILE_NAMES {
                let candidate = current.join(name);
                if !candidate.is_file() {
                    continue;
                }
                if name == "pyproject.toml" {
                    if let Some(config) = Self::from_pyproject(&candidate)? {
                        return Ok(config);
                    }
                } else {
                    return Self::from_file(&candidate);
                }
            }
            dir = current.parent();
        }
        Ok(Config::default())
    }

    /// Reads an explicit configuration file (`--config`): `airseal.toml` syntax, or a
    /// `pyproject.toml` whose `[tool.airseal]` table is used.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        if path.file_name().is_some_and(|n| n == "pyproject.toml") {
            Ok(Self::from_pyproject(path)?.unwrap_or_else(|| Config {
                source: Some(path.to_path_buf()),
                ..Config::default()
            }))
        } else {
            Self::from_file(path)
        }
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        Self::from_toml_str(path, &read(path)?)
    }

    /// Parses `airseal.toml` text; `path` names the file in errors and anchors relative paths.
    pub fn from_toml_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let spec: ConfigSpec = spec::parse(path, text, spec::Layout::Airseal)?.unwrap_or_default();
        spec.resolve(path)
    }

    /// Parses `pyproject.toml` text; `None` when it has no `[tool.airseal]` table.
    pub fn from_pyproject_str(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
        match spec::parse(path, text, spec::Layout::Pyproject)? {
            Some(spec) => spec.resolve(path).map(Some),
            None => Ok(None),
        }
    }

    fn from_pyproject(path: &Path) -> Result<Option<Config>, ConfigError> {
        Self::from_pyproject_str(path, &read(path)?)
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}
