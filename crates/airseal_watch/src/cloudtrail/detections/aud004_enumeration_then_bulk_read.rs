//! ## What it does
//! Reports a principal that lists secrets or parameters (`secretsmanager:ListSecrets`,
//! `ListSecretVersionIds`, `BatchGetSecretValue` by filter, `ssm:DescribeParameters`) and
//! then reads at least `bulk-read-threshold` (default 10) distinct Airflow secrets or
//! parameters within `bulk-read-window` (default 10 minutes) of the listing. Reads by
//! `[watch] writers` are not counted (`airseal rotate run --due` lists, then reads what is
//! due). Airflow's own backend never lists: it reads the ids it is asked for.
//!
//! Events may arrive in any order across files: the detection keeps, per principal and minute,
//! the earliest listing and the latest read of each secret (at most 4,096 per minute), so its
//! memory grows with principals and minutes, not with events.
//! ## Why is this bad?
//! List-then-read-everything is how credential harvesting looks in CloudTrail — the Stratus Red
//! Team techniques `secretsmanager-retrieve-secrets`, `secretsmanager-batch-retrieve-secrets`
//! and `ssm-retrieve-securestring-parameters` do exactly this. A worker reading twenty
//! connections over a day is normal; a session reading twenty right after listing them is an
//! incident.
//! ## Example
//! ```text
//! 12:00:01 ListSecrets      arn:aws:iam::123456789012:user/mallory
//! 12:00:02 GetSecretValue   airflow/connections/warehouse     (same user)
//! 12:00:02 GetSecretValue   airflow/connections/crm           (same user)
//! ...      (10 distinct Airflow secrets within 10 minutes)
//! ```
//! ## How to fix
//! Treat every secret read as exposed: rotate them (`airseal rotate run`), revoke the
//! principal's sessions, and find how it got `secretsmanager:ListSecrets` and read access to
//! Airflow's prefixes (`airseal iam lint`).

use std::collections::{BTreeMap, HashMap};

use airseal_finding::{Confidence, Severity, StaticRule};

use super::{Alert, Call, Evidence, list_text};
use crate::cloudtrail::event::Service;
use crate::cloudtrail::scope::Scope;

pub const RULE: StaticRule = StaticRule {
    code: "AUD004",
    name: "enumeration-then-bulk-read",
    summary: "Secrets listed, then many distinct Airflow secrets read by the same principal",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.secretsmanager-retrieve-secrets/",
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.secretsmanager-batch-retrieve-secrets/",
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.ssm-retrieve-securestring-parameters/",
    ],
    source: include_str!("aud004_enumeration_then_bulk_read.rs"),
};

const BUCKET_SECONDS: i64 = 60;
const MAX_READS_PER_BUCKET: usize = 4_096;
/// Evidence kept in an alert: the listing and the first reads.
const MAX_EVIDENCE: usize = 50;

#[derive(Debug, Default)]
struct Bucket {
    /// The earliest listing in the minute.
    listing: Option<(i64, Evidence)>,
    /// Per secret, its latest read in the minute.
    reads: HashMap<String, (i64, Evidence)>,
}

/// Keeps the later of two reads of a secret; a new secret only while the minute has room.
fn keep_latest(
    reads: &mut HashMap<String, (i64, Evidence)>,
    secret: &str,
    time: i64,
    evidence: &Evidence,
) {
    let room = reads.len() < MAX_READS_PER_BUCKET;
    match reads.get_mut(secret) {
        Some(latest) if latest.0 < time => *latest = (time, evidence.clone()),
        Some(_) => {}
        None if room => {
            reads.insert(secret.to_owned(), (time, evidence.clone()));
        }
        None => {}
    }
}

#[derive(Debug, Default)]
struct Activity {
    buckets: BTreeMap<i64, Bucket>,
    /// For the alert.
    source_ip: Option<String>,
    region: Option<String>,
    user_agent: Option<String>,
}

/// AUD004's state over the calls seen so far, per principal and service (a Secrets Manager
/// listing is followed by Secrets Manager reads); states of separate files merge.
#[derive(Debug, Default)]
pub struct BulkReads {
    principals: HashMap<(String, Service), Activity>,
}

