//! `airseal watch cloudtrail`: CloudTrail files in, alerts on Airflow's secrets out.
//!
//! Files are read in parallel (one per core), each record decoded on its own; the one-call
//! detections run as records are read, and AUD004's bounded state is merged across files
//! once they are all read. Memory is bounded by the files in flight (each at most
//! [`reader::ReadOptions::max_in_memory`], larger ones streamed), not by the input's size.

pub mod call;
pub mod detections;
pub mod event;
pub mod reader;
pub mod scope;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use airseal_finding::{Warning, WarningKind};
use rayon::prelude::*;

use call::{Decoded, decode};
use detections::aud004_enumeration_then_bulk_read::BulkReads;
use detections::{Alert, CHECKS};
use reader::{ReadOptions, RecordSink, read_file};
use scope::Scope;

/// How a run reads.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub read: ReadOptions,
    /// Now, in seconds since the epoch: records later than this (plus the skew allowed) are
    /// reported as clock skew.
    pub now: i64,
}

/// Counts of a run, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub bytes_on_disk: u64,
    /// Inflated bytes read.
    pub bytes_read: u64,
    pub records: u64,
    /// Secrets Manager, SSM and KMS records.
    pub calls: u64,
    /// Calls that touch Airflow's secrets or keys.
    pub in_scope: u64,
    pub streamed_files: u64,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.files += other.files;
        self.bytes_on_disk += other.bytes_on_disk;
        self.bytes_read += other.bytes_read;
        self.records += other.records;
        self.calls += other.calls;
        self.in_scope += other.in_scope;
        self.streamed_files += other.streamed_files;
    }
}

/// What reading a batch of files produced.
#[derive(Debug, Default)]
pub struct Batch {
    /// The one-call detections' alerts (AUD004's come from [`Watch::bulk_alerts`]).
    pub alerts: Vec<Alert>,
    pub warnings: Vec<Warning>,
    pub stats: Stats,
}

/// A watch over CloudTrail files, possibly fed in several batches (`--follow`).
pub struct Watch {
    scope: Scope,
    options: WatchOptions,
    bulk: BulkReads,
}

#[derive(Default)]
struct FileOutcome {
    alerts: Vec<Alert>,
    warnings: Vec<Warning>,
    stats: Stats,
    bulk: BulkReads,
}

impl FileOutcome {
    fn merge(&mut self, other: FileOutcome) {
        self.alerts.extend(other.alerts);
        self.warnings.extend(other.warnings);
        self.stats.add(&other.stats);
        self.bulk.merge(other.bulk);
    }
}

/// The delivery time in a CloudTrail file name (`..._20230710T1145Z_...`), in seconds.
fn delivery_time(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    name.split('_').find_map(|part| {
        let b = part.as_bytes();
        if b.len() == 14 && b[8] == b'T' && b[13] == b'Z' {
            let text = format!(
                "{}-{}-{}T{}:{}:00Z",
                &part[0..4],
                &part[4..6],
                &part[6..8],
                &part[9..11],
                &part[11..13]
            );
            call::parse_time(&text)
        } else {
            None
        }
    })
}

