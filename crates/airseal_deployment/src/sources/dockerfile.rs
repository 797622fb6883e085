//! `AIRFLOW__SECTION__KEY` settings baked into images by Dockerfile `ENV` and `ARG`
//! instructions: `ENV KEY=value KEY2="two words"`, the legacy `ENV KEY value`, `ARG KEY=default`,
//! and `\` continuation lines. Hand-written: Dockerfile instructions are line-oriented and no
//! crate gives byte spans for them.

use crate::settings::{EnvEntry, Origin, Setting};
use crate::sources::env_file::airflow_setting;

/// `Dockerfile`, `Dockerfile.prod`, `airflow.Dockerfile`, `Containerfile`.
pub fn is_dockerfile(file_name: &str) -> bool {
    file_name == "Dockerfile"
        || file_name.starts_with("Dockerfile.")
        || file_name.ends_with(".Dockerfile")
        || file_name.ends_with(".dockerfile")
        || file_name == "Containerfile"
}

pub fn parse(text: &str) -> Vec<Setting<'_>> {
    entries(text)
        .into_iter()
        .filter_map(|entry| {
            let (section, key) = airflow_setting(&entry.name)?;
            Some(Setting {
                section,
                key,
                value: entry.value,
                value_span: entry.value_span,
                line: entry.line,
                origin: Origin::Environment,
            })
        })
        .collect()
}

/// Every `ENV` / `ARG` assignment.
pub fn entries(text: &str) -> Vec<EnvEntry<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut continuing = false;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.trim_start();
        let mut cursor = line.len() - body.len();
        let in_instruction = if continuing {
            true
        } else {
            let word: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if word.eq_ignore_ascii_case("ENV") || word.eq_ignore_ascii_case("ARG") {
                cursor += word.len();
                true
            } else {
                false
            }
        };
        continuing = in_instruction && line.trim_end().ends_with('\\');
        if !in_instruction {
            continue;
        }
        let rest_end = line
            .trim_end()
            .strip_suffix('\\')
            .map_or(line.len(), str::len);
        for (name, value_range) in pairs(line, cursor, rest_end) {
            let span = start + value_range.start..start + value_range.end;
            out.push(EnvEntry {
                name: name.into(),
                value: &text[span.clone()],
                value_span: span,
                line: index + 1,
            });
        }
    }
    out
}

/// `KEY=value` pairs (values possibly quoted) in `line[from..to]`, or the legacy `KEY value`
/// form when the first word has no `=`.
fn pairs(line: &str, from: usize, to: usize) -> Vec<(&str, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = from;
    let skip_spaces = |mut i: usize| {
        while i < to && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    i = skip_spaces(i);
    let first_word_end = line[i..to].find(char::is_whitespace).map_or(to, |n| i + n);
    if !line[i..first_word_end].contains('=') && first_word_end < to {
        // Legacy `ENV KEY value with spaces`.
        let value_start = skip_spaces(first_word_end);
        out.push((&line[i..first_word_end], value_start..to));
        return out;
    }
    while i < to {
        let Some(eq) = line[i..to].find('=').map(|n| i + n) else {
            break;
        };
        let name = line[i..eq].trim();
        let mut j = eq + 1;
        let value = if j < to && (bytes[j] == b'"' || bytes[j] == b'\'') {
            let quote = bytes[j];
            let close = line[j + 1..to]
                .find(quote as char)
                .map_or(to, |n| j + 1 + n);
            let range = j + 1..close;
            j = (close + 1).min(to);
            range
        } else {
            let end = line[j..to].find(char::is_whitespace).map_or(to, |n| j + n);
            let range = j..end;
            j = end;
            range
        };
        out.push((name, value));
        i = skip_spaces(j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_arg_forms() {
        let text = "FROM apache/airflow:2.10.5\nENV AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__FERNET_KEY=\"abc def\"\nARG AIRFLOW__WEBSERVER__SECRET_KEY=k3y\nENV AIRFLOW__SMTP__SMTP_PASSWORD hunter two\nENV A=1 \\\n    AIRFLOW__API_AUTH__JWT_SECRET=jwt123\nRUN echo AIRFLOW__CORE__FERNET_KEY=no\n";
        let found: Vec<_> = parse(text)
            .iter()
            .map(|s| (s.key.clone(), s.value.to_owned(), s.line))
            .collect();
        assert_eq!(
            found,
            [
                ("load_examples".to_owned(), "False".to_owned(), 2),
                ("fernet_key".to_owned(), "abc def".to_owned(), 2),
                ("secret_key".to_owned(), "k3y".to_owned(), 3),
                ("smtp_password".to_owned(), "hunter two".to_owned(), 4),
                ("jwt_secret".to_owned(), "jwt123".to_owned(), 6),
            ]
        );
    }
}
