use std::collections::BTreeMap;
use std::path::Path;

use airseal_finding::Severity;
use serde::Deserialize;

use crate::{Config, ConfigError};

/// The keys of `airseal.toml` / `[tool.airseal]`, exactly as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigSpec {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub fail_on: Option<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub extra_rule_files: Vec<String>,
    #[serde(default)]
    pub max_file_size: Option<u64>,
    #[serde(default)]
    pub allowlist: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub rotation: Option<crate::rotation::RotationSpec>,
    #[serde(default)]
    pub watch: Option<crate::watch::WatchSpec>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout {
    Airseal,
    Pyproject,
}

#[derive(Deserialize)]
struct Pyproject {
    #[serde(default)]
    tool: Option<Tools>,
}

#[derive(Deserialize)]
struct Tools {
    #[serde(default)]
    airseal: Option<ConfigSpec>,
}

pub(crate) fn parse(
    path: &Path,
    text: &str,
    layout: Layout,
) -> Result<Option<ConfigSpec>, ConfigError> {
    let result = match layout {
        Layout::Airseal => toml::from_str::<ConfigSpec>(text).map(Some),
        Layout::Pyproject => {
            toml::from_str::<Pyproject>(text).map(|p| p.tool.and_then(|t| t.airseal))
        }
    };
    result.map_err(|error| ConfigError::Invalid {
        path: path.display().to_string(),
        line: error.span().map(|span| line_of(text, span.start)),
        // `message()` is the reason alone; `Display` would quote the offending line.
        message: airseal_finding::without_quoted_values(error.message()),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl ConfigSpec {
    pub(crate) fn resolve(self, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.display().to_string(),
            line: None,
            message,
        };
        let fail_on = self
            .fail_on
            .as_deref()
            .map(|s| s.parse::<Severity>())
            .transpose()
            .map_err(|e| invalid(format!("fail-on: {e}")))?;
        for selector in self
            .select
            .iter()
            .chain(&self.ignore)
            .chain(self.per_file_ignores.values().flatten())
        {
            if !is_selector(selector) {
                return Err(invalid(format!(
                    "`{selector}` is not a rule code or prefix (like KEY, KEY0 or KEY001)"
                )));
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let rotation = self
            .rotation
            .unwrap_or_default()
            .resolve(base)
            .map_err(|message| crate::rotation::invalid(path, message))?;
        let watch = self
            .watch
            .unwrap_or_default()
            .resolve()
            .map_err(|message| crate::rotation::invalid(path, message))?;
        Ok(Config {
            rotation,
            watch,
            source: Some(path.to_path_buf()),
            select: self.select,
            ignore: self.ignore,
            per_file_ignores: self.per_file_ignores.into_iter().collect(),
            fail_on,
            exclude: self.exclude,
            extra_rule_files: self
                .extra_rule_files
                .iter()
                .map(|file| base.join(file))
                .collect(),
            max_file_size: self.max_file_size,
            allowlist: self.allowlist,
            stopwords: self.stopwords,
        })
    }
}

/// `ALL`, or 1–3 capital letters followed by up to 3 digits (a code or a prefix of one).
pub fn is_selector(selector: &str) -> bool {
    if selector == "ALL" {
        return true;
    }
    let letters = selector.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = &selector.as_bytes()[letters..];
    (1..=3).contains(&letters)
        && digits.len() <= 3
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.is_empty() || letters == 3)
}
