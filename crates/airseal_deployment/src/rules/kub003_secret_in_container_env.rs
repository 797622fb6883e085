//! ## What it does
//! Finds a container environment variable whose name says it holds a secret (`DB_PASSWORD`,
//! `AWS_SECRET_ACCESS_KEY`, `SLACK_TOKEN`) set with a literal `value:` — in Kubernetes
//! manifests (pods, deployments, jobs, ...) and in the `env` / `extraEnv` lists of Airflow's
//! Helm values. Names that point at a secret (`*_FILE`, `*_NAME`, `*_ARN`), paths, numbers,
//! booleans, placeholders and template expressions are not reported; Airflow's own variables
//! (`AIRFLOW__*`, `AIRFLOW_CONN_*`, `AIRFLOW_VAR_*`) are the `CFG###` rules' job.
//! ## Why is this bad?
//! A literal `value:` is stored in the manifest (and in git), shown by `kubectl describe pod` and
//! `kubectl get -o yaml` to anyone who can read pods, and copied into every ReplicaSet.
//! ## Example
//! ```yaml
//! env:
//!   - name: SNOWFLAKE_PASSWORD
//!     value: "Sn0wfl4ke-Pr0d!"
//! ```
//! ## How to fix
//! `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}` with a Secret created out of band,
//! or an Airflow connection in the secrets backend. Rotate the exposed value.

use airseal_finding::{Confidence, Severity};

use crate::kubernetes::{is_secret_literal, is_secret_name};
use crate::registry::{Reports, RuleSpec};
use crate::rules::kub002_configmap_holds_credentials::is_airflow_name;
use crate::settings::EnvEntry;

pub const RULE: RuleSpec = RuleSpec {
    code: "KUB003",
    name: "secret-in-container-env",
    summary: "Secret-named container environment variable set with a literal value (Kubernetes manifests, Helm values)",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: Some(40),
    references: &[
        "https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/#define-container-environment-variables-using-secret-data",
    ],
    source: include_str!("kub003_secret_in_container_env.rs"),
};

pub fn check(entry: &EnvEntry<'_>, reports: &mut Reports) {
    if is_airflow_name(&entry.name)
        || !is_secret_name(&entry.name)
        || !is_secret_literal(entry.value)
    {
        return;
    }
    reports.report(
        &RULE,
        entry.value_span.clone(),
        format!("Environment variable `{}` is set to a literal secret", entry.name),
        format!(
            "Use `valueFrom.secretKeyRef` for `{}` (a Secret created out of band), or an Airflow connection in the secrets backend; rotate the value.",
            entry.name
        ),
        true,
    );
}
