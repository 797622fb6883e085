//! One CloudTrail record, as the detections see it: the few fields they read, borrowed from
//! the file's bytes (most records are of other services and are dropped after `eventSource`).
//!
//! Every field is optional: CloudTrail's own records lack some (`userIdentity.arn` of a service
//! event, `errorCode` of a success), and a record that lacks the ones a detection needs is
//! skipped with a warning rather than stopping the run.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A CloudTrail record, or the `detail` of an EventBridge event holding one.
#[derive(Debug, Default, Deserialize)]
pub struct RawEvent<'a> {
    #[serde(borrow, rename = "eventID")]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "eventTime")]
    pub event_time: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "eventSource")]
    pub event_source: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "eventName")]
    pub event_name: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "eventType")]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "awsRegion")]
    pub aws_region: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "userAgent")]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "errorCode")]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "userIdentity")]
    pub user_identity: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestParameters")]
    pub request_parameters: Option<&'a RawValue>,
    #[serde(borrow, rename = "additionalEventData")]
    pub additional_event_data: Option<&'a RawValue>,
    #[serde(borrow, rename = "serviceEventDetails")]
    pub service_event_details: Option<&'a RawValue>,
    #[serde(borrow)]
    pub resources: Option<&'a RawValue>,
    /// An EventBridge event: the CloudTrail record is its `detail`.
    #[serde(borrow, rename = "detail-type")]
    pub detail_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub detail: Option<&'a RawValue>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Default, Deserialize)]
pub struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "principalId")]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "invokedBy")]
    pub invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "sessionContext")]
    pub session_context: Option<SessionContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionContext<'a> {
    #[serde(borrow, rename = "sessionIssuer")]
    pub session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionIssuer<'a> {
    #[serde(borrow)]
    pub arn: Option<Cow<'a, str>>,
}

/// The request parameters that name secrets, parameters and keys. Types CloudTrail does not
/// write (a number where a name belongs) make the whole map unreadable: the event is then
/// treated as naming nothing.
#[derive(Debug, Default, Deserialize)]
pub struct RequestParameters<'a> {
    #[serde(borrow, rename = "secretId")]
    pub secret_id: Option<Cow<'a, str>>,
    /// `CreateSecret`'s name, SSM's parameter name.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// SSM `GetParameters` / `DeleteParameters`.
    #[serde(borrow)]
    pub names: Option<Vec<Cow<'a, str>>>,
    /// SSM `GetParametersByPath`.
    #[serde(borrow)]
    pub path: Option<Cow<'a, str>>,
    /// `BatchGetSecretValue`.
    #[serde(borrow, rename = "secretIdList")]
    pub secret_id_list: Option<Vec<Cow<'a, str>>>,
    /// `BatchGetSecretValue` by filter (no list): every secret the filters select.
    #[serde(borrow)]
    pub filters: Option<&'a RawValue>,
    #[serde(borrow, rename = "versionStage")]
    pub version_stage: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "kmsKeyId")]
    pub kms_key_id: Option<Cow<'a, str>>,
    /// KMS calls.
    #[serde(borrow, rename = "keyId")]
    pub key_id: Option<Cow<'a, str>>,
    /// KMS `Decrypt`/`GenerateDataKey` through Secrets Manager (`SecretARN`) or SSM
    /// (`PARAMETER_ARN`).
    #[serde(borrow, rename = "encryptionContext")]
    pub encryption_context: Option<EncryptionContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EncryptionContext<'a> {
    #[serde(borrow, rename = "SecretARN")]
    pub secret_arn: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "PARAMETER_ARN")]
    pub parameter_arn: Option<Cow<'a, str>>,
}

/// `additionalEventData` / `serviceEventDetails` of Secrets Manager's service events
/// (`RotationFailed`, `RotationAbandoned`, ...), which name the secret there.
#[derive(Debug, Default, Deserialize)]
pub struct ServiceDetails<'a> {
    #[serde(borrow, rename = "SecretId", alias = "secretId")]
    pub secret_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Resource<'a> {
    #[serde(borrow, rename = "ARN", alias = "arn")]
    pub arn: Option<Cow<'a, str>>,
}

/// Parses a nested map leniently: anything unreadable is the default (nothing named).
pub fn lenient<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

/// The service a record is of, from `eventSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    SecretsManager,
    ParameterStore,
    Kms,
}

impl Service {
    pub fn of(event_source: &str) -> Option<Service> {
        match event_source {
            "secretsmanager.amazonaws.com" => Some(Service::SecretsManager),
            "ssm.amazonaws.com" => Some(Service::ParameterStore),
            "kms.amazonaws.com" => Some(Service::Kms),
            _ => None,
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            Service::SecretsManager => "secretsmanager",
            Service::ParameterStore => "ssm",
            Service::Kms => "kms",
        }
    }
}

/// A Secrets Manager secret's name from a `secretId` (a name, or an ARN whose last segment
/// is the name and a `-` with six random characters).
pub fn secret_name(id: &str) -> &str {
    match id.split_once(":secret:") {
        Some((arn, rest)) if arn.starts_with("arn:") => match rest.rsplit_once('-') {
            Some((name, suffix))
                if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                name
            }
            _ => rest,
        },
        _ => id,
    }
}

/// An SSM parameter's name from a name, a name with a `:version` or `:label` selector, or an
/// ARN (`arn:aws:ssm:...:parameter/NAME`, whose name lost its leading `/`).
pub fn parameter_name(id: &str) -> Cow<'_, str> {
    let id = match id.split_once(":parameter") {
        Some((arn, rest)) if arn.starts_with("arn:") => {
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            return Cow::Owned(format!("/{}", strip_selector(rest)));
        }
        _ => id,
    };
    Cow::Borrowed(strip_selector(id))
}

fn strip_selector(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((base, _)) if !base.is_empty() => base,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_come_out_of_arns() {
        assert_eq!(
            secret_name(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:airflow/connections/warehouse-AbC123"
            ),
            "airflow/connections/warehouse"
        );
        assert_eq!(
            secret_name("airflow/connections/warehouse"),
            "airflow/connections/warehouse"
        );
        // A name that ends in a dash and six characters is still a name when not an ARN.
        assert_eq!(secret_name("db-abcdef"), "db-abcdef");
    }

    #[test]
    fn parameter_names_lose_selectors_and_arns() {
        assert_eq!(
            parameter_name("arn:aws:ssm:eu-west-1:123456789012:parameter/airflow/connections/x"),
            "/airflow/connections/x"
        );
        assert_eq!(
            parameter_name("/airflow/variables/y:3"),
            "/airflow/variables/y"
        );
        assert_eq!(
            parameter_name("/airflow/variables/y"),
            "/airflow/variables/y"
        );
    }

    #[test]
    fn unreadable_maps_name_nothing() {
        let raw: Box<RawValue> =
            serde_json::from_str(r#"{"secretId": 42}"#).unwrap_or_else(|_| unreachable!());
        let parameters: RequestParameters<'_> = lenient(Some(&raw));
        assert!(parameters.secret_id.is_none());
    }
}
