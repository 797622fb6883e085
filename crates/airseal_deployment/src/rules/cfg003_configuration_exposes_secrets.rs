//! ## What it does
//! Finds settings that make Airflow show or store secrets in the clear:
//! `[core] hide_sensitive_var_conn_fields = False` (the secrets masker is switched off),
//! `[webserver] expose_config = True` / `[api] expose_config = True` (the UI shows the whole
//! configuration, sensitive options included; `non-sensitive-only` is fine), and an empty
//! `[core] fernet_key` (connection passwords and Variables stored unencrypted).
//! ## Why is this bad?
//! Each turns off one of Airflow's own protections: with masking off, every connection password
//! and sensitive Variable that a task prints lands in the task log; `expose_config = True`
//! serves `sql_alchemy_conn`, the fernet key and `backend_kwargs` to every UI user who can open
//! the configuration page; without a fernet key the metadata database holds passwords in plain
//! text.
//! ## Example
//! ```ini
//! [core]
//! hide_sensitive_var_conn_fields = False
//! fernet_key =
//! [webserver]
//! expose_config = True
//! ```
//! ## How to fix
//! Remove the overrides (the defaults are safe: masking on, `expose_config = False`), or use
//! `expose_config = non-sensitive-only`. Set a fernet key, kept in the secrets backend
//! (`fernet_key_secret`) or a Kubernetes Secret, then run `airflow rotate-fernet-key` so existing
//! rows are encrypted.

use airseal_finding::{Confidence, Severity};

use crate::registry::{Reports, RuleSpec};
use crate::settings::Setting;

pub const RULE: RuleSpec = RuleSpec {
    code: "CFG003",
    name: "configuration-exposes-secrets",
    summary: "Setting that switches off masking, exposes the configuration or leaves data unencrypted",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html#hide-sensitive-var-conn-fields",
        "https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html#expose-config",
    ],
    source: include_str!("cfg003_configuration_exposes_secrets.rs"),
};

fn value(setting: &Setting<'_>) -> String {
    setting
        .value
        .trim()
        .trim_matches(['"', '\''])
        .to_ascii_lowercase()
}

pub fn check(setting: &Setting<'_>, reports: &mut Reports) {
    let option = setting.display();
    let problem = match (setting.section.as_str(), setting.key.as_str()) {
        ("core", "hide_sensitive_var_conn_fields")
            if matches!(value(setting).as_str(), "false" | "0" | "f" | "no" | "off") =>
        {
            "switches the secrets masker off: connection passwords and sensitive Variables appear in task logs"
        }
        ("webserver" | "api", "expose_config")
            if matches!(value(setting).as_str(), "true" | "1" | "t" | "yes" | "on") =>
        {
            "shows the whole configuration, sensitive options included, in the UI"
        }
        ("core", "fernet_key") if value(setting).is_empty() => {
            "is empty: connection passwords and Variables are stored unencrypted in the metadata database"
        }
        _ => return,
    };
    // An empty value has no bytes: the finding points at the line's option instead.
    let span = if setting.value_span.is_empty() {
        setting.value_span.start..setting.value_span.start
    } else {
        setting.value_span.clone()
    };
    reports.report(
        &RULE,
        span,
        format!("{option} {problem}"),
        match setting.key.as_str() {
            "fernet_key" => "Set a fernet key kept in the secrets backend (`fernet_key_secret`) or a Kubernetes Secret, then run `airflow rotate-fernet-key`.".to_owned(),
            "expose_config" => "Remove it (the default is False) or use `non-sensitive-only`.".to_owned(),
            _ => "Remove the override: masking is on by default.".to_owned(),
        },
        false,
    );
}
