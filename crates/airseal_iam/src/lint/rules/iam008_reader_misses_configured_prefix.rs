//! ## What it does
//! Checks an IAM policy against the secrets backend a project configures: when it is run with
//! the project (`airseal iam lint POLICY --from PROJECT`, or `airseal scan --iam-from
//! PROJECT`), every prefix Airflow looks up there — `connections_prefix`, `variables_prefix`,
//! and `config_prefix` when a `_secret` option uses it, as `airseal doctor` reads them — must be
//! readable: some `Allow` statement must grant `secretsmanager:GetSecretValue` (or
//! `ssm:GetParameter` for Parameter Store) on a resource that matches a secret under that
//! prefix. Policies that grant nothing on that service are not judged.
//! ## Why is this bad?
//! A prefix the role cannot read fails at run time, one lookup at a time: Airflow logs the
//! `AccessDenied` from the backend and moves on to the environment and the metadata database,
//! so a task silently gets an old copy of the connection — or fails far from the cause. Prefixes
//! drift when `backend_kwargs` changes (`airflow/connections` → `airflow/prod/connections`)
//! and the policy does not.
//! ## Example
//! The project sets `"connections_prefix": "airflow/prod/connections"`; the policy grants:
//! ```json
//! {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/connections/*"}
//! ```
//! ## How to fix
//! Grant exactly the configured prefixes: `airseal iam policy --from PROJECT --region ...
//! --account ...` writes that policy.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{ConfiguredScope, Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM008",
    name: "reader-misses-configured-prefix",
    summary: "Policy does not let Airflow read a prefix the project's secrets backend looks up",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://airflow.apache.org/docs/apache-airflow-providers-amazon/stable/secrets-backends/aws-secrets-manager.html",
    ],
    source: include_str!("iam008_reader_misses_configured_prefix.rs"),
};

/// `*` and `?` glob match, as IAM matches resources and actions (case-sensitive for
/// resources; callers lower-case actions).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The part of a resource ARN after `:secret:` / `:parameter`, or `*` for a bare `*`.
fn resource_name<'a>(resource: &'a str, marker: &str) -> Option<&'a str> {
    if resource == "*" {
        return Some("*");
    }
    let at = resource.find(marker)?;
    Some(&resource[at + marker.len()..])
}

pub fn check(statements: &[Statement<'_>], scope: &ConfiguredScope, reports: &mut Vec<Report>) {
    let (service, action, marker) = if scope.parameter_store {
        ("ssm", "ssm:getparameter", ":parameter")
    } else {
        (
            "secretsmanager",
            "secretsmanager:getsecretvalue",
            ":secret:",
        )
    };
    let mentions_service = statements.iter().any(|s| {
        s.actions.iter().any(|(a, _)| {
            let a = a.to_ascii_lowercase();
            a == "*" || a.starts_with(&format!("{service}:"))
        })
    });
    if !mentions_service {
        return;
    }
    let readers: Vec<&Statement<'_>> = statements
        .iter()
        .filter(|s| {
            s.allow
                && s.actions
                    .iter()
                    .any(|(a, _)| glob(&a.to_ascii_lowercase(), action))
        })
        .collect();
    let Some(anchor) = readers.first().copied().or(statements.first()) else {
        return;
    };
    for prefix in &scope.prefixes {
        let sample = if scope.parameter_store {
            format!("{}/airseal-sample", prefix.trim_end_matches('/'))
        } else {
            format!("{}/airseal-sample-AbCdEf", prefix.trim_end_matches('/'))
        };
        let covered = readers.iter().any(|s| {
            s.resources.iter().any(|(resource, _)| {
                resource_name(resource, marker).is_some_and(|name| glob(name, &sample))
            })
        });
        if covered {
            continue;
        }
        reports.push((
            &RULE,
            anchor.span.clone(),
            format!(
                "No Allow statement lets Airflow read `{prefix}/…` ({}), which the secrets backend configured in {} looks up",
                if scope.parameter_store {
                    "ssm:GetParameter"
                } else {
                    "secretsmanager:GetSecretValue"
                },
                scope.source
            ),
            format!(
                "Grant the configured prefixes exactly: `airseal iam policy --from {} --region <region> --account <account>` writes the policy.",
                scope.source
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob(
            "airflow/connections/*",
            "airflow/connections/x-AbCdEf"
        ));
        assert!(glob("airflow/*/conn?", "airflow/a/b/conn1"));
        assert!(!glob("airflow/connections/*", "airflow/prod/connections/x"));
        assert!(glob("*", "anything"));
        assert!(glob("secretsmanager:get*", "secretsmanager:getsecretvalue"));
    }
}
