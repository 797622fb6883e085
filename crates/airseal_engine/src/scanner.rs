use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use airseal_discovery::{
    DiscoveryError, DiscoveryOptions, SourceFile, Visitor, VisitorFactory, WalkStats, walk,
};
use airseal_finding::{Finding, LineIndex, RuleMeta, SourceLine, Warning};
use regex::bytes::Regex;

use crate::{Analyzer, Baseline, FileAnalysis, RuleSelection, suppression_covers};

/// What filters findings after the analyzers ran.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    pub selection: RuleSelection,
    /// Regexes; a secret matching any is not reported.
    pub allowlist: Vec<Regex>,
    /// Lowercase words; a secret containing any is not reported.
    pub stopwords: Vec<String>,
    pub baseline: Option<Baseline>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("allowlist entry {index} is not a valid regex: {message}")]
    Allowlist { index: usize, message: String },
    #[error("per-file-ignores: {0}")]
    Glob(#[from] globset::Error),
}

impl ScanSettings {
    pub fn new(
        selection: RuleSelection,
        allowlist: &[String],
        stopwords: &[String],
        baseline: Option<Baseline>,
    ) -> Result<Self, SettingsError> {
        let allowlist = allowlist
            .iter()
            .enumerate()
            .map(|(index, pattern)| {
                Regex::new(pattern).map_err(|e| SettingsError::Allowlist {
                    index: index + 1,
                    // The regex error quotes the pattern, which may embed the secret it allows;
                    // keep only its final "error: ..." line.
                    message: e
                        .to_string()
                        .lines()
                        .rev()
                        .find(|l| l.starts_with("error:"))
                        .map_or_else(
                            || "syntax error".to_owned(),
                            |l| l.trim_start_matches("error: ").to_owned(),
                        ),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ScanSettings {
            selection,
            allowlist,
            stopwords: stopwords.iter().map(|s| s.to_lowercase()).collect(),
            baseline,
        })
    }
}

/// Live counters for a progress display, updated by the worker threads.
#[derive(Debug, Default)]
pub struct ScanProgress {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub findings: AtomicU64,
}

/// Everything a scan produced, sorted for stable output.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    pub stats: WalkStats,
    /// Findings silenced by an `airseal: ignore` comment.
    pub suppressed_inline: u64,
    /// Findings silenced by per-file-ignores, the allowlist or stopwords.
    pub suppressed_by_config: u64,
    /// Findings already in the baseline.
    pub baselined: u64,
}

pub struct Scanner {
    analyzers: Vec<Box<dyn Analyzer>>,
    settings: ScanSettings,
}

impl Scanner {
    pub fn new(analyzers: Vec<Box<dyn Analyzer>>, settings: ScanSettings) -> Self {
        Scanner {
            analyzers,
            settings,
        }
    }

    /// Metadata of every enabled rule, sorted by code.
    pub fn rules(&self) -> Vec<RuleMeta> {
        let mut rules: Vec<RuleMeta> = self
            .analyzers
            .iter()
            .flat_map(|a| a.rules())
            .filter(|r| self.settings.selection.is_enabled(&r.code))
            .collect();
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        rules
    }

    pub fn scan(
        &self,
        discovery: &DiscoveryOptions,
        progress: &ScanProgress,
    ) -> Result<ScanOutcome, DiscoveryError> {
        let collected = Mutex::new(ScanOutcome::default());
        let factory = WorkerFactory {
            scanner: self,
            collected: &collected,
            progress,
        };
        let stats = walk(discovery, &factory)?;
        let mut outcome = collected.into_inner().unwrap_or_else(|p| p.into_inner());
        outcome.stats = stats;
        outcome
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        outcome.warnings.sort();
        Ok(outcome)
    }

    /// Runs the analyzers and filters on one file's bytes (used by the scan and by tests).
    pub fn analyze_file(&self, file: &SourceFile<'_>, outcome: &mut ScanOutcome) {
        let mut analysis = FileAnalysis::new(*file);
        for analyzer in &self.analyzers {
            analyzer.analyze(file, &mut analysis);
        }
        let (findings, warnings, index) = analysis.into_parts();
        outcome.warnings.extend(warnings);
        if findings.is_empty() {
            return;
        }
        let index = index.unwrap_or_else(|| LineIndex::new(file.bytes));
        // Every secret any analyzer saw in this file, reported or not, is redacted in code frames.
        let secrets: Vec<_> = findings
            .iter()
            .filter(|f| f.span_is_secret)
            .map(|f| f.location.start_byte..f.location.end_byte)
            .collect();
        let findings = self.merge_overlapping(findings);
        for mut finding in findings {
            match self.verdict(file.bytes, &index, &finding) {
                Verdict::Report => {
                    let span = finding.location.start_byte..finding.location.end_byte;
                    finding.source_line =
                        Some(SourceLine::redacted(file.bytes, &index, span, &secrets));
                    outcome.findings.push(finding);
                }
                Verdict::Disabled => {}
                Verdict::Config => outcome.suppressed_by_config += 1,
                Verdict::Inline => outcome.suppressed_inline += 1,
                Verdict::Baselined => outcome.baselined += 1,
            }
        }
    }

    /// Keeps, of ranked findings whose spans overlap, only the highest rank (see
    /// [`Finding::overlap_rank`]). Runs after rule selection and per-file ignores, so a rule the
    /// user switched off never hides another rule's finding.
    fn merge_overlapping(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let selection = &self.settings.selection;
        let active = |f: &Finding| {
            f.overlap_rank.is_some()
                && selection.is_enabled(&f.code)
                && !selection.is_ignored_in(&f.code, &f.path)
        };
        let ranked: Vec<(u8, usize, usize, airseal_finding::Severity)> = findings
            .iter()
            .filter(|f| active(f))
            .filter_map(|f| {
                let rank = f.overlap_rank?;
                Some((rank, f.location.start_byte, f.location.end_byte, f.severity))
            })
            .collect();
        if ranked.len() < 2 {
            return findings;
        }
        findings
            .into_iter()
            .filter_map(|mut f| {
                let Some(rank) = f.overlap_rank.filter(|_| active(&f)) else {
                    return Some(f);
                };
                let (start, end) = (f.location.start_byte, f.location.end_byte);
                let overlapping =
                    |&&(_, s, e, _): &&(u8, usize, usize, airseal_finding::Severity)| {
                        s < end && start < e
                    };
                if ranked
                    .iter()
                    .filter(overlapping)
                    .any(|&(other, ..)| other > rank)
                {
                    return None;
                }
                // The finding that says more keeps the gravest severity of those it replaces:
                // a fernet key is critical whichever rule names it.
                if let Some(gravest) = ranked
                    .iter()
                    .filter(overlapping)
                    .filter(|&&(other, ..)| other < rank)
                    .map(|&(.., severity)| severity)
                    .max()
                {
                    f.severity = f.severity.max(gravest);
                }
                Some(f)
            })
            .collect()
    }

    fn verdict(&self, text: &[u8], index: &LineIndex, finding: &Finding) -> Verdict {
        let settings = &self.settings;
        if !settings.selection.is_enabled(&finding.code) {
            return Verdict::Disabled;
        }
        if settings
            .selection
            .is_ignored_in(&finding.code, &finding.path)
        {
            return Verdict::Config;
        }
        let secret = finding.secret.expose();
        if settings.allowlist.iter().any(|re| re.is_match(secret)) {
            return Verdict::Config;
        }
        if !settings.stopwords.is_empty() {
            let lower = String::from_utf8_lossy(secret).to_lowercase();
            if settings
                .stopwords
                .iter()
                .any(|w| lower.contains(w.as_str()))
            {
                return Verdict::Config;
            }
        }
        if suppression_covers(text, index, finding) {
            return Verdict::Inline;
        }
        if settings
            .baseline
            .as_ref()
            .is_some_and(|b| b.contains(finding))
        {
            return Verdict::Baselined;
        }
        Verdict::Report
    }
}

enum Verdict {
    Report,
    Disabled,
    Config,
    Inline,
    Baselined,
}

struct WorkerFactory<'a> {
    scanner: &'a Scanner,
    collected: &'a Mutex<ScanOutcome>,
    progress: &'a ScanProgress,
}

impl<'a> VisitorFactory for WorkerFactory<'a> {
    type Visitor = Worker<'a>;
    fn make(&self) -> Worker<'a> {
        Worker {
            scanner: self.scanner,
            collected: self.collected,
            progress: self.progress,
            outcome: ScanOutcome::default(),
        }
    }
}

