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
        for report in analyze_source(source) {
            out.report(report.builder, report.span);
        }
    }
}

/// The spans of every finding in `source` (for the fuzz target: they must be inside the text,
/// on character boundaries).
pub fn finding_spans(source: &str) -> Vec<std::ops::Range<usize>> {
    analyze_source(source).into_iter().map(|r| r.span).collect()
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
