//! Airflow-aware analysis of DAG code: the `DAG###` rules.
//!
//! A generic scanner sees `password="s3cr3t"`. This analyzer parses Python with Ruff's parser
//! (error-tolerant: a file that does not parse still yields what can be found, plus a `DAG900`
//! finding naming the error), resolves imports and aliases (`from airflow.models import Variable
//! as V`, `airflow.sdk` in Airflow 3), tells parse-time code (module level, `with DAG(...)`,
//! `@dag` bodies, operator constructor arguments) from task-runtime code (`@task` functions,
//! callables), and reports what Airflow makes of it: a `Connection` built in a DAG, a password
//! rendered through `{{ conn.x.password }}`, `Variable.get` on every parse, a secret in a pod's
//! environment, a Variable the masker will not hide.
//!
//! Layout: [`checker`] walks the AST and keeps scope; [`semantic`] resolves names and recognizes
//! Airflow's APIs; [`names`] decides which names hold secrets; [`strings`] evaluates constant
//! strings; `rules/` holds one file per rule; [`registry`] lists them.

mod checker;
mod names;
mod prefilter;
mod references;
mod registry;
mod rules;
mod semantic;
mod strings;

use std::path::Path;

use airseal_discovery::SourceFile;
use airseal_engine::{Analyzer, FileAnalysis};
use airseal_finding::RuleMeta;
use ruff_python_ast::PySourceType;
use ruff_python_ast::visitor::Visitor;

pub use names::{
    MASKER_FIELDS, MASKER_FIELDS_AIRFLOW3, is_sensitive_name, masker_hides, masker_hides_airflow3,
};
pub use references::{Reference, ReferenceKind, references};
pub use registry::{RULES, RuleSpec};

/// Runs the `DAG###` rules over Python files.
#[derive(Debug, Default)]
pub struct PythonAnalyzer {
    prefilter: prefilter::Prefilter,
}

impl PythonAnalyzer {
    pub fn new() -> Self {
        PythonAnalyzer {
            prefilter: prefilter::Prefilter::new(),
        }
    }

    /// Codes of every rule this analyzer reports.
    pub fn codes() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.code)
    }
}

/// Whether a path is test code: a `test` / `tests` folder, `test_*.py`, `*_test.py`,
/// `conftest.py`. It is not what the scheduler runs, and its literals are fixtures
/// (`password="testpass"`); the credential rules (`KEY###`) still read it, so a real
/// provider token pasted into a test is still found.
pub fn is_test_path(path: &Path) -> bool {
    let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
    file.starts_with("test_")
        || file.ends_with("_test.py")
        || file == "conftest.py"
        || path.components().any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some(
                    "test" | "tests" | "testing" | "unit_test" | "unit_tests" | "integration_tests"
                )
            )
        })
}

/// Whether a path is Python source this analyzer reads.
pub fn is_python_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("py") || e.eq_ignore_ascii_case("pyw"))
}

impl Analyzer for PythonAnalyzer {
    fn name(&self) -> &'static str {
        "python"
    }

    fn rules(&self) -> Vec<RuleMeta> {
        RULES.iter().map(|r| r.meta()).collect()
    }

    fn analyze(&self, file: &SourceFile<'_>, out: &mut FileAnalysis<'_>) {
        if !is_python_path(file.path)
            || is_test_path(file.path)
            || !self.prefilter.needs_parse(file.bytes)
        {
            return;
        }
        // Offsets must match the file's bytes: a file that is not UTF-8 is left to the
        // credential rules (discovery has already warned about it).
        let Ok(source) = std::str::from_utf8(file.bytes) else {
            return;
        };
        match analyze_guarded(source) {
            Ok(reports) => {
                for report in reports {
                    out.report(report.builder, report.span);
                }
            }
            Err(Skipped::TooDeep(depth)) => out.warn(
                None,
                format!(
                    "Python nested {depth} levels deep (generated code?); the DAG rules skipped it, the credential rules did not"
                ),
            ),
            Err(Skipped::Failed) => out.warn(
                None,
                "the Python analysis failed on this file; the credential rules still ran",
            ),
        }
    }
}

/// Why a file was not analyzed.
enum Skipped {
    TooDeep(usize),
    Failed,
}

/// Runs the rules on a file, safely: too deep a nesting is refused before parsing, and the
/// parser, the AST walk and the AST's drop (all recursive) run on a thread with a large stack
/// (virtual memory: only the pages used are touched), so a deeply nested expression cannot
/// overflow a worker's stack, which would abort the process. A panic there is a warning.
fn analyze_guarded(source: &str) -> Result<Vec<checker::Report>, Skipped> {
    if let Some(depth) = too_deep(source) {
        return Err(Skipped::TooDeep(depth));
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("airseal-python".to_owned())
            .stack_size(ANALYSIS_STACK)
            .spawn_scoped(scope, || analyze_source(source))
            .map_err(|_| Skipped::Failed)?
            .join()
            .map_err(|_| Skipped::Failed)
    })
}

