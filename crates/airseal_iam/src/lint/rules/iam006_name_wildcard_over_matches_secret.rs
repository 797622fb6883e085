//! ## What it does
//! Finds an `Allow` on a Secrets Manager secret ARN that ends in `NAME-*` or `NAME*`, where
//! `NAME` is one whole secret name: no other wildcard, and not a path ending in `/` (the prefix
//! grants `airflow/connections/*` that `airseal iam policy` writes are not reported).
//! ## Why is this bad?
//! Secrets Manager appends `-` and six random characters to every secret's name in its ARN, so
//! the grant for the one secret `airflow/connections/db` is
//! `...:secret:airflow/connections/db-??????`. The wildcard matches far more:
//! `airflow/connections/db-*` also matches `airflow/connections/db-prod-admin-AbCdEf`, and
//! `airflow/connections/db*` also matches `airflow/connections/dbt_cloud-AbCdEf` — every secret
//! created later whose name merely starts the same way, which whoever gets the role can read.
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/connections/db-*"}
//! ```
//! ## How to fix
//! Name the one secret exactly, with six `?` for the random suffix:
//! `arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/connections/db-??????`. To
//! grant every secret under a path, end the path with `/`: `...:secret:airflow/connections/*`.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM006",
    name: "name-wildcard-over-matches-secret",
    summary: "Secret ARN `NAME-*` or `NAME*` matches other secrets, not only `NAME`",
    severity: Severity::Low,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources",
    ],
    source: include_str!("iam006_name_wildcard_over_matches_secret.rs"),
};

/// A secret ARN that ends in a wildcard right after one whole secret name.
#[derive(Debug, PartialEq, Eq)]
struct OverMatch<'a> {
    /// Everything up to and including `:secret:`.
    arn_prefix: &'a str,
    /// The secret name, without the trailing `-*` or `*`.
    name: &'a str,
    /// What the wildcard follows: `NAME-` or `NAME`.
    stem: &'a str,
}

fn over_match(resource: &str) -> Option<OverMatch<'_>> {
    if !resource.starts_with("arn:") {
        return None;
    }
    // Find the fields by their names rather than by splitting at `:`: the partition, region or
    // account may be a `${...}` variable with colons of its own.
    let service = resource.find(":secretsmanager:")?;
    let secret = service + resource[service..].find(":secret:")? + ":secret:".len();
    let (arn_prefix, pattern) = resource.split_at(secret);
    let stem = pattern.strip_suffix('*')?;
    let name = stem.strip_suffix('-').unwrap_or(stem);
    if name.is_empty() || name.ends_with('/') || name.contains(['*', '?']) {
        return None;
    }
    Some(OverMatch {
        arn_prefix,
        name,
        stem,
    })
}

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    for statement in statements.iter().filter(|s| s.allow) {
        for (resource, span) in &statement.resources {
            let Some(m) = over_match(resource) else {
                continue;
            };
            let (prefix, name, stem) = (m.arn_prefix, m.name, m.stem);
            reports.push((
                &RULE,
                span.clone(),
                format!(
                    "`{stem}*` matches every secret whose name starts with `{stem}`, not only the secret `{name}`"
                ),
                format!(
                    "Grant the one secret exactly: `{prefix}{name}-??????` (Secrets Manager adds `-` and six characters); for every secret under a path, end it with `/*`."
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:";

    fn name_of(pattern: &str) -> Option<String> {
        over_match(&format!("{BASE}{pattern}")).map(|m| m.name.to_owned())
    }

    #[test]
    fn a_whole_name_followed_by_a_wildcard_is_reported() {
        assert_eq!(
            name_of("airflow/connections/db-*").as_deref(),
            Some("airflow/connections/db")
        );
        assert_eq!(
            name_of("airflow/variables/api_key*").as_deref(),
            Some("airflow/variables/api_key")
        );
        assert_eq!(name_of("reporting-*").as_deref(), Some("reporting"));
        let sub = over_match(
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-*",
        );
        assert_eq!(
            sub.map(|m| (m.arn_prefix, m.name)),
            Some((
                "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:",
                "db"
            ))
        );
    }

    #[test]
    fn prefixes_exact_grants_and_other_services_are_not() {
        for pattern in [
            "airflow/connections/*",
            "airflow/connections/-*",
            "*",
            "-*",
            "airflow/connections/db-??????",
            "airflow/connections/db-AbCdEf",
            "airflow/*/db-*",
            "airflow/connections/db-??????*",
            "airflow/connections/db",
        ] {
            assert_eq!(name_of(pattern), None, "{pattern}");
        }
        assert_eq!(
            over_match("arn:aws:ssm:eu-west-1:123456789012:parameter/airflow/connections/db-*"),
            None
        );
        assert_eq!(over_match("airflow/connections/db-*"), None);
    }
}
