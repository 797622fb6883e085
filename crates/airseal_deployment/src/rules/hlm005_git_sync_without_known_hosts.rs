//! ## What it does
//! Finds git-sync configured for SSH without a `known_hosts`: the User-Community chart's
//! `dags.gitSync.sshSecret` with an empty `dags.gitSync.sshKnownHosts`, or the official chart's
//! `dags.gitSync.sshKeySecret` / `sshKey` without `dags.gitSync.knownHosts`. Both charts then
//! turn SSH host-key checking off.
//! ## Why is this bad?
//! Without host-key verification git-sync trusts whichever server answers: anyone who can
//! redirect the connection (DNS, a compromised network path) serves their own DAGs, and DAG
//! code runs with every connection and secret the workers can reach.
//! ## Example
//! ```yaml
//! dags:
//!   gitSync:
//!     enabled: true
//!     repo: "git@github.com:example/dags.git"
//!     sshSecret: "airflow-git-ssh"
//!     sshKnownHosts: ""
//! ```
//! ## How to fix
//! Set the host's public keys: `sshKnownHosts: |` (User-Community) or `knownHosts: |`
//! (official) with the output of `ssh-keyscan github.com`, checked against the provider's
//! published fingerprints.

use airseal_finding::{Confidence, Severity};
use airseal_yaml::Node;

use crate::helm::chart::lookup;
use crate::helm::{Chart, Values, is_false, is_set};
use crate::registry::{Reports, RuleSpec};

pub const RULE: RuleSpec = RuleSpec {
    code: "HLM005",
    name: "git-sync-without-known-hosts",
    summary: "git-sync over SSH with host-key checking off (no known_hosts in the chart values)",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://github.com/airflow-helm/charts/blob/main/charts/airflow/docs/faq/dags/load-dag-definitions.md",
        "https://airflow.apache.org/docs/helm-chart/stable/manage-dag-files.html",
    ],
    source: include_str!("hlm005_git_sync_without_known_hosts.rs"),
};

pub fn check(values: &Values<'_, '_>, reports: &mut Reports) {
    let Some(git_sync) = lookup(values.root, "dags.gitSync") else {
        return;
    };
    if is_false(git_sync.get("enabled")) {
        return;
    }
    let (ssh_keys, known_hosts): (&[&str], &str) = match values.chart {
        Chart::UserCommunity => (&["sshSecret"], "sshKnownHosts"),
        Chart::Official => (&["sshKeySecret", "sshKey"], "knownHosts"),
    };
    let Some(ssh_key) = ssh_keys.iter().find(|k| is_set(git_sync.get(k))) else {
        return;
    };
    if is_set(git_sync.get(known_hosts)) {
        return;
    }
    // Point at the empty `known_hosts` key when it is written, else at the SSH key setting.
    let Some(span) = key_span(git_sync, known_hosts).or_else(|| key_span(git_sync, ssh_key)) else {
        return;
    };
    reports.report(
        &RULE,
        span,
        format!(
            "`dags.gitSync.{ssh_key}` is set but `dags.gitSync.{known_hosts}` is empty: SSH host keys are not checked"
        ),
        format!(
            "Set `dags.gitSync.{known_hosts}` to the git host's keys (`ssh-keyscan <host>`, checked against the published fingerprints)."
        ),
        false,
    );
}

fn key_span(mapping: &Node, key: &str) -> Option<std::ops::Range<usize>> {
    mapping.entries().iter().find_map(|(k, _)| match k {
        Node::Scalar { value, span, .. } if value == key => Some(span.clone()),
        _ => None,
    })
}
