//! ## What it does
//! Finds credentials in Kubernetes `ConfigMap` data (and in the official Airflow chart's
//! `extraConfigMaps`): keys whose name says they hold a secret (`DB_PASSWORD`, `SLACK_TOKEN`)
//! with a literal value, and passwords inside URIs (`postgresql://user:pass@host`). Keys that
//! are Airflow settings (`AIRFLOW__CORE__FERNET_KEY`, `AIRFLOW_CONN_*`, `AIRFLOW_VAR_*`) are
//! judged by the `CFG###` rules, and an `airflow.cfg` held in a ConfigMap is read as one.
//! ## Why is this bad?
//! ConfigMaps are not secret: they are readable by anyone with `get configmaps` in the
//! namespace, printed by `kubectl describe`, and not encrypted at rest in etcd.
//! ## Example
//! ```yaml
//! apiVersion: v1
//! kind: ConfigMap
//! metadata:
//!   name: airflow-env
//! data:
//!   WAREHOUSE_PASSWORD: "Wareh0use-Pr0d"
//! ```
//! ## How to fix
//! Move the value into a Secret created out of band (External Secrets Operator, Sealed
//! Secrets) and reference it with `envFrom.secretRef` / `valueFrom.secretKeyRef`; better, keep
//! Airflow credentials in the secrets backend as connections. Rotate the exposed value.

use airseal_finding::{Confidence, Severity};

use crate::kubernetes::{DataEntry, is_secret_literal, is_secret_name};
use crate::registry::{Reports, RuleSpec};
use crate::rules::{is_not_a_value, uri_credentials};

pub const RULE: RuleSpec = RuleSpec {
    code: "KUB002",
    name: "configmap-holds-credentials",
    summary: "Credential in Kubernetes ConfigMap data (secret-named key or a URI with a password)",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: Some(40),
    references: &["https://kubernetes.io/docs/concepts/configuration/configmap/"],
    source: include_str!("kub002_configmap_holds_credentials.rs"),
};

/// Entries whose name is an Airflow setting are left to the `CFG###` rules.
pub fn is_airflow_name(name: &str) -> bool {
    name.starts_with("AIRFLOW__")
        || name.starts_with("AIRFLOW_CONN_")
        || name.starts_with("AIRFLOW_VAR_")
}

pub fn check(configmap: &str, entry: &DataEntry<'_>, reports: &mut Reports) {
    if is_airflow_name(&entry.key) || entry.key == "airflow.cfg" {
        return;
    }
    let fix = "Move it into a Secret created out of band and reference it with `secretKeyRef` / `envFrom.secretRef`, or keep it in the secrets backend; rotate it.";
    if let Some((_, password)) = uri_credentials(entry.raw) {
        if !is_not_a_value(&entry.raw[password.clone()]) {
            let start = entry.span.start + password.start;
            reports.report(
                &RULE,
                start..start + password.len(),
                format!(
                    "ConfigMap `{configmap}` key `{}` holds a URI with a password",
                    entry.key
                ),
                fix.to_owned(),
                true,
            );
        }
        return;
    }
    if is_secret_name(&entry.key) && is_secret_literal(&entry.value) && !entry.value.contains('\n')
    {
        reports.report(
            &RULE,
            entry.span.clone(),
            format!("ConfigMap `{configmap}` key `{}` holds a secret", entry.key),
            fix.to_owned(),
            true,
        );
    }
}
