use std::collections::BTreeMap;
use std::io::{self, Write};

use airseal_finding::Finding;
use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::{Report, Reporter};

/// JUnit XML for CI systems that show test results: one suite per file with findings, one
/// failing case per finding. A clean scan is one suite with one passing case, so the CI shows
/// that the scan ran.
pub struct JunitReporter;

impl Reporter for JunitReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut junit = JunitReport::new("airseal");
        let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for finding in report.findings {
            by_file
                .entry(finding.path.as_str())
                .or_default()
                .push(finding);
        }
        if by_file.is_empty() {
            let mut suite = TestSuite::new("airseal");
            suite.add_test_case(TestCase::new("no secrets found", TestCaseStatus::success()));
            junit.add_test_suite(suite);
        }
        for (path, findings) in by_file {
            let mut suite = TestSuite::new(path);
            for finding in findings {
                let l = &finding.location;
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(crate::message_with_secret(
                    finding,
                    report.show_secrets,
                    " (",
                    ")",
                ));
                status.set_type(finding.severity.as_str());
                status.set_description(format!(
                    "{}:{}:{}: {} {} [{}]",
                    finding.path, l.line, l.column, finding.code, finding.name, finding.severity
                ));
                let mut case = TestCase::new(
                    format!("{} {} line {}", finding.code, finding.name, l.line),
                    status,
                );
                case.set_classname(path);
                suite.add_test_case(case);
            }
            junit.add_test_suite(suite);
        }
        junit
            .serialize(&mut *out)
            .map_err(|e| io::Error::other(e.to_string()))?;
        writeln!(out)
    }
}
