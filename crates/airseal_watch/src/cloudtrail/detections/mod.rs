//! One file per `AUD###` detection; each file's `//!` comment is its documentation (the rule
//! reference is generated from it). Every detection but AUD004 looks at one call at a time;
//! AUD004 keeps a bounded state across calls ([`aud004_enumeration_then_bulk_read`]).

pub mod aud001_failed_access;
pub mod aud002_unexpected_reader;
pub mod aud003_unexpected_origin;
pub mod aud004_enumeration_then_bulk_read;
pub mod aud005_protection_weakened;
pub mod aud006_rotation_failed;
pub mod aud007_unexpected_writer;
pub mod aud008_previous_version_read;

use std::borrow::Cow;
use std::sync::Arc;

use airseal_finding::{Severity, StaticRule};

use super::event::{RequestParameters, Service};
use super::scope::{Principal, Scope};

/// Every detection, in code order.
pub const RULES: &[&StaticRule] = &[
    &aud001_failed_access::RULE,
    &aud002_unexpected_reader::RULE,
    &aud003_unexpected_origin::RULE,
    &aud004_enumeration_then_bulk_read::RULE,
    &aud005_protection_weakened::RULE,
    &aud006_rotation_failed::RULE,
    &aud007_unexpected_writer::RULE,
    &aud008_previous_version_read::RULE,
];

/// A detection that looks at one call.
pub type Check = fn(&Call<'_>, &Scope) -> Option<Alert>;

/// The one-call detections with their rules (AUD004 is not one).
pub const CHECKS: &[(&StaticRule, Check)] = &[
    (&aud001_failed_access::RULE, aud001_failed_access::check),
    (
        &aud002_unexpected_reader::RULE,
        aud002_unexpected_reader::check,
    ),
    (
        &aud003_unexpected_origin::RULE,
        aud003_unexpected_origin::check,
    ),
    (
        &aud005_protection_weakened::RULE,
        aud005_protection_weakened::check,
    ),
    (&aud006_rotation_failed::RULE, aud006_rotation_failed::check),
    (
        &aud007_unexpected_writer::RULE,
        aud007_unexpected_writer::check,
    ),
    (
        &aud008_previous_version_read::RULE,
        aud008_previous_version_read::check,
    ),
];

/// Where one event was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub event_id: String,
    pub event_time: String,
    pub event_name: String,
    pub path: Arc<str>,
    /// 1-based position of the record in its file (`Records[]` index + 1, or the line of a
    /// JSON Lines file).
    pub record: usize,
}

/// One alert: a detection's finding about one call, or (AUD004) about a run of them.
#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: &'static StaticRule,
    pub severity: Severity,
    pub message: String,
    pub principal: String,
    /// Airflow's secrets and parameters involved, by name (never a value: CloudTrail holds
    /// none).
    pub secrets: Vec<String>,
    pub source_ip: Option<String>,
    pub region: Option<String>,
    pub user_agent: Option<String>,
    /// The events behind the alert, oldest first.
    pub evidence: Vec<Evidence>,
    /// Seconds since the epoch of the first event (for ordering).
    pub time: Option<i64>,
}

/// A Secrets Manager, SSM or KMS call, decoded for the detections.
#[derive(Debug)]
pub struct Call<'a> {
    pub service: Service,
    pub name: Cow<'a, str>,
    pub time: Option<i64>,
    pub error: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub source_ip: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub principal: Principal<'a>,
    pub params: RequestParameters<'a>,
    /// Airflow's secrets or parameters the call names (KMS: through its encryption context).
    pub secrets: Vec<String>,
    /// A KMS call on one of Airflow's keys.
    pub key_in_scope: bool,
    /// `eventType: AwsServiceEvent` (rotation and deletion events of the service itself).
    pub service_event: bool,
    pub evidence: Evidence,
}

impl Call<'_> {
    /// Whether the call touches Airflow's secrets or keys.
    pub fn in_scope(&self) -> bool {
        !self.secrets.is_empty() || self.key_in_scope
    }

    pub fn failed(&self) -> bool {
        self.error.as_deref().is_some_and(|e| !e.is_empty())
    }

    /// `secretsmanager:GetSecretValue`-style name, for messages.
    pub fn action(&self) -> String {
        format!("{}:{}", self.service.prefix(), self.name)
    }

    /// A read of a secret's value.
    pub fn is_read(&self) -> bool {
        matches!(
            (self.service, self.name.as_ref()),
            (
                Service::SecretsManager,
                "GetSecretValue" | "BatchGetSecretValue"
            ) | (
                Service::ParameterStore,
                "GetParameter" | "GetParameters" | "GetParametersByPath" | "GetParameterHistory"
            )
        )
    }

    /// Listing that finds the secrets to read (AUD004's first half).
    pub fn is_enumeration(&self) -> bool {
        is_enumeration(self.service, &self.name, &self.params)
    }

    /// A change of a secret's value, metadata or existence.
    pub fn is_write(&self) -> bool {
        matches!(
            (self.service, self.name.as_ref()),
            (
                Service::SecretsManager,
                "CreateSecret"
                    | "PutSecretValue"
                    | "UpdateSecret"
                    | "UpdateSecretVersionStage"
                    | "RestoreSecret"
                    | "DeleteSecret"
                    | "RotateSecret"
                    | "TagResource"
                    | "UntagResource"
                    | "ReplicateSecretToRegions"
            ) | (
                Service::ParameterStore,
                "PutParameter"
                    | "DeleteParameter"
                    | "DeleteParameters"
                    | "LabelParameterVersion"
                    | "UnlabelParameterVersion"
                    | "AddTagsToResource"
                    | "RemoveTagsFromResource"
            )
        )
    }

    /// The alert every detection starts from: this call as the evidence.
    pub fn alert(&self, rule: &'static StaticRule, severity: Severity, message: String) -> Alert {
        Alert {
            rule,
            severity,
            message,
            principal: self.principal.display(),
            secrets: self.secrets.clone(),
            source_ip: self.source_ip.as_deref().map(str::to_owned),
            region: self.region.as_deref().map(str::to_owned),
            user_agent: self.user_agent.as_deref().map(str::to_owned),
            evidence: vec![self.evidence.clone()],
            time: self.time,
        }
    }

    /// The secrets named, for messages: the first few and how many more.
    pub fn secrets_text(&self) -> String {
        list_text(&self.secrets)
    }
}

/// Listing that finds the secrets to read: `ListSecrets`, `ListSecretVersionIds`,
/// `BatchGetSecretValue` by filter, `DescribeParameters`.
pub fn is_enumeration(service: Service, name: &str, params: &RequestParameters<'_>) -> bool {
    matches!(
        (service, name),
        (
            Service::SecretsManager,
            "ListSecrets" | "ListSecretVersionIds"
        ) | (Service::ParameterStore, "DescribeParameters")
    ) || (service == Service::SecretsManager
        && name == "BatchGetSecretValue"
        && params.secret_id_list.is_none()
        && params.filters.is_some())
}

/// `a`, `a and b`, `a, b, c and 4 more`.
pub fn list_text(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let quoted: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => "Airflow's KMS key".to_owned(),
        1 => quoted[0].clone(),
        n if n <= SHOWN => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
        n => format!("{} and {} more", quoted.join(", "), n - SHOWN),
    }
}
