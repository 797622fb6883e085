//! ## What it does
//! Finds publicly known default secrets in Airflow configuration: the User-Community Helm
//! chart's default fernet key (`7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc=`), its default
//! webserver secret key `THIS IS UNSAFE!`, and database or broker URIs whose user and password
//! are the well-known pairs `airflow:airflow`, `postgres:postgres`, `admin:admin`.
//! ## Why is this bad?
//! These values are in public charts, tutorials and docker-compose files: everyone has them. A
//! deployment using the chart's fernet key has effectively unencrypted connection passwords; one
//! using its secret key accepts session cookies anyone can forge; `airflow:airflow` is the first
//! password an attacker tries on the metadata database.
//! ## Example
//! ```ini
//! [core]
//! fernet_key = 7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc=
//! [webserver]
//! secret_key = THIS IS UNSAFE!
//! ```
//! ## How to fix
//! Generate new values (`python -c "from cryptography.fernet import Fernet;
//! print(Fernet.generate_key().decode())"` for the fernet key, a long random string for secret
//! keys, a new database password), store them in the secrets backend or a Kubernetes Secret, and
//! reference them with the option's `_cmd` / `_secret` form. Changing the fernet key needs
//! `airflow rotate-fernet-key` with the old key kept in the list (`new,old`) until it has run.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::rules::{is_uri_option, uri_credentials};
use crate::settings::Setting;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG002",
    name: "public-default-secret",
    summary: "Publicly known default secret (chart default fernet key, `THIS IS UNSAFE!`, airflow:airflow)",
    severity: Severity::Critical,
    confidence: Confidence::High,
    overlap_rank: Some(50),
    references: &[
        "https://github.com/airflow-helm/charts/blob/main/charts/airflow/docs/faq/security/set-fernet-key.md",
        "https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/fernet.html",
    ],
    source: include_str!("cfg002_public_default_secret.rs"),
};

const DEFAULT_FERNET_KEY: &str = "7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc=";
const DEFAULT_SECRET_KEY: &str = "THIS IS UNSAFE!";
const DEFAULT_PAIRS: &[(&str, &str)] = &[
    ("airflow", "airflow"),
    ("postgres", "postgres"),
    ("admin", "admin"),
];

fn unquoted<'a>(setting: &Setting<'a>) -> &'a str {
    setting.value.trim().trim_matches(['"', '\''])
}

/// Whether the setting holds a public default (CFG001 then leaves it to this rule).
pub fn is_public_default(setting: &Setting<'_>) -> bool {
    what_default(setting).is_some()
}

fn what_default(setting: &Setting<'_>) -> Option<(String, std::ops::Range<usize>)> {
    let value = unquoted(setting);
    match setting.key.as_str() {
        "fernet_key" if value == DEFAULT_FERNET_KEY => Some((
            "is the User-Community chart's default fernet key".to_owned(),
            setting.value_span.clone(),
        )),
        "secret_key" if value == DEFAULT_SECRET_KEY => Some((
            "is the User-Community chart's default secret key".to_owned(),
            setting.value_span.clone(),
        )),
        key if is_uri_option(key) => {
            let (user, password) = uri_credentials(setting.value)?;
            let secret = &setting.value[password.clone()];
            DEFAULT_PAIRS
                .iter()
                .any(|(u, p)| user == *u && secret == *p)
                .then(|| {
                    let start = setting.value_span.start + password.start;
                    (
                        format!("uses the well-known default password of user `{user}`"),
                        start..start + password.len(),
                    )
                })
        }
        _ => None,
    }
}

pub fn check(setting: &Setting<'_>, reports: &mut Reports) {
    let Some((what, span)) = what_default(setting) else {
        return;
    };
    let (cmd, secret) = setting.indirect_forms();
    reports.report(
        &RULE,
        span,
        format!("{} {what}, known to everyone", setting.display()),
        format!("Generate a new value, keep it in the secrets backend or a Kubernetes Secret and reference it with {cmd} / {secret}; everything the old value protected must be rotated."),
        true,
    );
}
