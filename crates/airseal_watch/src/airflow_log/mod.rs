//! `airseal watch airflow-log`: Airflow's own audit log (the `log` table) in, alerts on changes
//! to connections and variables out.
//!
//! Rows come from the metadata database (SQLite), an export (JSON, JSON Lines, CSV, or a saved
//! REST API page), or the REST API itself (`/api/v2/eventLogs` of Airflow 3, `/api/v1/eventLogs`
//! of Airflow 2, paginated). Event names are those of each Airflow version ([`events`]); the
//! detections are one file each in `detections/`.

pub mod detections;
pub mod events;
pub mod leaks;
pub mod source;

use std::sync::Arc;

use serde_json::Value;

use crate::cloudtrail::detections::{Alert, Evidence};
use events::{Change, change_of};

/// One row of the `log` table, in the names of the table (exports and the API use aliases).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogRow {
    pub id: Option<i64>,
    /// As written (`2026-11-30 10:00:00.123456+00:00`, or ISO 8601 from the API).
    pub dttm: String,
    pub event: String,
    pub owner: Option<String>,
    /// JSON (2.9+, 3.x, the CLI), or a Python repr (2.7–2.8 web UI and API).
    pub extra: Option<String>,
}

impl LogRow {
    /// From a JSON object of an export or the API (`event_log_id`/`id`, `when`/`dttm`).
    pub fn from_json(object: &serde_json::Map<String, Value>) -> LogRow {
        let text = |keys: &[&str]| {
            keys.iter().find_map(|k| match object.get(*k) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            })
        };
        LogRow {
            id: ["event_log_id", "id"]
                .iter()
                .find_map(|k| object.get(*k))
                .and_then(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                }),
            dttm: text(&["when", "dttm"]).unwrap_or_default(),
            event: text(&["event"]).unwrap_or_default(),
            owner: text(&["owner"]),
            extra: text(&["extra"]),
        }
    }

    /// `extra` as JSON, when it is.
    pub fn extra_json(&self) -> Option<Value> {
        self.extra
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
    }
}

/// Seconds since the epoch and the UTC weekday (0 = Monday) and minute of the day of a `dttm`
/// (`2026-11-30 10:00:00.123+00:00`, `2026-11-30T10:00:00Z`, with or without fraction and
/// offset; no offset is UTC, as Airflow stores it).
pub fn parse_dttm(text: &str) -> Option<(i64, u32, u32)> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let rest = rest.strip_prefix(['T', ' '])?;
    let mut parts = date.split('-');
    let (year, month, day): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    let time_part = rest.get(..8)?;
    let mut hms = time_part.split(':');
    let (hour, minute, second): (i64, i64, i64) = (
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
    );
    // An offset after the time (and any fraction): `Z`, `+HH:MM`, `-HH:MM`.
    let tail = &rest[8..];
    let tail = tail.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset_minutes = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let tail = tail.trim_start();
            let (sign, rest) = match tail.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, tail.strip_prefix('+')?),
            };
            let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            sign * (hours * 60 + minutes)
        }
    };
    let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
    let local = crate::cloudtrail::call::parse_time(&text)?;
    let utc = local - offset_minutes * 60;
    let minute_of_day = utc.rem_euclid(86_400) / 60;
    // 1970-01-01 was a Thursday (3, with Monday 0).
    let weekday = (utc.div_euclid(86_400) + 3).rem_euclid(7);
    Some((utc, weekday as u32, minute_of_day as u32))
}

