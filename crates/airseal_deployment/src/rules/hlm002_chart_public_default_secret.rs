//! ## What it does
//! Finds an Airflow Helm chart's own public default secret left in effect in values: the
//! User-Community chart's fixed `airflow.fernetKey` (`7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc=`),
//! `airflow.webserverSecretKey: "THIS IS UNSAFE!"`, the `admin` / `admin` user,
//! `postgresql.postgresqlPassword: airflow` and `redis.password: airflow`; the official chart's
//! `data.metadataConnection.pass: postgres`, `postgresql.auth.postgresPassword: postgres` and
//! `webserver.defaultUser.password: admin`. A default is not reported when the chart does not
//! use the key (`postgresql.enabled: false`, `data.metadataSecretName` set,
//! `webserver.defaultUser.enabled: false`).
//! ## Why is this bad?
//! These values are printed in the charts' public values.yaml: everyone knows them. The default
//! fernet key decrypts every connection password in any metadata database that uses it; the
//! default secret key lets anyone forge a logged-in session; `admin` / `admin` is the first
//! login anyone tries.
//! ## Example
//! ```yaml
//! airflow:
//!   fernetKey: "7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc="
//!   webserverSecretKey: "THIS IS UNSAFE!"
//! ```
//! ## How to fix
//! Generate new values (`python -c "from cryptography.fernet import Fernet;
//! print(Fernet.generate_key().decode())"` for a fernet key, 32 random bytes for a secret key),
//! keep them in a Kubernetes Secret and use the key's secure alternative (the fix names it). A
//! deployment that ran with the default fernet key must re-encrypt its connections
//! (`airflow rotate-fernet-key` with the old key listed second).

use airseal_finding::{Confidence, Severity};

use crate::helm::chart::lookup;
use crate::helm::secret_keys::{self, Kind, Unused};
use crate::helm::{Values, is_false, is_set, resolve, scalar_in};
use crate::registry::{Reports, RuleSpec};

pub const RULE: RuleSpec = RuleSpec {
    code: "HLM002",
    name: "chart-public-default-secret",
    summary: "An Airflow Helm chart's public default secret (fernet key, secret key, admin/admin, database passwords) left in values",
    severity: Severity::Critical,
    confidence: Confidence::High,
    overlap_rank: Some(50),
    references: &[
        "https://github.com/airflow-helm/charts/blob/main/charts/airflow/docs/faq/security/set-fernet-key.md",
        "https://airflow.apache.org/docs/helm-chart/stable/production-guide.html",
    ],
    source: include_str!("hlm002_chart_public_default_secret.rs"),
};

pub fn check(values: &Values<'_, '_>, reports: &mut Reports) {
    for key in secret_keys::of(values.chart) {
        if key.kind != Kind::Whole || key.public_defaults.is_empty() {
            continue;
        }
        let unused = key.unused_when.iter().any(|condition| match condition {
            Unused::Set(path) => is_set(lookup(values.root, path)),
            Unused::False(path) => is_false(lookup(values.root, path)),
        });
        if unused {
            continue;
        }
        for at in resolve(values.root, key.path) {
            let (Some(value), Some((_, span, _))) =
                (at.node.as_str(), scalar_in(values.text, at.node))
            else {
                continue;
            };
            if !key.public_defaults.contains(&value) {
                continue;
            }
            reports.report(
                &RULE,
                span,
                format!(
                    "`{}` is the {}'s public default: {}",
                    at.path,
                    values.chart.name(),
                    key.what
                ),
                format!(
                    "Generate a new value and keep it in a Kubernetes Secret; secure alternative: {}.",
                    key.instead
                ),
                true,
            );
        }
    }
}