/// Stack for one file's analysis: enough for [`MAX_NESTING`] levels in the parser, the walk and
/// the drop of the AST together.
const ANALYSIS_STACK: usize = 256 * 1024 * 1024;

/// Deeper than this (brackets, or operators chained in one statement) is generated code; it is
/// not parsed.
const MAX_NESTING: usize = 5_000;

/// A cheap upper bound of the AST depth: the deepest bracket nesting and the longest chain of
/// binary operators in one expression (reset at `,`, `;` and at line ends outside brackets),
/// read from the bytes with strings and comments skipped.
fn too_deep(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let (mut depth, mut deepest, mut operators, mut most) = (0usize, 0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            quote @ (b'\'' | b'"') => {
                i = skip_string(bytes, i, quote);
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'|' | b'&' | b'^' | b'@' | b'<' | b'>' => {
                operators += 1;
                most = most.max(operators);
            }
            b',' | b';' => operators = 0,
            b'\n' if depth == 0 => operators = 0,
            _ => {}
        }
        i += 1;
    }
    let worst = deepest.max(most);
    (worst > MAX_NESTING).then_some(worst)
}

/// The index after the string literal that starts at `start` (single or triple quoted).
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let triple = bytes.get(start..start + 3) == Some(&[quote, quote, quote][..]);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if !triple => return i,
            c if c == quote => {
                if !triple {
                    return i + 1;
                }
                if bytes.get(i..i + 3) == Some(&[quote, quote, quote][..]) {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The spans of every finding in `source` (for the fuzz target: they must be inside the text,
/// on character boundaries). Runs the same nesting guard as a scan.
pub fn finding_spans(source: &str) -> Vec<std::ops::Range<usize>> {
    analyze_guarded(source)
        .map(|reports| reports.into_iter().map(|r| r.span).collect())
        .unwrap_or_default()
}

/// Runs every rule over one module's source.
fn analyze_source(source: &str) -> Vec<checker::Report> {
    let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
    let module = parsed.syntax();
    let mut checker = checker::Checker::new(source, &module.body);
    checker.visit_body(&module.body);
    if let Some(error) = parsed.errors().first() {
        rules::dag900_syntax_error::report(&mut checker, error, parsed.errors().len());
    }
    checker.reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let nested = format!("x = {}1{}\n", "(".repeat(6_000), ")".repeat(6_000));
        assert_eq!(too_deep(&nested), Some(6_000));
        let chained = format!("x = {}\n", vec!["'a'"; 6_000].join(" + "));
        assert!(too_deep(&chained).is_some());
        // Many short statements, long dicts of dated strings and comments full of dashes are fine.
        let flat = "x = a + b\n".repeat(10_000);
        assert_eq!(too_deep(&flat), None);
        let dict = format!(
            "D = {{\n{}}}\n",
            "    'k': '2024-01-01', # -- -- --\n".repeat(10_000)
        );
        assert_eq!(too_deep(&dict), None);
        let sql = format!(
            "SQL = \"\"\"\n{}\"\"\"\n",
            "select a - b - c -- x\n".repeat(10_000)
        );
        assert_eq!(too_deep(&sql), None);
    }

    #[test]
    fn the_deepest_accepted_nesting_is_analyzed_without_overflow() {
        let nested = format!(
            "password = {}'Xq9zR7mK'{}\n",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        let chained = format!("password = {}\n", vec!["'a'"; MAX_NESTING].join(" + "));
        // Parentheses make no AST node: the password is found. A 5,000-term concatenation is
        // deeper than constant folding goes (32): analyzed, nothing reported, no overflow.
        assert!(analyze_guarded(&nested).is_ok_and(|r| r.len() == 1));
        assert!(analyze_guarded(&chained).is_ok_and(|r| r.is_empty()));
    }

    #[test]
    fn test_code_is_recognized_by_path() {
        for path in [
            "tests/test_etl.py",
            "dags/etl_test.py",
            "conftest.py",
            "pkg/test/util.py",
        ] {
            assert!(is_test_path(Path::new(path)), "{path}");
        }
        for path in [
            "dags/etl.py",
            "dags/testing_utils_for_prod.py",
            "include/contest.py",
        ] {
            assert!(!is_test_path(Path::new(path)), "{path}");
        }
    }
}
