//! From a raw record to a [`Call`]: which service, who, when, and which of Airflow's secrets
//! or keys it names.

use std::sync::Arc;

use super::detections::{Call, Evidence, is_enumeration};
use super::event::{
    RawEvent, RequestParameters, Resource, Service, ServiceDetails, UserIdentity, lenient,
    parameter_name, secret_name,
};
use super::scope::{Principal, Scope};

/// What became of one record.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Not a Secrets Manager, SSM or KMS record.
    Other,
    /// A Secrets Manager, SSM or KMS call that touches none of Airflow's secrets or keys and
    /// lists nothing: no detection reads it.
    OutOfScope,
    Call(Box<Call<'a>>),
    /// Unusable: why (no value quoted).
    Problem(String),
}

/// `2023-07-10T11:57:50Z` (CloudTrail's exact form) in seconds since the epoch, parsed by hand
/// because it runs for every relevant record; other RFC 3339 forms go through `time`.
pub fn parse_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
    {
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let mut value = 0i64;
            for &c in &b[range] {
                if !c.is_ascii_digit() {
                    return None;
                }
                value = value * 10 + i64::from(c - b'0');
            }
            Some(value)
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        return Some(
            days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second,
        );
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Decodes one record's JSON.
pub fn decode<'a>(json: &'a str, scope: &Scope, path: &Arc<str>, record: usize) -> Decoded<'a> {
    let event: RawEvent<'a> = match serde_json::from_str(json) {
        Ok(event) => event,
        Err(error) => {
            return Decoded::Problem(format!(
                "record {record}: not a CloudTrail record ({} at column {})",
                match error.classify() {
                    serde_json::error::Category::Data => "a field of an unexpected type",
                    _ => "unreadable JSON",
                },
                error.column()
            ));
        }
    };
    // An EventBridge event ("AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"):
    // the record is its `detail`.
    let event = match (&event.event_source, event.detail) {
        (None, Some(detail)) => match serde_json::from_str::<RawEvent<'a>>(detail.get()) {
            Ok(inner) => inner,
            Err(_) => {
                return Decoded::Problem(format!(
                    "record {record}: an EventBridge event whose `detail` is not a CloudTrail record"
                ));
            }
        },
        _ => event,
    };
    let Some(source) = event.event_source.as_deref() else {
        return Decoded::Problem(format!("record {record}: no `eventSource`"));
    };
    let Some(service) = Service::of(source) else {
        return Decoded::Other;
    };
    let Some(name) = event.event_name else {
        return Decoded::Problem(format!(
            "record {record}: a {} record without `eventName`",
            service.prefix()
        ));
    };
    let params: RequestParameters<'a> = lenient(event.request_parameters);
    // Airflow's names among those the call names (only these are copied).
    let mut secrets: Vec<String> = Vec::new();
    let mut keep = |name: &str| {
        if scope.covers(name) {
            secrets.push(name.to_owned());
        }
    };
    let mut key_in_scope = false;
    let resources: Vec<Resource<'a>> = lenient(event.resources);
    match service {
        Service::SecretsManager => {
            let details: ServiceDetails<'a> = lenient(event.additional_event_data);
            let service_details: ServiceDetails<'a> = lenient(event.service_event_details);
            for id in params
                .secret_id
                .iter()
                .chain(params.name.iter())
                .chain(params.secret_id_list.iter().flatten())
                .chain(details.secret_id.iter())
                .chain(service_details.secret_id.iter())
                .chain(
                    resources
                        .iter()
                        .filter_map(|r| r.arn.as_ref())
                        .filter(|a| a.contains(":secretsmanager:")),
                )
            {
                keep(secret_name(id));
            }
        }
        Service::ParameterStore => {
            for id in params
                .name
                .iter()
                .chain(params.names.iter().flatten())
                .chain(
                    resources
                        .iter()
                        .filter_map(|r| r.arn.as_ref())
                        .filter(|a| a.contains(":ssm:")),
                )
            {
                keep(&parameter_name(id));
            }
            if let Some(path) = &params.path {
                // Reading `/airflow` recursively reads every parameter under Airflow's prefixes.
                let folder = format!("{}/", path.trim_matches('/'));
                if scope.covers(path) || scope.prefixes.iter().any(|p| p.starts_with(&folder)) {
                    secrets.push(path.to_string());
                }
            }
        }
        Service::Kms => {
            key_in_scope = params
                .key_id
                .as_deref()
                .is_some_and(|k| scope.covers_key(k))
                || resources
                    .iter()
                    .filter_map(|r| r.arn.as_deref())
                    .any(|arn| scope.covers_key(arn));
            if let Some(context) = &params.encryption_context {
                if let Some(arn) = &context.secret_arn {
                    keep(secret_name(arn));
                }
                if let Some(arn) = &context.parameter_arn {
                    keep(&parameter_name(arn));
                }
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    if secrets.is_empty() && !key_in_scope && !is_enumeration(service, &name, &params) {
        return Decoded::OutOfScope;
    }
    let time_text = event.event_time.clone().unwrap_or_default();
    let time = parse_time(&time_text);
    let identity: UserIdentity<'a> = lenient(event.user_identity);
    let evidence = Evidence {
        event_id: event.event_id.as_deref().unwrap_or_default().to_owned(),
        event_time: time_text.into_owned(),
        event_name: name.to_string(),
        path: path.clone(),
        record,
    };
    Decoded::Call(Box::new(Call {
        service,
        name,
        time,
        error: event.error_code,
        region: event.aws_region,
        source_ip: event.source_ip,
        user_agent: event.user_agent,
        principal: Principal::from_identity(identity),
        params,
        secrets,
        key_in_scope,
        service_event: event.event_type.as_deref() == Some("AwsServiceEvent"),
        evidence,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_times_parse_by_hand_and_agree_with_time() {
        for text in [
            "2023-07-10T11:57:50Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2000-03-01T00:00:00Z",
        ] {
            let expected =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .ok();
            assert_eq!(parse_time(text), expected, "{text}");
        }
        assert_eq!(
            parse_time("2023-07-10T11:57:50.123+02:00"),
            Some(1_688_983_070)
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2023-13-10T11:57:50Z"), None);
    }
}