impl Watch {
    pub fn new(scope: Scope, options: WatchOptions) -> Watch {
        Watch {
            scope,
            options,
            bulk: BulkReads::default(),
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Reads `files` in parallel; their AUD004 state joins what earlier batches left. The
    /// files' results are merged in parallel too (a tree reduction), then put in order.
    pub fn process(&mut self, files: &[PathBuf]) -> Batch {
        let merged = files.par_iter().map(|file| self.process_file(file)).reduce(
            FileOutcome::default,
            |mut a, b| {
                a.merge(b);
                a
            },
        );
        let mut batch = Batch {
            alerts: merged.alerts,
            warnings: merged.warnings,
            stats: merged.stats,
        };
        self.bulk.merge(merged.bulk);
        batch.alerts.par_sort_by(alert_order);
        batch
            .warnings
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        batch
    }

    /// AUD004's alerts over everything read so far.
    pub fn bulk_alerts(&self) -> Vec<Alert> {
        self.bulk.alerts(&self.scope)
    }

    fn process_file(&self, file: &Path) -> FileOutcome {
        let shown: Arc<str> = Arc::from(file.display().to_string());
        let scope = &self.scope;
        let mut alerts = Vec::new();
        let mut bulk = BulkReads::default();
        let mut stats = Stats {
            files: 1,
            ..Stats::default()
        };
        let mut skewed: Option<(usize, u64)> = None;
        let delivered = delivery_time(file);
        let limit_future = self.options.now + scope.clock_skew_seconds;
        let mut sink = FileSink {
            scope,
            path: &shown,
            delivered,
            limit_future,
            alerts: &mut alerts,
            bulk: &mut bulk,
            stats: &mut stats,
            skewed: &mut skewed,
        };
        let report = read_file(file, &self.options.read, &mut sink);
        stats.bytes_on_disk = report.bytes_on_disk;
        stats.bytes_read = report.bytes_read;
        stats.records = report.records;
        stats.streamed_files = u64::from(report.streamed);
        let mut warnings: Vec<Warning> = report
            .problems
            .iter()
            .map(|p| {
                let warning =
                    Warning::new(shown.to_string(), WarningKind::Analyzer, p.message.clone());
                match p.record {
                    Some(record) => warning.at_line(record),
                    None => warning,
                }
            })
            .collect();
        if report.problems_not_shown > 0 {
            warnings.push(Warning::new(
                shown.to_string(),
                WarningKind::Analyzer,
                format!(
                    "{} more problems in this file not shown",
                    report.problems_not_shown
                ),
            ));
        }
        if let Some((first, count)) = skewed {
            warnings.push(
                Warning::new(
                    shown.to_string(),
                    WarningKind::Analyzer,
                    format!(
                        "{count} records have an `eventTime` more than {} min after the file's delivery time or the present (first: record {first}): clock skew, or records that were not written by CloudTrail; they are still checked",
                        scope.clock_skew_seconds / 60
                    ),
                )
                .at_line(first),
            );
        }
        FileOutcome {
            alerts,
            warnings,
            stats,
            bulk,
        }
    }
}

/// Whether a record's bytes name Secrets Manager, SSM or KMS as a service
/// (`"ssm.amazonaws.com"`): records that do not are of no detection's interest and are not
/// parsed. One `memmem` pass for the common suffix, then a look at what precedes each hit.
fn mentions_service(record: &[u8]) -> bool {
    static SUFFIX: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b".amazonaws.com\""));
    SUFFIX.find_iter(record).any(|at| {
        let head = &record[..at];
        head.ends_with(b"\"secretsmanager") || head.ends_with(b"\"ssm") || head.ends_with(b"\"kms")
    })
}

/// Runs the detections over the records of one file.
struct FileSink<'w> {
    scope: &'w Scope,
    path: &'w Arc<str>,
    delivered: Option<i64>,
    limit_future: i64,
    alerts: &'w mut Vec<Alert>,
    bulk: &'w mut BulkReads,
    stats: &'w mut Stats,
    /// The first record later than allowed, and how many are.
    skewed: &'w mut Option<(usize, u64)>,
}

impl RecordSink for FileSink<'_> {
    fn wants(&self, record: &[u8]) -> bool {
        mentions_service(record)
    }

    fn record(&mut self, json: &str, record: usize) -> Option<String> {
        let scope = self.scope;
        match decode(json, scope, self.path, record) {
            Decoded::Other => None,
            Decoded::OutOfScope => {
                self.stats.calls += 1;
                None
            }
            Decoded::Problem(problem) => Some(problem),
            Decoded::Call(call) => {
                self.stats.calls += 1;
                let problem = match call.time {
                    None => Some(format!(
                        "record {record}: `eventTime` is missing or not a time; AUD004 cannot place it"
                    )),
                    Some(time) => {
                        let late = self
                            .delivered
                            .is_some_and(|d| time > d + scope.clock_skew_seconds)
                            || time > self.limit_future;
                        if late {
                            self.skewed.get_or_insert((record, 0)).1 += 1;
                        }
                        None
                    }
                };
                if call.in_scope() {
                    self.stats.in_scope += 1;
                    for (_, check) in CHECKS {
                        if let Some(alert) = check(&call, scope) {
                            self.alerts.push(alert);
                        }
                    }
                }
                self.bulk.observe(&call, scope);
                problem
            }
        }
    }
}

