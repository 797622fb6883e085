//! `airseal rotate status`: each connection's age against its class's maximum age.
//!
//! The age runs from the last rotation — the newer of the store's own record (Secrets
//! Manager's `LastRotatedDate`) and airseal's (`airseal-rotated-at` tag; the local store's
//! state file) — or, for a secret never rotated, from its last change (Secrets Manager's
//! `LastChangedDate`, SSM's `LastModifiedDate`, Vault's version time, the local connections
//! file's modification time). A secret is `overdue` past its maximum age, `due` within
//! `due-within` of it, `never-rotated` when younger but never rotated, else `ok`.

use airseal_config::rotation::{RotationClass, RotationSettings};
use airseal_stores::staged::ROTATED_AT_TAG;
use airseal_stores::{SecretKind, SecretMetadata, SecretStore, SecretValue, StoreError};
use globset::GlobBuilder;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    NeverRotated,
    /// The store keeps no time for it: treated like `due`, since nothing shows it is fresh.
    Unknown,
    Due,
    Overdue,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::NeverRotated => "never-rotated",
            State::Unknown => "unknown",
            State::Due => "due",
            State::Overdue => "overdue",
        }
    }

    /// How bad it is, for `--fail-on`: never-rotated 1, due and unknown 2, overdue 3.
    pub fn rank(self) -> u8 {
        match self {
            State::Ok => 0,
            State::NeverRotated => 1,
            State::Unknown | State::Due => 2,
            State::Overdue => 3,
        }
    }

    pub fn parse_threshold(text: &str) -> Option<u8> {
        match text {
            "never-rotated" => Some(1),
            "due" => Some(2),
            "overdue" => Some(3),
            "none" => Some(u8::MAX),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretStatus {
    pub id: String,
    /// The store's name for it.
    pub name: String,
    pub conn_type: Option<String>,
    pub class: String,
    pub max_age_days: f64,
    pub age_days: Option<f64>,
    pub state: State,
    pub last_rotated: Option<String>,
    /// `airseal` or `store` (the store's own rotation).
    pub rotated_by: Option<String>,
    pub last_changed: Option<String>,
    pub rotation_enabled: Option<bool>,
    pub next_rotation: Option<String>,
    pub version: Option<String>,
}

const DAY: f64 = 86_400.0;

fn glob_matches(pattern: &str, id: &str) -> bool {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher().is_match(id))
        .unwrap_or(false)
}

/// The first class whose selectors all match: any id glob, any conn_type, every tag.
pub fn class_of<'a>(
    settings: &'a RotationSettings,
    id: &str,
    conn_type: Option<&str>,
    tags: &[(String, String)],
) -> &'a RotationClass {
    let conn_type = conn_type.map(airseal_connection::normalize_conn_type);
    settings
        .classes
        .iter()
        .find(|class| {
            (class.ids.is_empty() || class.ids.iter().any(|p| glob_matches(p, id)))
                && (class.conn_types.is_empty()
                    || conn_type.as_ref().is_some_and(|t| {
                        class
                            .conn_types
                            .iter()
                            .any(|c| airseal_connection::normalize_conn_type(c) == *t)
                    }))
                && class
                    .tags
                    .iter()
                    .all(|(k, v)| tags.iter().any(|(tk, tv)| tk == k && tv == v))
        })
        .or(settings.classes.last())
        .unwrap_or_else(|| unreachable_default())
}

fn unreachable_default() -> &'static RotationClass {
    static DEFAULT: std::sync::OnceLock<RotationClass> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(|| RotationSettings::default().classes.remove(0))
}

/// The status of one connection from its metadata, at `now` (Unix seconds).
pub fn evaluate(
    settings: &RotationSettings,
    now: i64,
    id: &str,
    conn_type: Option<&str>,
    metadata: &SecretMetadata,
) -> SecretStatus {
    let class = class_of(settings, id, conn_type, &metadata.tags);
    let parse = |t: &Option<String>| t.as_deref().and_then(airseal_stores::time::parse);
    let by_store = parse(&metadata.last_rotated);
    let airseal_tag = metadata
        .tags
        .iter()
        .find(|(k, _)| k == ROTATED_AT_TAG)
        .and_then(|(_, v)| airseal_stores::time::parse(v));
    let (rotated, rotated_by) = match (by_store, airseal_tag) {
        (Some(s), Some(a)) if a >= s => (Some(a), Some("airseal")),
        (Some(s), _) => (Some(s), Some("store")),
        (None, Some(a)) => (Some(a), Some("airseal")),
        (None, None) => (None, None),
    };
    let changed = parse(&metadata.last_changed).or_else(|| parse(&metadata.created));
    let reference = rotated.or(changed);
    let age = reference.map(|t| (now - t).max(0));
    let max_age = class.max_age_seconds as i64;
    let due_from = max_age.saturating_sub(settings.due_within_seconds as i64);
    let state = match age {
        None => State::Unknown,
        Some(age) if age > max_age => State::Overdue,
        Some(age) if age > due_from => State::Due,
        Some(_) if rotated.is_none() => State::NeverRotated,
        Some(_) => State::Ok,
    };
    SecretStatus {
        id: id.to_owned(),
        name: metadata.name.clone(),
        conn_type: conn_type.map(str::to_owned),
        class: class.name.clone(),
        max_age_days: round(max_age as f64 / DAY),
        age_days: age.map(|a| round(a as f64 / DAY)),
        state,
        last_rotated: rotated.map(airseal_stores::time::from_unix),
        rotated_by: rotated_by.map(str::to_owned),
        last_changed: changed.map(airseal_stores::time::from_unix),
        rotation_enabled: metadata.rotation_enabled,
        next_rotation: metadata.next_rotation.clone(),
        version: metadata.version.clone(),
    }
}

