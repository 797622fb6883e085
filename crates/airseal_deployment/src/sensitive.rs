//! Airflow's sensitive configuration options, from `data/sensitive-options.tsv` (generated from
//! Airflow as installed from PyPI by scripts/sensitive-options.py, which scripts/test.sh runs
//! with `--check`).

const TABLE: &str = include_str!("../data/sensitive-options.tsv");

/// `[section] key`.
type SectionKey = (&'static str, &'static str);

/// Old locations Airflow still reads (and masks) for a sensitive option.
const DEPRECATED_LOCATIONS: &[(SectionKey, SectionKey)] = &[
    (
        ("core", "sql_alchemy_conn"),
        ("database", "sql_alchemy_conn"),
    ),
    (
        ("core", "sql_alchemy_engine_args"),
        ("database", "sql_alchemy_engine_args"),
    ),
    (
        ("celery", "celery_result_backend"),
        ("celery", "result_backend"),
    ),
    (("webserver", "jwt_secret"), ("api_auth", "jwt_secret")),
];

/// The releases that mark `[section] key` sensitive, or `None` if none does.
pub fn sensitive_in(section: &str, key: &str) -> Option<&'static str> {
    let (section, key) = DEPRECATED_LOCATIONS
        .iter()
        .find(|(old, _)| *old == (section, key))
        .map_or((section, key), |(_, new)| *new);
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .find(|(s, k, _)| *s == section && *k == key)
        .map(|(_, _, releases)| releases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_deprecated_locations() {
        assert!(sensitive_in("core", "fernet_key").is_some());
        assert!(sensitive_in("core", "sql_alchemy_conn").is_some());
        assert!(sensitive_in("celery", "broker_url").is_some());
        assert!(sensitive_in("core", "dags_folder").is_none());
        assert!(sensitive_in("core", "fernet_key_cmd").is_none());
    }
}
