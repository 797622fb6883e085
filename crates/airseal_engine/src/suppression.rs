//! Inline suppression: `airseal: ignore` or `airseal: ignore[KEY001,KEY9]` in a comment on the
//! finding's line or the line above.
//!
//! Rather than parse each language, the directive counts when a comment marker of any language
//! airseal reads comes before it on the same line: `#` (Python, YAML, shell, .env, cfg, TOML),
//! `//` and `/*` (JSON5, JS, Go templates), `<!--` (Markdown, HTML), `--` (SQL), `;` (INI),
//! `{#` (Jinja), `%` (TeX, Erlang). In a notebook the Python comment sits inside a JSON string,
//! and the same rule finds it.

use airseal_finding::{Finding, LineIndex};

const COMMENT_MARKERS: &[&str] = &["#", "//", "/*", "<!--", "--", ";", "{#", "%"];
const DIRECTIVE: &str = "airseal:";

/// Whether an `airseal: ignore` comment on the finding's first line, or the line above, covers it.
pub fn suppression_covers(text: &[u8], index: &LineIndex, finding: &Finding) -> bool {
    let line = finding.location.line;
    let candidates = [Some(line), line.checked_sub(1).filter(|l| *l >= 1)];
    candidates
        .into_iter()
        .flatten()
        .any(|l| line_suppresses(&text[index.line_range(text, l)], finding.code.as_str()))
}

fn line_suppresses(line: &[u8], code: &str) -> bool {
    let Some(at) = memchr::memmem::find(line, DIRECTIVE.as_bytes()) else {
        return false;
    };
    let before = &line[..at];
    let has_marker = COMMENT_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(before, m.as_bytes()).is_some());
    if !has_marker {
        return false;
    }
    let rest = String::from_utf8_lossy(&line[at + DIRECTIVE.len()..]);
    let rest = rest.trim_start();
    let Some(after) = rest.strip_prefix("ignore") else {
        return false;
    };
    let Some(list) = after.strip_prefix('[') else {
        // A bare `airseal: ignore` (not `ignored`, not `ignore-me`) silences every rule.
        return after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
    };
    let Some(end) = list.find(']') else {
        return false;
    };
    list[..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .any(|selector| code.starts_with(selector) || selector == "ALL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_in_every_comment_syntax() {
        for line in [
            "x = 'v'  # airseal: ignore",
            "x = 'v'  # airseal: ignore[KEY901]",
            "x: v # airseal: ignore[KEY9, DAG001]",
            "\"x\": \"v\" // airseal: ignore",
            "<!-- airseal: ignore -->",
            "-- airseal: ignore[KEY901]",
            "; airseal: ignore",
            "{# airseal: ignore #}",
            "\"    # airseal: ignore[KEY901]\\n\",",
        ] {
            assert!(line_suppresses(line.as_bytes(), "KEY901"), "{line}");
        }
    }

    #[test]
    fn other_codes_plain_text_and_lookalikes_do_not_suppress() {
        for line in [
            "x = 'v'  # airseal: ignore[KEY001]",
            "airseal: ignore",
            "x = 'airseal: ignore'",
            "x = 1  # airseal: ignored",
            "x = 1  # airseal: ignore-me",
            "x = 1  # airseal: ignore[KEY901",
        ] {
            assert!(!line_suppresses(line.as_bytes(), "KEY901"), "{line}");
        }
    }
}
