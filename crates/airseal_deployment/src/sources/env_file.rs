//! `AIRFLOW__SECTION__KEY` settings in env files (`.env`, `*.env`, `env_file:` targets), read the
//! way Docker Compose and python-dotenv read them: `KEY=VALUE`, an optional `export `, quoted
//! values (quotes not part of the value), `#` comment lines, ` #` inline comments after an
//! unquoted value. Hand-written for the spans, like the INI reader.

use crate::settings::{EnvEntry, Origin, Setting};

/// Whether a file name is an env file: `.env`, `.env.local`, `prod.env`.
pub fn is_env_file(file_name: &str) -> bool {
    file_name == ".env" || file_name.starts_with(".env.") || file_name.ends_with(".env")
}

/// `AIRFLOW__{SECTION}__{KEY}` → (section, key), lower case. `_CMD` / `_SECRET` forms come out
/// as keys `x_cmd` / `x_secret`, which are not sensitive options themselves (but `jwt_secret`
/// is: the table decides). Team-scoped names (`AIRFLOW__TEAM___SECTION__KEY`) are skipped.
pub fn airflow_setting(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("AIRFLOW__")?;
    let (section, key) = rest.split_once("__")?;
    if section.is_empty() || key.is_empty() || key.starts_with('_') || section.ends_with('_') {
        return None;
    }
    Some((section.to_ascii_lowercase(), key.to_ascii_lowercase()))
}

/// Every `NAME=VALUE` line: (name, value, value byte range, line).
pub fn assignments(text: &str) -> Vec<(&str, &str, std::ops::Range<usize>, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let lead = line.len() - body.len();
        let (body, lead) = match body.strip_prefix("export ") {
            Some(rest) => (
                rest.trim_start(),
                lead + (body.len() - rest.trim_start().len()),
            ),
            None => (body, lead),
        };
        let Some(eq) = body.find('=') else {
            continue;
        };
        let name = body[..eq].trim();
        let raw_value = &body[eq + 1..];
        let value_start = lead + eq + 1;
        let (from, to) = value_bounds(raw_value);
        let span = start + value_start + from..start + value_start + to;
        out.push((name, &text[span.clone()], span, index + 1));
    }
    out
}

/// Start and end of the value inside the text after `=`: inside quotes, or up to an inline
/// ` #` comment, trimmed.
fn value_bounds(raw: &str) -> (usize, usize) {
    let leading = raw.len() - raw.trim_start().len();
    let value = &raw[leading..];
    if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'')
        && let Some(close) = value[1..].find(quote)
    {
        return (leading + 1, leading + 1 + close);
    }
    let end = value.find(" #").unwrap_or(value.len());
    let trimmed = value[..end].trim_end();
    (leading, leading + trimmed.len())
}

/// Every assignment, for the `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` rules.
pub fn entries(text: &str) -> Vec<EnvEntry<'_>> {
    assignments(text)
        .into_iter()
        .map(|(name, value, value_span, line)| EnvEntry {
            name: name.into(),
            value,
            value_span,
            line,
        })
        .collect()
}

pub fn parse(text: &str) -> Vec<Setting<'_>> {
    assignments(text)
        .into_iter()
        .filter_map(|(name, value, value_span, line)| {
            let (section, key) = airflow_setting(name)?;
            Some(Setting {
                section,
                key,
                value,
                value_span,
                line,
                origin: Origin::Environment,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_exported_and_commented_values() {
        let text = "# x\nexport AIRFLOW__CORE__FERNET_KEY=\"abc=\"\nAIRFLOW__WEBSERVER__SECRET_KEY=s3cr3t # rotated\nOTHER=1\n";
        let settings = parse(text);
        let found: Vec<_> = settings
            .iter()
            .map(|s| (s.section.as_str(), s.key.as_str(), s.value, s.line))
            .collect();
        assert_eq!(
            found,
            [
                ("core", "fernet_key", "abc=", 2),
                ("webserver", "secret_key", "s3cr3t", 3)
            ]
        );
        assert_eq!(&text[settings[1].value_span.clone()], "s3cr3t");
    }

    #[test]
    fn names() {
        assert_eq!(
            airflow_setting("AIRFLOW__API_AUTH__JWT_SECRET"),
            Some(("api_auth".to_owned(), "jwt_secret".to_owned()))
        );
        assert_eq!(
            airflow_setting("AIRFLOW__CORE__FERNET_KEY_SECRET"),
            Some(("core".to_owned(), "fernet_key_secret".to_owned()))
        );
        assert_eq!(airflow_setting("AIRFLOW_CONN_X"), None);
    }
}
