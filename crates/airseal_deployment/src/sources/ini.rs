//! airflow.cfg, read the way Airflow's `configparser` reads it, with byte spans.
//!
//! Hand-written on purpose: the INI crates on crates.io (`rust-ini`, `configparser`) return
//! values without positions, and the rules must point at the exact bytes of a value. The
//! semantics follow Python's `configparser` as Airflow uses it: `[section]` headers, `key =
//! value` or `key: value` (the first `=` or `:`), whole-line comments starting with `#` or `;`,
//! no inline comments, indented lines continuing the previous value (multi-line JSON in
//! `backend_kwargs`), keys and sections compared in lower case. configparser is strict: a
//! repeated section or key stops Airflow from starting; those are reported as problems.

use std::ops::Range;

use crate::settings::{Origin, Setting};

/// A problem with the file's structure, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

pub struct Parsed<'a> {
    pub settings: Vec<Setting<'a>>,
    pub problems: Vec<Problem>,
}

/// Whether a file looks like airflow.cfg: named so, or a `.cfg` with one of Airflow's sections.
pub fn is_airflow_cfg(file_name: &str, text: &str) -> bool {
    if file_name == "airflow.cfg" || file_name == "unittests.cfg" {
        return true;
    }
    file_name.ends_with(".cfg")
        && text.lines().any(|line| {
            matches!(
                line.trim(),
                "[core]"
                    | "[database]"
                    | "[webserver]"
                    | "[secrets]"
                    | "[celery]"
                    | "[api]"
                    | "[scheduler]"
            )
        })
}

pub fn parse(text: &str) -> Parsed<'_> {
    let mut settings: Vec<Setting<'_>> = Vec::new();
    let mut problems = Vec::new();
    let mut section: Option<String> = None;
    let mut seen_sections: Vec<String> = Vec::new();
    let mut seen_keys: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line_number = index + 1;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        // A continuation line extends the previous value.
        if line.starts_with([' ', '\t'])
            && let Some(last) = settings.last_mut()
            && last.line < line_number
        {
            let end = start + line.len();
            last.value_span = last.value_span.start..end;
            last.value = &text[last.value_span.clone()];
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let name = name.trim().to_ascii_lowercase();
            if seen_sections.contains(&name) {
                problems.push(Problem {
                    line: line_number,
                    message: format!(
                        "section [{name}] appears twice: Airflow's configparser refuses the file"
                    ),
                });
            }
            seen_sections.push(name.clone());
            section = Some(name);
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            problems.push(Problem {
                line: line_number,
                message: "line is neither a section, an option nor a comment".to_owned(),
            });
            continue;
        };
        let Some(current) = section.clone() else {
            problems.push(Problem {
                line: line_number,
                message: "option before any [section]: Airflow's configparser refuses the file"
                    .to_owned(),
            });
            continue;
        };
        let key = line[..split].trim().to_ascii_lowercase();
        let value_range = trimmed_range(line, split + 1..line.len());
        let pair = (current.clone(), key.clone());
        if seen_keys.contains(&pair) {
            problems.push(Problem {
                line: line_number,
                message: format!("option {key} appears twice in [{current}]: Airflow's configparser refuses the file"),
            });
        }
        seen_keys.push(pair);
        let value_span = start + value_range.start..start + value_range.end;
        settings.push(Setting {
            section: current,
            key,
            value: &text[value_span.clone()],
            value_span,
            line: line_number,
            origin: Origin::AirflowCfg,
        });
    }
    Parsed { settings, problems }
}

/// `range` of `line` without surrounding spaces.
fn trimmed_range(line: &str, range: Range<usize>) -> Range<usize> {
    let part = &line[range.clone()];
    let start = range.start + (part.len() - part.trim_start().len());
    let end = range.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_continuations_comments_and_duplicates() {
        let text = "# comment\n[core]\nfernet_key = abc\nExpose_Config: True\n[secrets]\nbackend_kwargs = {\n    \"a\": 1}\n[core]\nfernet_key = x\n";
        let parsed = parse(text);
        let found: Vec<_> = parsed
            .settings
            .iter()
            .map(|s| (s.section.as_str(), s.key.as_str(), s.value, s.line))
            .collect();
        assert_eq!(
            found,
            [
                ("core", "fernet_key", "abc", 3),
                ("core", "expose_config", "True", 4),
                ("secrets", "backend_kwargs", "{\n    \"a\": 1}", 6),
                ("core", "fernet_key", "x", 9),
            ]
        );
        assert_eq!(&text[parsed.settings[0].value_span.clone()], "abc");
        let lines: Vec<usize> = parsed.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [8, 9]);
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        let parsed = parse("key = value before section\n[\n=\n[a]\n:\n\u{feff}x\n");
        assert!(!parsed.problems.is_empty());
    }
}
