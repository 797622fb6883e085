//! ## What it does
//! Finds credentials written as literals in the Python files that Airflow's Helm charts take as
//! strings in values: `webserver_config.py` (User-Community `web.webserverConfig.stringOverride`,
//! official `webserver.webserverConfig` and Airflow 3 `apiServer.apiServerConfig`) and
//! `airflow_local_settings.py` (`airflow.localSettings.stringOverride`, official
//! `airflowLocalSettings`): assignments such as `AUTH_LDAP_BIND_PASSWORD = "..."` and dictionary
//! entries such as `"client_secret": "..."` in `OAUTH_PROVIDERS`. Values read from the
//! environment (`os.environ["..."]`) are the fix, not a finding.
//! ## Why is this bad?
//! The whole file sits in the values, so the LDAP bind password or the OAuth client secret is as
//! exposed as any plain-text value — and the chart renders it into a ConfigMap or Secret that
//! every pod mounting `webserver_config.py` can read.
//! ## Example
//! ```yaml
//! web:
//!   webserverConfig:
//!     stringOverride: |
//!       AUTH_LDAP_BIND_PASSWORD = "bind-Pa55word!"
//! ```
//! ## How to fix
//! Read the value from the environment (`os.environ["LDAP_BIND_PASSWORD"]`) and inject that
//! variable from a Kubernetes Secret (`extraEnv` with `valueFrom.secretKeyRef`), or keep the
//! whole file in a Secret (`web.webserverConfig.existingSecret` in the User-Community chart).
//! Rotate the exposed credential.

use std::sync::LazyLock;

use regex::Regex;

use airseal_finding::{Confidence, Severity};
use airseal_yaml::{LiteralBlock, Node};

use crate::helm::{Chart, Values, resolve};
use crate::registry::{Reports, RuleSpec};
use crate::rules::is_not_a_value;

pub const RULE: RuleSpec = RuleSpec {
    code: "HLM003",
    name: "secret-in-embedded-config-file",
    summary: "Credential literal in webserver_config.py or airflow_local_settings.py given as a string in Helm values",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: Some(40),
    references: &[
        "https://github.com/airflow-helm/charts/blob/main/charts/airflow/docs/faq/security/ldap-oauth.md",
        "https://airflow.apache.org/docs/helm-chart/stable/parameters-ref.html",
    ],
    source: include_str!("hlm003_secret_in_embedded_config_file.rs"),
};

const PATHS: &[(Chart, &str)] = &[
    (Chart::UserCommunity, "web.webserverConfig.stringOverride"),
    (Chart::UserCommunity, "airflow.localSettings.stringOverride"),
    (Chart::Official, "webserver.webserverConfig"),
    (Chart::Official, "apiServer.apiServerConfig"),
    (Chart::Official, "airflowLocalSettings"),
];

/// `NAME_PASSWORD = "x"` (an upper-case assignment naming a secret) or `"client_secret": "x"`.
/// Group `v` is the value.
static LITERAL_SECRET: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:^[ \t]*[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)[A-Z0-9_]*[ \t]*=[ \t]*|["'](?:client_secret|consumer_secret|password|bind_password|secret|token|api_key|access_token)["'][ \t]*:[ \t]*)(?:"(?P<v>[^"\n]+)"|'(?P<w>[^'\n]+)')"#,
    )
    .ok()
});

pub fn check(values: &Values<'_, '_>, reports: &mut Reports) {
    let Some(pattern) = LITERAL_SECRET.as_ref() else {
        return;
    };
    for (chart, path) in PATHS {
        if *chart != values.chart {
            continue;
        }
        for at in resolve(values.root, path) {
            let Some(code) = at.node.as_str() else {
                continue;
            };
            for captures in pattern.captures_iter(code) {
                let Some(value) = captures.name("v").or_else(|| captures.name("w")) else {
                    continue;
                };
                if is_not_a_value(value.as_str()) {
                    continue;
                }
                let Some(span) = map_into_file(values.text, at.node, code, value.range()) else {
                    continue;
                };
                reports.report(
                    &RULE,
                    span,
                    format!("Credential literal in the Python file at `{}`", at.path),
                    "Read it from the environment (`os.environ[...]`) and inject that variable from a Kubernetes Secret, or keep the whole file in a Secret; rotate the credential.".to_owned(),
                    true,
                );
            }
        }
    }
}

/// A range inside a scalar's value, as file bytes: through the block mapper for `|` blocks, or
/// directly when the scalar's bytes are its value (plain, or quoted without escapes).
fn map_into_file(
    text: &str,
    node: &Node,
    value: &str,
    range: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    if let Some(block) = LiteralBlock::of(text, node) {
        return block.map(text, value, range);
    }
    let Node::Scalar { span, .. } = node else {
        return None;
    };
    (text.get(span.clone())? == value).then(|| span.start + range.start..span.start + range.end)
}
