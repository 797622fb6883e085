//! ## What it does
//! Finds Kubernetes `Secret` objects whose values are in the repository: every non-empty entry
//! of `data` (base64-decoded first, so an encoded placeholder is not reported and the message
//! can say what the value is, e.g. "an AWS secret access key") and of `stringData`. Committed
//! manifests, rendered charts, kustomize output, `kind: List` and the User-Community chart's
//! `extraManifests` are all read; multi-document files are split. Encrypted forms
//! (`SealedSecret`, SOPS-encrypted values, `ExternalSecret`) are not `Secret` objects and are
//! not reported. Entries whose key names a non-secret part of a connection (`DATABASE_HOST`,
//! `*_PORT`, `*_DB`, `*_SCHEMA`, `*_REGION`, `*_SSLMODE`: the User-Community chart keeps those in
//! its `<release>-config-envs` Secret beside the password) and entries that are a bare number
//! are not secrets and are not reported.
//! ## Why is this bad?
//! base64 is an encoding, not encryption: a Secret manifest in git is the secret in git, for
//! every clone, fork and CI log, forever in history.
//! ## Example
//! ```yaml
//! apiVersion: v1
//! kind: Secret
//! metadata:
//!   name: airflow-fernet-key
//! data:
//!   fernet-key: OGRaMHI2VmIxdTBuUTR5WWs5c1YzeEpiN3FXbTJjTGU1aFRnMWZBYVB6VT0=
//! ```
//! ## How to fix
//! Keep only a reference in git: an External Secrets Operator `ExternalSecret` that reads the
//! value from AWS Secrets Manager / Vault / GCP / Azure, a `SealedSecret`, or SOPS encryption.
//! Remove the manifest from history and rotate the values.

use std::sync::LazyLock;

use base64::Engine;

use airseal_detectors::{DetectorSet, builtin_rules};
use airseal_finding::{Confidence, Severity};
use airseal_yaml::Node;

use crate::kubernetes::{data_entries, name_of};
use crate::registry::{Reports, RuleSpec};
use crate::rules::{is_not_a_value, is_yaml_null};

pub const RULE: RuleSpec = RuleSpec {
    code: "KUB001",
    name: "secret-manifest-with-data",
    summary: "Kubernetes Secret manifest with its values (`data`, base64-decoded, or `stringData`) committed",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(40),
    references: &[
        "https://kubernetes.io/docs/concepts/configuration/secret/#information-security-for-secrets",
        "https://external-secrets.io/latest/",
    ],
    source: include_str!("kub001_secret_manifest_with_data.rs"),
};

/// The built-in credential rules, to say what a decoded value is.
static DETECTORS: LazyLock<Option<DetectorSet>> =
    LazyLock::new(|| DetectorSet::new(builtin_rules().ok()?).ok());

pub fn check(text: &str, object: &Node, reports: &mut Reports) {
    if object.get("kind").and_then(Node::as_str) != Some("Secret") {
        return;
    }
    let name = name_of(object);
    for (field, base64) in [("data", true), ("stringData", false)] {
        let Some(data) = object.get(field) else {
            continue;
        };
        for entry in data_entries(text, data) {
            if is_yaml_null(&entry.value)
                || is_not_a_value(&entry.value)
                || names_a_non_secret(&entry.key)
            {
                continue;
            }
            let decoded = if base64 {
                match base64::engine::general_purpose::STANDARD.decode(entry.value.trim()) {
                    Ok(bytes) => bytes,
                    // Kubernetes would refuse it; still probably a secret.
                    Err(_) => entry.value.as_bytes().to_vec(),
                }
            } else {
                entry.value.as_bytes().to_vec()
            };
            let decoded_text = String::from_utf8_lossy(&decoded);
            if decoded_text.trim().is_empty()
                || is_not_a_value(&decoded_text)
                || decoded_text.trim().bytes().all(|b| b.is_ascii_digit())
            {
                continue;
            }
            let kind = DETECTORS
                .as_ref()
                .and_then(|set| {
                    let first = set.detect(&decoded).into_iter().next()?;
                    set.rules().get(first.rule).map(|r| r.meta.name.clone())
                })
                .map(|rule| format!(" (decoded, it matches {rule})"))
                .unwrap_or_default();
            reports.report(
                &RULE,
                entry.span,
                format!("Secret `{name}` has `{field}.{}` committed{kind}", entry.key),
                "Commit a reference instead (External Secrets Operator `ExternalSecret`, `SealedSecret`, SOPS); purge the manifest from history and rotate the value.".to_owned(),
                true,
            );
        }
    }
}

/// `DATABASE_HOST`, `redis-port`, `db.schema`: the last word of the key is a connection part
/// that is not secret.
fn names_a_non_secret(key: &str) -> bool {
    let last = key
        .rsplit(['_', '-', '.'])
        .next()
        .unwrap_or(key)
        .to_ascii_lowercase();
    matches!(
        last.as_str(),
        "host"
            | "hostname"
            | "port"
            | "db"
            | "database"
            | "schema"
            | "region"
            | "sslmode"
            | "protocol"
    ) && key.len() > last.len()
}
