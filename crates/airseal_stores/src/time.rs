//! Times as stores report them: RFC 3339 in UTC, second precision.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `2026-12-03T09:00:00Z`.
pub fn rfc3339(at: SystemTime) -> String {
    let seconds = match at.duration_since(UNIX_EPOCH) {
        Ok(duration) => duration.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    from_unix(seconds)
}

/// The RFC 3339 form of a Unix time (seconds).
pub fn from_unix(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// Seconds since the Unix epoch of an RFC 3339 time (any offset, fractions dropped).
pub fn parse(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_offsets_and_fractions() {
        assert_eq!(from_unix(1_796_288_400), "2026-12-03T09:00:00Z");
        assert_eq!(parse("2026-12-03T09:00:00Z"), Some(1_796_288_400));
        assert_eq!(parse("2026-12-03T10:00:00.250+01:00"), Some(1_796_288_400));
        assert_eq!(parse("yesterday"), None);
    }
}