/// Who may change connections and variables, and when.
#[derive(Debug, Clone, Default)]
pub struct LogPolicy {
    /// Airflow users (and, for CLI rows, OS accounts) allowed to change them; globs.
    pub users: Vec<String>,
    users_set: Option<globset::GlobSet>,
    /// `[start, end)` minutes of the day, UTC.
    pub working_hours: Option<(u32, u32)>,
    /// Working days, Monday = bit 0.
    pub working_days: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("`{0}` is not a user pattern: {1}")]
    User(String, String),
    #[error("`{0}`: working hours are HH:MM-HH:MM, like 08:00-18:00")]
    Hours(String),
    #[error("`{0}`: working days are like mon-fri or mon,tue,wed")]
    Days(String),
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl LogPolicy {
    pub fn new(
        users: &[String],
        hours: Option<&str>,
        days: Option<&str>,
    ) -> Result<LogPolicy, PolicyError> {
        let users_set = if users.is_empty() {
            None
        } else {
            let mut builder = globset::GlobSetBuilder::new();
            for user in users {
                builder.add(
                    globset::Glob::new(user)
                        .map_err(|e| PolicyError::User(user.clone(), e.kind().to_string()))?,
                );
            }
            Some(
                builder
                    .build()
                    .map_err(|e| PolicyError::User(users.join(", "), e.to_string()))?,
            )
        };
        let working_hours = hours
            .map(|text| {
                let minutes = |part: &str| -> Option<u32> {
                    let (h, m) = part.trim().split_once(':')?;
                    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
                };
                let (start, end) = text
                    .split_once('-')
                    .ok_or_else(|| PolicyError::Hours(text.to_owned()))?;
                match (minutes(start), minutes(end)) {
                    (Some(start), Some(end)) if start != end => Ok((start, end)),
                    _ => Err(PolicyError::Hours(text.to_owned())),
                }
            })
            .transpose()?;
        let working_days = match days {
            None => 0b001_1111,
            Some(text) => {
                let index = |day: &str| {
                    DAYS.iter()
                        .position(|d| *d == day.trim().to_ascii_lowercase())
                };
                let mut bits = 0u8;
                for part in text.split(',') {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            let (a, b) = (index(a), index(b));
                            let (Some(a), Some(b)) = (a, b) else {
                                return Err(PolicyError::Days(text.to_owned()));
                            };
                            let mut day = a;
                            loop {
                                bits |= 1 << day;
                                if day == b {
                                    break;
                                }
                                day = (day + 1) % 7;
                            }
                        }
                        None => {
                            bits |= 1
                                << index(part).ok_or_else(|| PolicyError::Days(text.to_owned()))?
                        }
                    }
                }
                bits
            }
        };
        Ok(LogPolicy {
            users: users.to_vec(),
            users_set,
            working_hours,
            working_days,
        })
    }

    /// Whether `owner` is allowed; `None` when no users are configured.
    pub fn allows(&self, owner: &str) -> Option<bool> {
        self.users_set.as_ref().map(|set| set.is_match(owner))
    }

    /// Whether a time is outside working hours; `None` when no hours are configured.
    pub fn outside_hours(&self, weekday: u32, minute: u32) -> Option<bool> {
        let (start, end) = self.working_hours?;
        let working_day = self.working_days & (1 << weekday) != 0;
        let in_hours = if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        };
        Some(!(working_day && in_hours))
    }
}

/// A row that changes connections or variables, decoded for the detections.
#[derive(Debug)]
pub struct LogChange<'r> {
    pub row: &'r LogRow,
    pub change: Change,
    /// The connection id or variable key, when the row names it.
    pub target: Option<String>,
    /// The CLI's argv (`extra.full_command`), for CLI rows.
    pub argv: Option<Vec<String>>,
    pub body: Option<Value>,
    /// `(utc seconds, weekday, minute of day)`.
    pub when: Option<(i64, u32, u32)>,
    pub evidence: Evidence,
}

impl LogChange<'_> {
    pub fn owner(&self) -> &str {
        self.row.owner.as_deref().unwrap_or("(no owner)")
    }

    pub fn what(&self) -> String {
        match &self.target {
            Some(target) => format!("{} `{target}`", self.change.kind.name()),
            None => self.change.kind.name().to_owned(),
        }
    }

    pub fn alert(
        &self,
        rule: &'static airseal_finding::StaticRule,
        severity: airseal_finding::Severity,
        message: String,
    ) -> Alert {
        Alert {
            rule,
            severity,
            message,
            principal: self.owner().to_owned(),
            secrets: self.target.iter().cloned().collect(),
            source_ip: None,
            region: None,
            user_agent: None,
            evidence: vec![self.evidence.clone()],
            time: self.when.map(|w| w.0),
        }
    }
}

