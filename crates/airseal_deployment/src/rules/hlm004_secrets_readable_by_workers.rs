//! ## What it does
//! Finds `rbac.secrets: true` in the User-Community chart's values, which gives the Airflow
//! service account `get` / `list` / `watch` on every Secret in the release's namespace.
//! ## Why is this bad?
//! Workers run DAG code. With this role any task — or anyone who can merge a DAG — can list and
//! read every Secret in the namespace: the metadata database password, the fernet key, the
//! connections the secrets backend was meant to guard, other applications' credentials.
//! ## Example
//! ```yaml
//! rbac:
//!   create: true
//!   secrets: true
//! ```
//! ## How to fix
//! Leave `rbac.secrets: false` (the default). Tasks that need a credential read it through an
//! Airflow connection from the secrets backend; a KubernetesPodOperator pod that needs a Secret
//! mounts that one Secret by name (`secrets=[Secret(...)]`) without any RBAC on Secrets.

use airseal_finding::{Confidence, Severity};

use crate::helm::chart::lookup;
use crate::helm::{Chart, Values, is_set, scalar_in};
use crate::registry::{Reports, RuleSpec};

pub const RULE: RuleSpec = RuleSpec {
    code: "HLM004",
    name: "secrets-readable-by-workers",
    summary: "User-Community chart `rbac.secrets: true` lets workers and DAG code read every Secret in the namespace",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &["https://github.com/airflow-helm/charts/blob/main/charts/airflow/values.yaml"],
    source: include_str!("hlm004_secrets_readable_by_workers.rs"),
};

pub fn check(values: &Values<'_, '_>, reports: &mut Reports) {
    if values.chart != Chart::UserCommunity {
        return;
    }
    let secrets = lookup(values.root, "rbac.secrets");
    let create = lookup(values.root, "rbac.create");
    // The role exists only when `rbac.create` is on (the default).
    if !is_set(secrets) || create.is_some() && !is_set(create) {
        return;
    }
    let Some((_, span, _)) = secrets.and_then(|n| scalar_in(values.text, n)) else {
        return;
    };
    reports.report(
        &RULE,
        span,
        "`rbac.secrets: true` gives the Airflow service account read access to every Secret in the namespace".to_owned(),
        "Set `rbac.secrets: false`; read credentials through the secrets backend, or mount the one Secret a pod needs by name.".to_owned(),
        false,
    );
}