impl BulkReads {
    pub fn observe(&mut self, call: &Call<'_>, scope: &Scope) {
        let Some(time) = call.time else {
            return;
        };
        if call.failed() || scope.writers.contains(&call.principal) {
            return;
        }
        let enumeration = call.is_enumeration();
        let read = call.is_read() && !call.secrets.is_empty();
        if !enumeration && !read {
            return;
        }
        let activity = self
            .principals
            .entry((call.principal.display(), call.service))
            .or_default();
        if activity.source_ip.is_none() {
            activity.source_ip = call.source_ip.as_deref().map(str::to_owned);
            activity.region = call.region.as_deref().map(str::to_owned);
            activity.user_agent = call.user_agent.as_deref().map(str::to_owned);
        }
        let bucket = activity
            .buckets
            .entry(time.div_euclid(BUCKET_SECONDS))
            .or_default();
        if enumeration && bucket.listing.as_ref().is_none_or(|(t, _)| time < *t) {
            bucket.listing = Some((time, call.evidence.clone()));
        }
        if read {
            for secret in &call.secrets {
                keep_latest(&mut bucket.reads, secret, time, &call.evidence);
            }
        }
    }

    pub fn merge(&mut self, other: BulkReads) {
        for (principal, theirs) in other.principals {
            let ours = self.principals.entry(principal).or_default();
            if ours.source_ip.is_none() {
                ours.source_ip = theirs.source_ip;
                ours.region = theirs.region;
                ours.user_agent = theirs.user_agent;
            }
            for (minute, bucket) in theirs.buckets {
                let mine = ours.buckets.entry(minute).or_default();
                if let Some((time, evidence)) = bucket.listing
                    && mine.listing.as_ref().is_none_or(|(t, _)| time < *t)
                {
                    mine.listing = Some((time, evidence));
                }
                for (secret, (time, evidence)) in bucket.reads {
                    keep_latest(&mut mine.reads, &secret, time, &evidence);
                }
            }
        }
    }

    /// The alerts of everything seen so far, oldest first.
    pub fn alerts(&self, scope: &Scope) -> Vec<Alert> {
        let window = scope.bulk_read_window_seconds;
        let mut alerts = Vec::new();
        let mut principals: Vec<_> = self.principals.iter().collect();
        principals.sort_by(|a, b| (&a.0.0, a.0.1.prefix()).cmp(&(&b.0.0, b.0.1.prefix())));
        for ((principal, _), activity) in principals {
            let mut quiet_until = i64::MIN;
            for bucket in activity.buckets.values() {
                let Some((listed, listing)) = &bucket.listing else {
                    continue;
                };
                if *listed < quiet_until {
                    continue;
                }
                let mut read: BTreeMap<&str, &(i64, Evidence)> = BTreeMap::new();
                let first = listed.div_euclid(BUCKET_SECONDS);
                let last = (listed + window).div_euclid(BUCKET_SECONDS);
                for (_, later) in activity.buckets.range(first..=last) {
                    for (secret, entry) in &later.reads {
                        if entry.0 >= *listed && entry.0 <= listed + window {
                            read.insert(secret.as_str(), entry);
                        }
                    }
                }
                if read.len() < scope.bulk_read_threshold {
                    continue;
                }
                quiet_until = listed + window;
                let secrets: Vec<String> = read.keys().map(|s| (*s).to_owned()).collect();
                let mut reads: Vec<&(i64, Evidence)> = read.values().copied().collect();
                reads.sort_by(|a, b| (a.0, &a.1.event_id).cmp(&(b.0, &b.1.event_id)));
                // A call that read several of the secrets is one piece of evidence.
                reads.dedup_by(|a, b| a.1.event_id == b.1.event_id);
                let mut evidence = vec![listing.clone()];
                evidence.extend(reads.iter().take(MAX_EVIDENCE).map(|(_, e)| e.clone()));
                let minutes = window / 60;
                alerts.push(Alert {
                    rule: &RULE,
                    severity: RULE.severity,
                    message: format!(
                        "`{principal}` listed secrets ({}) and then read {} distinct Airflow secrets within {}: {}",
                        listing.event_name,
                        secrets.len(),
                        if minutes > 0 { format!("{minutes} min") } else { format!("{window} s") },
                        list_text(&secrets)
                    ),
                    principal: principal.clone(),
                    secrets,
                    source_ip: activity.source_ip.clone(),
                    region: activity.region.clone(),
                    user_agent: activity.user_agent.clone(),
                    evidence,
                    time: Some(*listed),
                });
            }
        }
        alerts
    }
}