/// One thread's share of the scan; merged into the shared outcome when the walk drops it.
struct Worker<'a> {
    scanner: &'a Scanner,
    collected: &'a Mutex<ScanOutcome>,
    progress: &'a ScanProgress,
    outcome: ScanOutcome,
}

impl Visitor for Worker<'_> {
    fn visit(&mut self, file: &SourceFile<'_>) {
        let before = self.outcome.findings.len();
        self.scanner.analyze_file(file, &mut self.outcome);
        self.progress.files.fetch_add(1, Ordering::Relaxed);
        self.progress
            .bytes
            .fetch_add(file.bytes.len() as u64, Ordering::Relaxed);
        let found = (self.outcome.findings.len() - before) as u64;
        if found > 0 {
            self.progress.findings.fetch_add(found, Ordering::Relaxed);
        }
    }

    fn warn(&mut self, warning: Warning) {
        self.outcome.warnings.push(warning);
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.collected.lock().unwrap_or_else(|p| p.into_inner());
        let mine = std::mem::take(&mut self.outcome);
        shared.findings.extend(mine.findings);
        shared.warnings.extend(mine.warnings);
        shared.suppressed_inline += mine.suppressed_inline;
        shared.suppressed_by_config += mine.suppressed_by_config;
        shared.baselined += mine.baselined;
    }
}
