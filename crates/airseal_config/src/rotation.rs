//! `[rotation]`: how old each class of secret may get, and how new passwords are made.
//!
//! ```toml
//! [rotation]
//! default-max-age = "180d"   # the class of secrets no other class selects
//! due-within = "7d"          # `due` this long before the maximum age, `overdue` after it
//! audit-log = "airseal-rotation.jsonl"
//!
//! [[rotation.class]]
//! name = "critical"
//! max-age = "30d"
//! ids = ["*_prod", "warehouse"]      # globs over connection ids (any may match)
//! conn-types = ["postgres"]          # any may match
//! tags = { sensitivity = "critical" } # every one must match the secret's tags
//!
//! [rotation.password]
//! length = 32
//! require = ["lower", "upper", "digit"]  # at least one of each
//! symbols = "-_.~"                       # punctuation to draw from besides letters and digits
//! exclude = "lIO0"                       # characters never used
//! ```
//!
//! The first class whose selectors all match a secret is its class; a class with no selector
//! matches everything. Durations are a number and a unit: `s`, `m`, `h`, `d`, `w`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ConfigError;

pub const DEFAULT_MAX_AGE_DAYS: u64 = 180;
pub const DEFAULT_DUE_WITHIN_DAYS: u64 = 7;
pub const DEFAULT_PASSWORD_LENGTH: usize = 32;
/// Characters URIs never percent-encode (RFC 3986 "unreserved" punctuation): a password of
/// letters, digits and these is the same in Airflow's URI and JSON forms and in every shell.
pub const DEFAULT_SYMBOLS: &str = "-_.~";
/// Never in a generated password, whatever `symbols` says: they need quoting in SQL, shells,
/// `.pgpass` files or URIs, and some drivers mangle them.
pub const FORBIDDEN_CHARACTERS: &str = " '\"\\`$%:@/?#[]";
const DAY: u64 = 86_400;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RotationSpec {
    #[serde(default)]
    pub default_max_age: Option<String>,
    #[serde(default)]
    pub due_within: Option<String>,
    #[serde(default)]
    pub audit_log: Option<String>,
    #[serde(default)]
    pub class: Vec<ClassSpec>,
    #[serde(default)]
    pub password: Option<PasswordSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClassSpec {
    pub name: String,
    pub max_age: String,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub conn_types: Vec<String>,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PasswordSpec {
    #[serde(default)]
    pub length: Option<usize>,
    #[serde(default)]
    pub require: Option<Vec<String>>,
    #[serde(default)]
    pub symbols: Option<String>,
    #[serde(default)]
    pub exclude: Option<String>,
}

/// The resolved `[rotation]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSettings {
    /// In order; the last is the default class (no selectors).
    pub classes: Vec<RotationClass>,
    pub due_within_seconds: u64,
    pub password: PasswordSettings,
    pub audit_log: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationClass {
    pub name: String,
    pub max_age_seconds: u64,
    pub ids: Vec<String>,
    pub conn_types: Vec<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Lower,
    Upper,
    Digit,
    Symbol,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSettings {
    pub length: usize,
    pub require: Vec<CharClass>,
    pub symbols: String,
    pub exclude: String,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        PasswordSettings {
            length: DEFAULT_PASSWORD_LENGTH,
            require: vec![CharClass::Lower, CharClass::Upper, CharClass::Digit],
            symbols: DEFAULT_SYMBOLS.to_owned(),
            exclude: String::new(),
        }
    }
}

impl Default for RotationSettings {
    fn default() -> Self {
        RotationSettings {
            classes: vec![default_class(DEFAULT_MAX_AGE_DAYS * DAY)],
            due_within_seconds: DEFAULT_DUE_WITHIN_DAYS * DAY,
            password: PasswordSettings::default(),
            audit_log: None,
        }
    }
}

fn default_class(max_age_seconds: u64) -> RotationClass {
    RotationClass {
        name: "default".to_owned(),
        max_age_seconds,
        ids: Vec::new(),
        conn_types: Vec::new(),
        tags: Vec::new(),
    }
}

/// `30d`, `12h`, `2w`, `90m`, `45s` in seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30d, 12h or 2w"))?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(format!("`{text}`: the unit must be s, m, h, d or w")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long"))
}

impl RotationSpec {
    pub(crate) fn resolve(self, base: &Path) -> Result<RotationSettings, String> {
        let duration = |key: &str, text: &str| {
            parse_duration(text).map_err(|e| format!("rotation.{key}: {e}"))
        };
        let default_max_age = match &self.default_max_age {
            Some(text) => duration("default-max-age", text)?,
            None => DEFAULT_MAX_AGE_DAYS * DAY,
        };
        let due_within_seconds = match &self.due_within {
            Some(text) => duration("due-within", text)?,
            None => DEFAULT_DUE_WITHIN_DAYS * DAY,
        };
        let mut classes = Vec::new();
        for class in self.class {
            let max_age_seconds =
                duration(&format!("class `{}`.max-age", class.name), &class.max_age)?;
            if max_age_seconds == 0 {
                return Err(format!(
                    "rotation.class `{}`: max-age must be more than 0",
                    class.name
                ));
            }
            if classes.iter().any(|c: &RotationClass| c.name == class.name) {
                return Err(format!("rotation.class `{}` is defined twice", class.name));
            }
            classes.push(RotationClass {
                name: class.name,
                max_age_seconds,
                ids: class.ids,
                conn_types: class
                    .conn_types
                    .iter()
                    .map(|t| t.to_ascii_lowercase())
                    .collect(),
                tags: class.tags.into_iter().collect(),
            });
        }
        if !classes
            .iter()
            .any(|c| c.ids.is_empty() && c.conn_types.is_empty() && c.tags.is_empty())
        {
            classes.push(default_class(default_max_age));
        }
        let password = resolve_password(self.password.unwrap_or_default())?;
        Ok(RotationSettings {
            classes,
            due_within_seconds,
            password,
            audit_log: self.audit_log.map(|p| base.join(p)),
        })
    }
}

fn resolve_password(spec: PasswordSpec) -> Result<PasswordSettings, String> {
    let defaults = PasswordSettings::default();
    let length = spec.length.unwrap_or(defaults.length);
    if !(16..=128).contains(&length) {
        return Err(format!(
            "rotation.password.length: {length} is outside 16 to 128 (shorter is guessable; PostgreSQL and MySQL take up to 128 comfortably)"
        ));
    }
    let symbols = spec.symbols.unwrap_or(defaults.symbols);
    if let Some(bad) = symbols.chars().find(|c| {
        FORBIDDEN_CHARACTERS.contains(*c) || !c.is_ascii_graphic() || c.is_ascii_alphanumeric()
    }) {
        return Err(format!(
            "rotation.password.symbols: `{}` cannot be used (symbols are ASCII punctuation other than {FORBIDDEN_CHARACTERS:?})",
            bad.escape_default()
        ));
    }
    let require = match spec.require {
        None => defaults.require,
        Some(names) => names
            .iter()
            .map(|name| match name.as_str() {
                "lower" => Ok(CharClass::Lower),
                "upper" => Ok(CharClass::Upper),
                "digit" => Ok(CharClass::Digit),
                "symbol" => Ok(CharClass::Symbol),
                other => Err(format!(
                    "rotation.password.require: `{other}` is not lower, upper, digit or symbol"
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    if require.contains(&CharClass::Symbol) && symbols.is_empty() {
        return Err("rotation.password.require names `symbol` but `symbols` is empty".to_owned());
    }
    if require.len() > length {
        return Err("rotation.password: more required classes than characters".to_owned());
    }
    Ok(PasswordSettings {
        length,
        require,
        symbols,
        exclude: spec.exclude.unwrap_or_default(),
    })
}

/// Where a rotation's resolve error points.
pub(crate) fn invalid(path: &Path, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: path.display().to_string(),
        line: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(30 * DAY));
        assert_eq!(parse_duration("2w"), Ok(14 * DAY));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("99999999999999999999w").is_err());
    }

    #[test]
    fn a_default_class_is_added_after_the_configured_ones() {
        let spec: RotationSpec = toml::from_str(
            r#"
            default-max-age = "90d"
            [[class]]
            name = "critical"
            max-age = "30d"
            ids = ["*_prod"]
            "#,
        )
        .expect("valid");
        let settings = spec.resolve(Path::new(".")).expect("resolves");
        let names: Vec<&str> = settings.classes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["critical", "default"]);
        assert_eq!(settings.classes[1].max_age_seconds, 90 * DAY);
    }

    #[test]
    fn bad_password_policies_are_refused() {
        for (text, expected) in [
            ("length = 8", "outside 16 to 128"),
            ("symbols = \"-@\"", "`@` cannot be used"),
            ("require = [\"emoji\"]", "not lower, upper"),
            (
                "symbols = \"\"\nrequire = [\"symbol\"]",
                "`symbols` is empty",
            ),
        ] {
            let spec: RotationSpec =
                toml::from_str(&format!("[password]\n{text}")).expect("valid TOML");
            let error = spec.resolve(Path::new(".")).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
