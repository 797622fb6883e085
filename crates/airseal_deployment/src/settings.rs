//! One Airflow configuration setting, wherever it was written: `[core] fernet_key = ...` in
//! airflow.cfg or `AIRFLOW__CORE__FERNET_KEY=...` in an env file.

use std::ops::Range;

/// Where a setting was read from; decides how the fix is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// airflow.cfg (INI).
    AirflowCfg,
    /// `AIRFLOW__SECTION__KEY` in an env file.
    Environment,
    /// `config: {section: {key: value}}` in the official chart's Helm values.
    ChartConfig,
}

#[derive(Debug, Clone)]
pub struct Setting<'a> {
    /// Lower case, as Airflow looks it up.
    pub section: String,
    /// Lower case.
    pub key: String,
    /// The value as written (quotes removed for env files).
    pub value: &'a str,
    /// Byte range of the value in the file.
    pub value_span: Range<usize>,
    /// 1-based line of the key.
    pub line: usize,
    pub origin: Origin,
}

impl Setting<'_> {
    /// How the user wrote the option: `[core] fernet_key` or `AIRFLOW__CORE__FERNET_KEY`.
    pub fn display(&self) -> String {
        match self.origin {
            Origin::AirflowCfg => format!("[{}] {}", self.section, self.key),
            Origin::Environment => environment_name(&self.section, &self.key),
            Origin::ChartConfig => format!("config.{}.{}", self.section, self.key),
        }
    }

    /// The `_cmd` / `_secret` forms of this option, spelled for its origin.
    pub fn indirect_forms(&self) -> (String, String) {
        match self.origin {
            Origin::AirflowCfg => (
                format!("`{}_cmd`", self.key),
                format!("`{}_secret`", self.key),
            ),
            Origin::Environment => {
                let name = environment_name(&self.section, &self.key);
                (format!("`{name}_CMD`"), format!("`{name}_SECRET`"))
            }
            Origin::ChartConfig => (
                format!("`config.{}.{}_cmd`", self.section, self.key),
                format!("`config.{}.{}_secret`", self.section, self.key),
            ),
        }
    }
}

/// `AIRFLOW__CORE__FERNET_KEY`.
pub fn environment_name(section: &str, key: &str) -> String {
    format!(
        "AIRFLOW__{}__{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// A raw `NAME=value` of an env file or a Dockerfile `ENV` / `ARG`: the rules about
/// `AIRFLOW_CONN_*` and `AIRFLOW_VAR_*` read these.
#[derive(Debug, Clone)]
pub struct EnvEntry<'a> {
    /// Borrowed from the text where it is written as is; owned when it comes from a YAML tree.
    pub name: std::borrow::Cow<'a, str>,
    pub value: &'a str,
    pub value_span: Range<usize>,
    pub line: usize,
}

/// The `AIRFLOW__SECTION__KEY` settings among environment entries.
pub fn settings_of<'a>(entries: &[EnvEntry<'a>]) -> Vec<Setting<'a>> {
    entries
        .iter()
        .filter_map(|entry| {
            let (section, key) = crate::sources::env_file::airflow_setting(&entry.name)?;
            Some(Setting {
                section,
                key,
                value: entry.value,
                value_span: entry.value_span.clone(),
                line: entry.line,
                origin: Origin::Environment,
            })
        })
        .collect()
}
