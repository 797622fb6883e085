//! ## What it does
//! Reports a Python file that does not parse, at the first syntax error. The other `DAG###`
//! rules still run on everything the error-tolerant parser recovered, so a broken DAG file is
//! still checked for secrets. Only files that mention something a DAG rule looks for (a
//! credential word, `Variable`, `Connection(`, `environ`, a URI with a password) are parsed at
//! all, so a `.py` file without any of them is not reported.
//! ## Why is this bad?
//! It is not a secret, and it is reported at severity `info`. But Airflow cannot import the
//! file either: the DAG disappears from the UI with an import error, and airseal's analysis of
//! the file may be incomplete around the error. The credential rules (`KEY###`) read the file
//! as text and are not affected.
//! ## Example
//! ```python
//! with DAG("broken", schedule="@daily":
//!     BashOperator(task_id="t", bash_command="echo hi")
//! ```
//! ## How to fix
//! Fix the syntax error (`python -m py_compile FILE`), or exclude files that are not Python
//! (templates with a `.py` name) with `exclude` in `airseal.toml`.

use airseal_finding::{Confidence, Severity, without_quoted_values};

use ruff_python_parser::ParseError;

use crate::checker::Checker;
use crate::registry::RuleSpec;

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG900",
    name: "python-syntax-error",
    summary: "Python file does not parse; the DAG rules ran on what could be parsed",
    severity: Severity::Info,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &["https://docs.python.org/3/library/py_compile.html"],
    source: include_str!("dag900_syntax_error.rs"),
};

pub fn report(checker: &mut Checker<'_>, error: &ParseError, count: usize) {
    let start = error.location.start().to_usize().min(checker.source.len());
    let mut end = error.location.end().to_usize().min(checker.source.len());
    if end <= start {
        // A zero-width error (unexpected end of file): cover one character, or none at the end.
        end = checker.source[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
    }
    // The parser's messages can quote source text; quoted parts are dropped so a secret on the
    // broken line never reaches the message.
    let detail = short_quotes_only(&without_quoted_values(&error.error.to_string()));
    let others = match count {
        1 => String::new(),
        n => format!(" ({} more after it)", n - 1),
    };
    checker.report(
        &RULE,
        start..end,
        format!("Python syntax error: {detail}{others}; the DAG rules checked what could be parsed"),
        "Fix the syntax error (`python -m py_compile FILE`); Airflow cannot import this file either.".to_owned(),
        false,
    );
}

/// Replaces every quoted or backticked part longer than a token (`)`, `:=`) with `…`.
fn short_quotes_only(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '`' | '\'')
            && let Some(close) = message[i + 1..].find(c)
        {
            let inner = &message[i + 1..i + 1 + close];
            out.push(c);
            out.push_str(if inner.chars().count() <= 3 {
                inner
            } else {
                "…"
            });
            out.push(c);
            while chars.peek().is_some_and(|&(j, _)| j <= i + 1 + close) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::short_quotes_only;

    #[test]
    fn long_quoted_parts_are_dropped() {
        assert_eq!(
            short_quotes_only("Expected `)`, found name"),
            "Expected `)`, found name"
        );
        assert_eq!(
            short_quotes_only("Got unexpected token `hunter2`"),
            "Got unexpected token `…`"
        );
        assert_eq!(short_quotes_only("bad 'Tr0ub4dor' here"), "bad '…' here");
    }
}