fn round(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}

/// One connection's status, or why it has none.
pub type StatusResult = Result<SecretStatus, StoreError>;

/// The status of `ids` (every connection the store lists when empty).
pub fn gather(
    store: &dyn SecretStore,
    settings: &RotationSettings,
    ids: &[String],
    now: i64,
) -> Result<Vec<StatusResult>, StoreError> {
    let ids: Vec<String> = if ids.is_empty() {
        let mut listed =
            store
                .list_ids(SecretKind::Connection)?
                .ok_or_else(|| StoreError::NotConfigured {
                    kind: "connection",
                    id: "*".to_owned(),
                    store: store.describe(),
                    reason: "the store cannot list its connections: name them".to_owned(),
                })?;
        listed.sort();
        listed
    } else {
        ids.to_vec()
    };
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut values = Vec::with_capacity(ids.len());
    for chunk in refs.chunks(store.read_batch_size().max(1)) {
        values.extend(store.read_many(SecretKind::Connection, chunk));
    }
    Ok(ids
        .iter()
        .zip(values)
        .map(|(id, value)| {
            let conn_type = match value? {
                Some(SecretValue::Connection(c)) => c.conn_type,
                Some(SecretValue::Text(_)) => None,
                None => {
                    return Err(StoreError::NotConfigured {
                        kind: "connection",
                        id: id.clone(),
                        store: store.describe(),
                        reason: "absent".to_owned(),
                    });
                }
            };
            let metadata = store
                .metadata(SecretKind::Connection, id)?
                .unwrap_or_else(|| SecretMetadata {
                    name: store
                        .name_of(SecretKind::Connection, id)
                        .unwrap_or_else(|| id.clone()),
                    ..SecretMetadata::default()
                });
            Ok(evaluate(settings, now, id, conn_type.as_deref(), &metadata))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use airseal_config::rotation::RotationClass;

    const NOW: i64 = 1_796_288_400; // 2026-12-03T09:00:00Z

    fn settings() -> RotationSettings {
        let mut settings = RotationSettings::default();
        settings.classes.insert(
            0,
            RotationClass {
                name: "critical".to_owned(),
                max_age_seconds: 30 * 86_400,
                ids: vec!["*_prod".to_owned()],
                conn_types: vec!["postgresql".to_owned()],
                tags: vec![],
            },
        );
        settings.classes.insert(
            1,
            RotationClass {
                name: "tagged".to_owned(),
                max_age_seconds: 90 * 86_400,
                ids: vec![],
                conn_types: vec![],
                tags: vec![("sensitivity".to_owned(), "high".to_owned())],
            },
        );
        settings
    }

    fn days_ago(days: i64) -> Option<String> {
        Some(airseal_stores::time::from_unix(NOW - days * 86_400))
    }

    #[test]
    fn classes_match_by_glob_conn_type_and_tags() {
        let settings = settings();
        let tags = vec![("sensitivity".to_owned(), "high".to_owned())];
        assert_eq!(
            class_of(&settings, "db_prod", Some("postgres"), &[]).name,
            "critical"
        );
        assert_eq!(
            class_of(&settings, "db_prod", Some("mysql"), &[]).name,
            "default"
        );
        assert_eq!(
            class_of(&settings, "db_prod", Some("mysql"), &tags).name,
            "tagged"
        );
        assert_eq!(class_of(&settings, "other", None, &[]).name, "default");
    }

    #[test]
    fn states_follow_the_age_and_the_rotation_record() {
        let settings = settings();
        let cases = [
            (days_ago(40), None, State::Overdue),
            (days_ago(25), None, State::Due),
            (days_ago(5), None, State::Ok),
            (None, days_ago(5), State::NeverRotated),
            (None, days_ago(31), State::Overdue),
            (None, None, State::Unknown),
        ];
        for (rotated, changed, expected) in cases {
            let metadata = SecretMetadata {
                name: "airflow/connections/db_prod".to_owned(),
                last_rotated: rotated.clone(),
                last_changed: changed.clone(),
                ..SecretMetadata::default()
            };
            let status = evaluate(&settings, NOW, "db_prod", Some("postgres"), &metadata);
            assert_eq!(status.state, expected, "{rotated:?} {changed:?}");
        }
    }

    #[test]
    fn airseal_rotations_recorded_in_tags_count() {
        let metadata = SecretMetadata {
            name: "n".to_owned(),
            last_changed: days_ago(400),
            tags: vec![(ROTATED_AT_TAG.to_owned(), days_ago(3).unwrap_or_default())],
            rotation_enabled: Some(false),
            ..SecretMetadata::default()
        };
        let status = evaluate(&RotationSettings::default(), NOW, "x", None, &metadata);
        assert_eq!(status.state, State::Ok);
        assert_eq!(status.rotated_by.as_deref(), Some("airseal"));
        assert_eq!(status.age_days, Some(3.0));
    }
}
