//! What belongs to Airflow: the names of its secrets (prefixes), the principals that may read
//! and write them, where reads may come from, and the KMS keys that encrypt them.

use std::borrow::Cow;
use std::net::IpAddr;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ipnet::IpNet;

use super::event::UserIdentity;

/// Airflow's backends' default prefixes (`connections_prefix`, `variables_prefix`,
/// `config_prefix` of SecretsManagerBackend and SystemsManagerParameterStoreBackend, whose
/// names start with `/`), used when neither flags nor configuration name any.
pub const DEFAULT_PREFIXES: &[&str] = &[
    "airflow/connections/",
    "airflow/variables/",
    "airflow/config/",
];
pub const DEFAULT_BULK_READ_THRESHOLD: usize = 10;
pub const DEFAULT_BULK_READ_WINDOW_SECONDS: i64 = 600;
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 900;

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("`{pattern}` is not a valid principal pattern: {message}")]
    Principal { pattern: String, message: String },
    #[error("`{pattern}` is not a valid user-agent pattern: {message}")]
    UserAgent { pattern: String, message: String },
    #[error("`{network}` is not an IP address or a CIDR network (like 10.0.0.0/8)")]
    Network { network: String },
}

/// A set of principals given as ARNs or globs over ARNs. A role ARN
/// (`arn:aws:iam::123456789012:role/airflow-worker`) also matches its sessions
/// (`arn:aws:sts::123456789012:assumed-role/airflow-worker/...`), as CloudTrail writes them.
#[derive(Debug, Clone, Default)]
pub struct PrincipalSet {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl PrincipalSet {
    pub fn new(patterns: &[String]) -> Result<PrincipalSet, ScopeError> {
        if patterns.is_empty() {
            return Ok(PrincipalSet::default());
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|e| ScopeError::Principal {
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| ScopeError::Principal {
            pattern: patterns.join(", "),
            message: e.to_string(),
        })?;
        Ok(PrincipalSet {
            patterns: patterns.to_vec(),
            set: Some(set),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn contains(&self, principal: &Principal<'_>) -> bool {
        let Some(set) = &self.set else {
            return false;
        };
        principal.names().any(|name| set.is_match(name.as_ref()))
    }
}

/// Who made a call, as CloudTrail names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal<'a> {
    /// `userIdentity.arn`: the user, or the role session.
    pub arn: Option<Cow<'a, str>>,
    /// `sessionContext.sessionIssuer.arn`: the role behind a session.
    pub issuer: Option<Cow<'a, str>>,
    /// `userIdentity.type` (`AWSService`, `AssumedRole`, ...).
    pub kind: Option<Cow<'a, str>>,
    /// `invokedBy` (a service calling on the principal's behalf).
    pub invoked_by: Option<Cow<'a, str>>,
    pub principal_id: Option<Cow<'a, str>>,
}

impl<'a> Principal<'a> {
    pub fn from_identity(identity: UserIdentity<'a>) -> Principal<'a> {
        Principal {
            arn: identity.arn,
            issuer: identity
                .session_context
                .and_then(|c| c.session_issuer)
                .and_then(|i| i.arn),
            kind: identity.kind,
            invoked_by: identity.invoked_by,
            principal_id: identity.principal_id,
        }
    }

    /// Every name the principal goes by: its ARN, its session's role ARN, and for an
    /// `assumed-role` session the role ARN it was assumed from.
    pub fn names(&self) -> impl Iterator<Item = Cow<'_, str>> {
        let role = self.arn.as_deref().and_then(role_of_session);
        self.arn
            .as_deref()
            .map(Cow::Borrowed)
            .into_iter()
            .chain(self.issuer.as_deref().map(Cow::Borrowed))
            .chain(role.map(Cow::Owned))
    }

    /// The name alerts show (and AUD004 groups by): the ARN, else the service acting, else
    /// the principal id.
    pub fn display(&self) -> String {
        self.arn
            .as_deref()
            .or(self.invoked_by.as_deref())
            .or(self.principal_id.as_deref())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("({})", self.kind.as_deref().unwrap_or("unknown principal")))
    }

    /// An AWS service acting on its own (rotation, replication): not a person or workload.
    pub fn is_service(&self) -> bool {
        self.kind.as_deref() == Some("AWSService")
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` → `arn:aws:iam::ACCOUNT:role/ROLE`.
fn role_of_session(arn: &str) -> Option<String> {
    let (head, rest) = arn.split_once(":assumed-role/")?;
    let (role, _) = rest.split_once('/')?;
    let head = head.replacen(":sts:", ":iam:", 1);
    Some(format!("{head}:role/{role}"))
}

/// The resolved scope of `airseal watch cloudtrail`.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Name prefixes of Airflow's secrets and parameters, compared without a leading `/`.
    pub prefixes: Vec<String>,
    /// Principals that read Airflow's secrets (workers, scheduler, webserver, triggerer).
    pub readers: PrincipalSet,
    /// Principals that write them (the deployment, the rotation).
    pub writers: PrincipalSet,
    pub source_networks: Vec<IpNet>,
    pub regions: Vec<String>,
    user_agent_patterns: Vec<String>,
    user_agents: Option<GlobSet>,
    /// KMS key ids, ARNs or aliases that encrypt Airflow's secrets.
    pub kms_keys: Vec<String>,
    pub bulk_read_threshold: usize,
    pub bulk_read_window_seconds: i64,
    pub clock_skew_seconds: i64,
}

/// The parts of a [`Scope`] as given (flags and configuration merged).
#[derive(Debug, Clone, Default)]
pub struct ScopeSpec {
    pub prefixes: Vec<String>,
    pub readers: Vec<String>,
    pub writers: Vec<String>,
    pub source_networks: Vec<String>,
    pub regions: Vec<String>,
    pub user_agents: Vec<String>,
    pub kms_keys: Vec<String>,
    pub bulk_read_threshold: Option<usize>,
    pub bulk_read_window_seconds: Option<i64>,
    pub clock_skew_seconds: Option<i64>,
}

impl Scope {
    pub fn new(spec: ScopeSpec) -> Result<Scope, ScopeError> {
        let prefixes = if spec.prefixes.is_empty() {
            DEFAULT_PREFIXES.iter().map(|p| (*p).to_owned()).collect()
        } else {
            spec.prefixes
        };
        let prefixes = prefixes
            .into_iter()
            .map(|p| p.trim_start_matches('/').to_owned())
            .collect();
        let mut source_networks = Vec::new();
        for network in &spec.source_networks {
            let parsed = network
                .parse::<IpNet>()
                .or_else(|_| network.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ScopeError::Network {
                    network: network.clone(),
                })?;
            source_networks.push(parsed);
        }
        let user_agents = if spec.user_agents.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for pattern in &spec.user_agents {
                builder.add(Glob::new(pattern).map_err(|e| ScopeError::UserAgent {
                    pattern: pattern.clone(),
                    message: e.kind().to_string(),
                })?);
            }
            Some(builder.build().map_err(|e| ScopeError::UserAgent {
                pattern: spec.user_agents.join(", "),
                message: e.to_string(),
            })?)
        };
        Ok(Scope {
            prefixes,
            readers: PrincipalSet::new(&spec.readers)?,
            writers: PrincipalSet::new(&spec.writers)?,
            source_networks,
            regions: spec.regions,
            user_agent_patterns: spec.user_agents,
            user_agents,
            kms_keys: spec.kms_keys,
            bulk_read_threshold: spec
                .bulk_read_threshold
                .unwrap_or(DEFAULT_BULK_READ_THRESHOLD)
                .max(1),
            bulk_read_window_seconds: spec
                .bulk_read_window_seconds
                .unwrap_or(DEFAULT_BULK_READ_WINDOW_SECONDS)
                .max(1),
            clock_skew_seconds: spec
                .clock_skew_seconds
                .unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS),
        })
    }

    /// Whether a secret or parameter name is one of Airflow's.
    pub fn covers(&self, name: &str) -> bool {
        let name = name.trim_start_matches('/');
        self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// Whether a KMS key reference (`keyId` or a resource ARN) is one of Airflow's keys.
    pub fn covers_key(&self, key: &str) -> bool {
        // `a` is `b`, or its last `/`-separated part(s): a key id against its ARN. Runs for every
        // KMS record, so no string is built.
        let tail_of = |long: &str, short: &str| {
            long.len() > short.len()
                && long.ends_with(short)
                && long.as_bytes()[long.len() - short.len() - 1] == b'/'
        };
        self.kms_keys
            .iter()
            .any(|k| key == k || tail_of(key, k) || tail_of(k, key))
    }

    pub fn user_agent_patterns(&self) -> &[String] {
        &self.user_agent_patterns
    }

    /// Why a read's origin is outside the allowed sets, if it is.
    pub fn origin_problem(
        &self,
        source_ip: Option<&str>,
        region: Option<&str>,
        user_agent: Option<&str>,
    ) -> Option<String> {
        if !self.source_networks.is_empty()
            && let Some(ip) = source_ip.and_then(|s| s.parse::<IpAddr>().ok())
            && !self.source_networks.iter().any(|n| n.contains(&ip))
        {
            return Some(format!("source IP {ip} is outside the allowed networks"));
        }
        if !self.regions.is_empty()
            && let Some(region) = region
            && !self.regions.iter().any(|r| r == region)
        {
            return Some(format!("region {region} is not an allowed region"));
        }
        if let Some(agents) = &self.user_agents
            && let Some(agent) = user_agent
            && !agents.is_match(agent)
        {
            return Some("the user agent matches no allowed pattern".to_owned());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(arn: &str) -> Principal<'_> {
        Principal {
            arn: Some(Cow::Borrowed(arn)),
            ..Principal::default()
        }
    }

    #[test]
    fn role_arns_match_their_sessions() {
        let set = PrincipalSet::new(&["arn:aws:iam::123456789012:role/airflow-worker".to_owned()])
            .unwrap_or_default();
        assert!(set.contains(&principal(
            "arn:aws:sts::123456789012:assumed-role/airflow-worker/botocore-session-1"
        )));
        assert!(!set.contains(&principal(
            "arn:aws:sts::123456789012:assumed-role/airflow-worker-2/x"
        )));
        assert!(!set.contains(&principal("arn:aws:iam::123456789012:user/alice")));
    }

    #[test]
    fn keys_match_by_id_arn_or_alias() {
        let scope = Scope::new(ScopeSpec {
            kms_keys: vec![
                "arn:aws:kms:eu-west-1:1:key/abcd".to_owned(),
                "alias/airflow".to_owned(),
            ],
            ..ScopeSpec::default()
        })
        .unwrap_or_else(|_| unreachable!());
        assert!(scope.covers_key("abcd"));
        assert!(scope.covers_key("arn:aws:kms:eu-west-1:1:key/abcd"));
        assert!(scope.covers_key("alias/airflow"));
        assert!(!scope.covers_key("bcd"));
        assert!(!scope.covers_key("arn:aws:kms:eu-west-1:1:key/xabcd"));
    }

    #[test]
    fn prefixes_cover_both_services_names() {
        let scope = Scope::new(ScopeSpec::default()).unwrap_or_else(|_| unreachable!());
        assert!(scope.covers("airflow/connections/warehouse"));
        assert!(scope.covers("/airflow/variables/token"));
        assert!(!scope.covers("other/connections/warehouse"));
    }

    #[test]
    fn origins_outside_the_allowed_sets_are_named() {
        let scope = Scope::new(ScopeSpec {
            source_networks: vec!["10.0.0.0/8".to_owned()],
            regions: vec!["eu-west-1".to_owned()],
            user_agents: vec!["*apache-airflow*".to_owned()],
            ..ScopeSpec::default()
        })
        .unwrap_or_else(|_| unreachable!());
        assert!(
            scope
                .origin_problem(
                    Some("10.1.2.3"),
                    Some("eu-west-1"),
                    Some("Boto3 apache-airflow/3.1")
                )
                .is_none()
        );
        assert!(
            scope
                .origin_problem(Some("203.0.113.9"), Some("eu-west-1"), None)
                .is_some_and(|m| m.contains("203.0.113.9"))
        );
        assert!(
            scope
                .origin_problem(
                    Some("secretsmanager.amazonaws.com"),
                    Some("us-east-1"),
                    None
                )
                .is_some_and(|m| m.contains("us-east-1"))
        );
        assert!(scope.origin_problem(None, None, Some("curl/8.0")).is_some());
        assert!(
            Scope::new(ScopeSpec {
                source_networks: vec!["not-a-network".to_owned()],
                ..ScopeSpec::default()
            })
            .is_err()
        );
    }
}
