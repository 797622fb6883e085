//! Every output format of `airseal watch` behind one trait. The JSON finding is `scan`'s
//! contract (`code`, `name`, `severity`, `confidence`, `path`, `line`, ..., `message`,
//! `fingerprint`, `secret`, `fix`) plus what an alert has and a scan finding has not: the
//! principal, the secrets by name, the origin, and the evidence (event ids and times, file and
//! record). `secret` is always null: CloudTrail records hold no secret values.

use std::io::{self, Write};

use airseal_finding::{Fingerprint, RuleCode, RuleMeta, Severity, Warning};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::Alert;
use crate::cloudtrail::Stats;

/// What a watch produced, as every reporter sees it.
#[derive(Debug, Clone, Copy)]
pub struct WatchReport<'a> {
    pub version: &'a str,
    pub alerts: &'a [Alert],
    pub rules: &'a [RuleMeta],
    pub warnings: &'a [Warning],
    pub stats: &'a Stats,
    /// Notes on the run (detections switched off for want of configuration).
    pub notes: &'a [String],
}

/// Writes a watch report in one format.
pub trait AlertReporter {
    fn write_report(&self, report: &WatchReport<'_>, out: &mut dyn Write) -> io::Result<()>;
}

pub struct HumanAlerts;
pub struct JsonAlerts;
pub struct JsonlAlerts;
pub struct SarifAlerts;

/// A stable id for an alert: its rule, principal, secrets and first event.
pub fn fingerprint(alert: &Alert) -> Fingerprint {
    let code =
        RuleCode::new(alert.rule.code).unwrap_or_else(|_| unreachable!("rule codes are valid"));
    let mut key = alert.principal.clone();
    for secret in &alert.secrets {
        key.push('\0');
        key.push_str(secret);
    }
    key.push('\0');
    key.push_str(alert.evidence.first().map_or("", |e| e.event_id.as_str()));
    Fingerprint::compute(&code, "cloudtrail", key.as_bytes())
}

/// The rule's "How to fix", as one line: parsed once per rule, not once per alert.
fn fix_of(alert: &Alert) -> &'static str {
    static FIXES: std::sync::LazyLock<std::collections::HashMap<&'static str, String>> =
        std::sync::LazyLock::new(|| {
            crate::RULES
                .iter()
                .map(|rule| {
                    let text = airseal_finding::RuleDoc::from_source(rule.source).how_to_fix;
                    (
                        rule.code,
                        text.split_whitespace().collect::<Vec<_>>().join(" "),
                    )
                })
                .collect()
        });
    FIXES.get(alert.rule.code).map_or("", String::as_str)
}

/// One alert as the `json` and `jsonl` formats write it, borrowing from the alert: serialised
/// straight to bytes rather than built as a `Value` first (a map of owned keys and strings per
/// alert, for reports of tens of thousands). Fields in the order of the JSON object.
#[derive(Serialize)]
struct AlertJson<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'static str,
    confidence: &'static str,
    path: Option<&'a str>,
    line: Option<usize>,
    column: (),
    end_line: (),
    end_column: (),
    start_byte: (),
    end_byte: (),
    message: &'a str,
    fingerprint: Fingerprint,
    secret: (),
    fix: &'static str,
    principal: &'a str,
    secrets: &'a [String],
    source_ip: Option<&'a str>,
    region: Option<&'a str>,
    user_agent: Option<&'a str>,
    evidence: Vec<EvidenceJson<'a>>,
}

#[derive(Serialize)]
struct EvidenceJson<'a> {
    event_id: &'a str,
    event_time: &'a str,
    event_name: &'a str,
    path: &'a str,
    record: usize,
}

impl<'a> AlertJson<'a> {
    fn of(alert: &'a Alert) -> Self {
        let first = alert.evidence.first();
        AlertJson {
            code: alert.rule.code,
            name: alert.rule.name,
            severity: alert.severity.as_str(),
            confidence: alert.rule.confidence.as_str(),
            path: first.map(|e| &*e.path),
            line: first.map(|e| e.record),
            column: (),
            end_line: (),
            end_column: (),
            start_byte: (),
            end_byte: (),
            message: &alert.message,
            fingerprint: fingerprint(alert),
            secret: (),
            fix: fix_of(alert),
            principal: &alert.principal,
            secrets: &alert.secrets,
            source_ip: alert.source_ip.as_deref(),
            region: alert.region.as_deref(),
            user_agent: alert.user_agent.as_deref(),
            evidence: alert
                .evidence
                .iter()
                .map(|e| EvidenceJson {
                    event_id: &e.event_id,
                    event_time: &e.event_time,
                    event_name: &e.event_name,
                    path: &e.path,
                    record: e.record,
                })
                .collect(),
        }
    }
}

/// One alert as a JSON object (the `json` and `jsonl` formats).
pub fn alert_json(alert: &Alert) -> Value {
    serde_json::to_value(AlertJson::of(alert)).unwrap_or_default()
}

/// One alert as the `json` and `jsonl` formats write it: [`alert_json`]'s text.
pub fn alert_json_bytes(alert: &Alert) -> Vec<u8> {
    serde_json::to_vec(&AlertJson::of(alert)).unwrap_or_default()
}

fn summary_json(report: &WatchReport<'_>) -> Value {
    let mut by_severity = Map::new();
    for severity in Severity::ALL {
        let count = report
            .alerts
            .iter()
            .filter(|a| a.severity == severity)
            .count();
        by_severity.insert(severity.as_str().to_owned(), json!(count));
    }
    let stats = report.stats;
    json!({
        "files": stats.files,
        "bytes_on_disk": stats.bytes_on_disk,
        "bytes_read": stats.bytes_read,
        "records": stats.records,
        "secret_and_key_calls": stats.calls,
        "calls_on_airflow_secrets": stats.in_scope,
        "findings": report.alerts.len(),
        "by_severity": by_severity,
        "warnings": report.warnings.len(),
        "notes": report.notes,
    })
}

