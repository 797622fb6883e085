//! SARIF 2.1.0, written with serde_json rather than a typed SARIF crate: the subset airseal emits
//! is small, and a test validates every document against the OASIS schema.
use std::io::{self, Write};

use airseal_finding::{RuleMeta, Severity};
use serde_json::{Value, json};

use crate::{Report, Reporter};

pub struct SarifReporter;

/// GitHub code scanning reads `security-severity` (0–10) to rank security alerts.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

pub fn rule_json(rule: &RuleMeta) -> Value {
    json!({
        "id": rule.code.as_str(),
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.what_it_does.trim() },
        "help": {
            "text": format!("{}\n\nHow to fix: {}", rule.why_bad.trim(), rule.how_to_fix.trim()),
            "markdown": rule.documentation_markdown(),
        },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "secrets", rule.code.family().to_ascii_lowercase()],
            "precision": match rule.confidence {
                airseal_finding::Confidence::High => "high",
                airseal_finding::Confidence::Medium => "medium",
                airseal_finding::Confidence::Low => "low",
            },
            "security-severity": security_severity(rule.severity),
        },
    })
}

/// Percent-encodes what a relative URI reference cannot hold as is.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl Reporter for SarifReporter {
    fn write_report(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let results: Vec<Value> = report
            .findings
            .iter()
            .map(|finding| {
                let l = &finding.location;
                let mut result = json!({
                    "ruleId": finding.code.as_str(),
                    "level": level(finding.severity),
                    "message": {
                        "text": crate::message_with_secret(finding, report.show_secrets, ": ", "")
                    },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": uri_path(&finding.path),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": {
                                "startLine": l.line,
                                "startColumn": l.column,
                                "endLine": l.end_line,
                                "endColumn": l.end_column,
                            },
                        }
                    }],
                    "partialFingerprints": { "airseal/v1": finding.fingerprint.as_str() },
                    "properties": {
                        "severity": finding.severity.as_str(),
                        "confidence": finding.confidence.as_str(),
                    },
                });
                if let Some(index) = report.rules.iter().position(|r| r.code == finding.code) {
                    result["ruleIndex"] = json!(index);
                }
                result
            })
            .collect();
        let document = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "airseal",
                        "version": report.version,
                        "semanticVersion": report.version,
                        "informationUri": "https://github.com/airseal/airseal",
                        "rules": report.rules.iter().map(rule_json).collect::<Vec<_>>(),
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }]
        });
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}