fn target_of(change: &Change, argv: Option<&[String]>, body: Option<&Value>) -> Option<String> {
    if let Some(argv) = argv {
        for (group, verb) in [
            ("connections", "add"),
            ("connections", "delete"),
            ("variables", "set"),
            ("variables", "delete"),
        ] {
            if let Some(at) = argv.iter().position(|a| a == group)
                && argv.get(at + 1).map(String::as_str) == Some(verb)
            {
                return argv[at + 2..].iter().find(|a| !a.starts_with('-')).cloned();
            }
        }
        return None;
    }
    let body = body?;
    let keys: &[&str] = match change.kind {
        events::Kind::Connection => &["connection_id", "conn_id"],
        _ => &["variable_key", "key"],
    };
    keys.iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str).map(str::to_owned))
}

/// Decodes a row that changes connections or variables; `None` for every other row, and for
/// Airflow 2 web UI rows that only opened a form (no form fields in `extra`).
pub fn decode<'r>(row: &'r LogRow, path: &Arc<str>, record: usize) -> Option<LogChange<'r>> {
    let change = change_of(&row.event)?;
    let body = row.extra_json();
    let argv = match (change.surface, &body) {
        (events::Surface::Cli, Some(body)) => body
            .get("full_command")
            .and_then(Value::as_str)
            .and_then(leaks::python_string_list),
        _ => None,
    };
    if change.surface == events::Surface::WebUi
        && matches!(change.action, events::Action::Create | events::Action::Edit)
    {
        let extra = row.extra.as_deref().unwrap_or_default();
        if !["conn_id", "conn_type", "'key'", "\"key\"", "val"]
            .iter()
            .any(|f| extra.contains(f))
        {
            return None;
        }
    }
    let target = target_of(&change, argv.as_deref(), body.as_ref());
    Some(LogChange {
        row,
        change,
        target,
        argv,
        body,
        when: parse_dttm(&row.dttm),
        evidence: Evidence {
            event_id: row.id.map(|i| i.to_string()).unwrap_or_default(),
            event_time: row.dttm.clone(),
            event_name: row.event.clone(),
            path: path.clone(),
            record,
        },
    })
}

/// Every alert over `rows`, oldest first.
pub fn check(rows: &[LogRow], source: &str, policy: &LogPolicy) -> Vec<Alert> {
    let path: Arc<str> = Arc::from(source);
    let mut alerts = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let Some(change) = decode(row, &path, index + 1) else {
            continue;
        };
        for (_, check) in detections::CHECKS {
            if let Some(alert) = check(&change, policy) {
                alerts.push(alert);
            }
        }
    }
    alerts.sort_by(crate::cloudtrail::alert_order);
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form_airflow_writes() {
        let monday_10 = parse_dttm("2026-11-30 10:00:00.123456+00:00");
        assert_eq!(monday_10.map(|t| (t.1, t.2)), Some((0, 600)));
        assert_eq!(parse_dttm("2026-11-30T10:00:00Z"), monday_10);
        assert_eq!(
            parse_dttm("2026-11-30T11:30:00+01:30").map(|t| t.2),
            Some(600)
        );
        assert_eq!(parse_dttm("2026-11-29 23:00:00").map(|t| t.1), Some(6));
        assert_eq!(parse_dttm("yesterday"), None);
        // Found by the airflow_log fuzz target: a character of several bytes after the time.
        assert_eq!(parse_dttm("2026-11-30 10:00:00.1234\u{fffd}56+00:00"), None);
        assert_eq!(
            parse_dttm("2026-11-30 10:00:00 +01:00"),
            parse_dttm("2026-11-30T09:00:00Z")
        );
    }

    #[test]
    fn working_hours_and_days() {
        let policy = LogPolicy::new(&[], Some("08:00-18:00"), Some("mon-fri")).unwrap_or_default();
        assert_eq!(policy.outside_hours(0, 9 * 60), Some(false));
        assert_eq!(policy.outside_hours(0, 19 * 60), Some(true));
        assert_eq!(policy.outside_hours(5, 9 * 60), Some(true));
        let night = LogPolicy::new(&[], Some("22:00-06:00"), Some("sun-sat")).unwrap_or_default();
        assert_eq!(night.outside_hours(3, 23 * 60), Some(false));
        assert_eq!(night.outside_hours(3, 12 * 60), Some(true));
        assert!(LogPolicy::new(&[], Some("8-18"), None).is_err());
        assert!(LogPolicy::new(&[], None, Some("monday")).is_err());
        assert_eq!(LogPolicy::default().outside_hours(0, 0), None);
    }
}