/// Runs every detection over the records of `bytes` (one file's content, inflated), as if
/// read from `name`: the alerts (AUD004's included) and the problems. For fuzzing.
pub fn check_bytes(bytes: &[u8], name: &str, scope: &Scope, now: i64) -> (Vec<Alert>, Vec<String>) {
    let path: Arc<str> = Arc::from(name);
    let mut alerts = Vec::new();
    let mut bulk = BulkReads::default();
    let mut stats = Stats::default();
    let mut skewed = None;
    let mut sink = FileSink {
        scope,
        path: &path,
        delivered: None,
        limit_future: now + scope.clock_skew_seconds,
        alerts: &mut alerts,
        bulk: &mut bulk,
        stats: &mut stats,
        skewed: &mut skewed,
    };
    let report = reader::read_bytes(bytes, &ReadOptions::default(), &mut sink);
    alerts.extend(bulk.alerts(scope));
    let problems = report.problems.into_iter().map(|p| p.message).collect();
    (alerts, problems)
}

/// Oldest first, then by rule and the first event. The key borrows the event id: sorting
/// tens of thousands of alerts compares them hundreds of thousands of times.
pub fn alert_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    fn key(x: &Alert) -> (i64, &'static str, Option<&str>) {
        (
            x.time.unwrap_or(i64::MAX),
            x.rule.code,
            x.evidence.first().map(|e| e.event_id.as_str()),
        )
    }
    key(a).cmp(&key(b))
}

/// Whether a file found under a directory is a CloudTrail file to read. Digest files
/// (`CloudTrail-Digest/`) hold hashes, not events.
fn is_trail_file(path: &Path) -> bool {
    if path
        .components()
        .any(|c| c.as_os_str() == "CloudTrail-Digest")
    {
        return false;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".json",
        ".json.gz",
        ".jsonl",
        ".jsonl.gz",
        ".ndjson",
        ".ndjson.gz",
        ".gz",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// The files under `paths` (a file named on its own is always read), sorted, with a warning
/// for each path that cannot be walked.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Warning>) {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                files.push(path.clone());
                continue;
            }
            Ok(_) => {}
            Err(error) => {
                warnings.push(Warning::new(
                    path.display().to_string(),
                    WarningKind::Unreadable,
                    format!("cannot read: {error}"),
                ));
                continue;
            }
        }
        // Siblings in name order make the depth-first walk yield paths already in `Path`
        // order, so the sort below finds one run instead of comparing 16,000 paths component
        // by component.
        let walker = ignore::WalkBuilder::new(path)
            .standard_filters(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) && is_trail_file(entry.path())
                    {
                        files.push(entry.into_path());
                    }
                }
                Err(error) => warnings.push(Warning::new(
                    path.display().to_string(),
                    WarningKind::Walk,
                    error.to_string(),
                )),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, warnings)
}

/// Reads `paths` once: every alert, oldest first.
pub fn run(paths: &[PathBuf], scope: Scope, options: WatchOptions) -> Batch {
    let (files, mut warnings) = collect_files(paths);
    let mut watch = Watch::new(scope, options);
    let mut batch = watch.process(&files);
    batch.alerts.extend(watch.bulk_alerts());
    batch.alerts.par_sort_by(alert_order);
    warnings.append(&mut batch.warnings);
    batch.warnings = warnings;
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_times_come_from_file_names() {
        let path = Path::new(
            "AWSLogs/1/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json",
        );
        assert_eq!(
            delivery_time(path),
            call::parse_time("2023-07-10T11:45:00Z")
        );
        assert_eq!(delivery_time(Path::new("trail.json")), None);
    }

    #[test]
    fn digests_are_not_trail_files() {
        assert!(is_trail_file(Path::new("a/CloudTrail/us-east-1/x.json.gz")));
        assert!(!is_trail_file(Path::new(
            "a/CloudTrail-Digest/us-east-1/x.json.gz"
        )));
        assert!(!is_trail_file(Path::new("a/README.md")));
    }
}