fn warning_json(warning: &Warning) -> Value {
    json!({
        "path": warning.path,
        "line": warning.line,
        "kind": warning.kind.as_str(),
        "message": warning.message,
    })
}

impl AlertReporter for JsonAlerts {
    /// Written finding by finding, one per line, rather than as one pretty `Value`: a run over
    /// a large trail can raise many thousands of alerts, and the document would hold them all
    /// twice (and take longer to indent than to find).
    fn write_report(&self, report: &WatchReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{{")?;
        writeln!(
            out,
            "  \"version\": {},",
            serde_json::to_string(report.version)?
        )?;
        write!(out, "  \"findings\": [")?;
        // Serialised on every core, written in order.
        let findings: Vec<Vec<u8>> = report.alerts.par_iter().map(alert_json_bytes).collect();
        for (index, finding) in findings.iter().enumerate() {
            out.write_all(if index == 0 { b"\n    " } else { b",\n    " })?;
            out.write_all(finding)?;
        }
        if report.alerts.is_empty() {
            writeln!(out, "],")?;
        } else {
            writeln!(out, "\n  ],")?;
        }
        write!(out, "  \"summary\": ")?;
        serde_json::to_writer(&mut *out, &summary_json(report))?;
        writeln!(out, ",")?;
        writeln!(out, "  \"warnings\": [")?;
        for (index, warning) in report.warnings.iter().enumerate() {
            if index > 0 {
                writeln!(out, ",")?;
            }
            write!(out, "    ")?;
            serde_json::to_writer(&mut *out, &warning_json(warning))?;
        }
        writeln!(out, "\n  ]")?;
        writeln!(out, "}}")
    }
}

impl AlertReporter for JsonlAlerts {
    fn write_report(&self, report: &WatchReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let lines: Vec<Vec<u8>> = report.alerts.par_iter().map(alert_json_bytes).collect();
        for line in lines {
            out.write_all(&line)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// One alert in the human form.
pub fn alert_line(alert: &Alert) -> String {
    let first = alert.evidence.first();
    let when = first.map_or("", |e| e.event_time.as_str());
    let mut line = format!(
        "{} {:<8} {} {}\n    {}",
        alert.rule.code,
        alert.severity.as_str(),
        alert.rule.name,
        when,
        alert.message
    );
    let shown: Vec<String> = alert
        .evidence
        .iter()
        .take(3)
        .map(|e| format!("{} {} ({}:{})", e.event_name, e.event_id, e.path, e.record))
        .collect();
    line.push_str(&format!("\n    evidence: {}", shown.join("; ")));
    if alert.evidence.len() > 3 {
        line.push_str(&format!(" and {} more events", alert.evidence.len() - 3));
    }
    line
}

impl AlertReporter for HumanAlerts {
    fn write_report(&self, report: &WatchReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        for alert in report.alerts {
            writeln!(out, "{}\n", alert_line(alert))?;
        }
        for warning in report.warnings {
            writeln!(out, "warning: {warning}")?;
        }
        for note in report.notes {
            writeln!(out, "note: {note}")?;
        }
        let stats = report.stats;
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|s| {
                let n = report.alerts.iter().filter(|a| a.severity == *s).count();
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        let counts_text = if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        };
        if stats.bytes_read == 0 && stats.calls == 0 {
            // Rows of Airflow's audit log, not CloudTrail files.
            return writeln!(
                out,
                "{} findings{counts_text} in {} audit-log rows; {} warnings",
                report.alerts.len(),
                stats.records,
                report.warnings.len()
            );
        }
        writeln!(
            out,
            "{} findings{} in {} records of {} files ({} Secrets Manager, SSM and KMS calls, {} on Airflow's secrets); {} warnings",
            report.alerts.len(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            },
            stats.records,
            stats.files,
            stats.calls,
            stats.in_scope,
            report.warnings.len()
        )
    }
}

impl AlertReporter for SarifAlerts {
    fn write_report(&self, report: &WatchReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        use airseal_report::sarif::{level, rule_json, uri_path};
        let results: Vec<Value> = report
            .alerts
            .iter()
            .map(|alert| {
                let mut result = json!({
                    "ruleId": alert.rule.code,
                    "level": level(alert.severity),
                    "message": { "text": alert.message },
                    "locations": alert.evidence.iter().take(1).map(|e| json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri_path(&e.path) },
                        },
                        "logicalLocations": [{ "name": e.event_id, "kind": "cloudtrail-event" }],
                    })).collect::<Vec<_>>(),
                    "partialFingerprints": { "airseal/v1": fingerprint(alert).as_str() },
                    "properties": {
                        "severity": alert.severity.as_str(),
                        "principal": alert.principal,
                        "secrets": alert.secrets,
                        "evidence": alert.evidence.iter().map(|e| json!({
                            "event_id": e.event_id, "event_time": e.event_time, "event_name": e.event_name,
                        })).collect::<Vec<_>>(),
                    },
                });
                if let Some(index) = report.rules.iter().position(|r| r.code.as_str() == alert.rule.code) {
                    result["ruleIndex"] = json!(index);
                }
                result
            })
            .collect();
        let document = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "airseal",
                    "version": report.version,
                    "semanticVersion": report.version,
                    "informationUri": "https://github.com/airseal/airseal",
                    "rules": report.rules.iter().map(rule_json).collect::<Vec<_>>(),
                }},
                "results": results,
            }]
        });
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}
