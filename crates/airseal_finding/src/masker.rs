//! Airflow's secrets masker: which Variable and connection-extra names it hides. A plain
//! substring test against the masker's field list, exactly as Airflow does it. Used by the
//! DAG rules (airseal_python) and by `watch airflow-log` (airseal_watch).

/// Airflow 2's `DEFAULT_SENSITIVE_FIELDS` (`airflow/utils/log/secrets_masker.py` in
/// apache-airflow 2.10.5): the lower-cased Variable name or extra key is hidden when it contains
/// one of these. `bench/dag_accuracy.py` compares this table with the wheel's.
pub const MASKER_FIELDS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
];

/// Airflow 3's list (`airflow/_shared/secrets_masker/secrets_masker.py` in apache-airflow-core
/// 3.3.2): Airflow 2's plus `access_key`, `auth_header`, `bearer`, `connection_string`, `dsn`,
/// `proxy`, `proxy_password`, `proxies`, `service_key`, `webhook_url`.
pub const MASKER_FIELDS_AIRFLOW3: &[&str] = &[
    "access_key",
    "access_token",
    "api_key",
    "apikey",
    "auth_header",
    "authorization",
    "bearer",
    "connection_string",
    "dsn",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "proxy",
    "proxy_password",
    "proxies",
    "secret",
    "service_account",
    "service_key",
    "token",
    "keyfile_dict",
    "webhook_url",
];

/// Whether Airflow 2's secrets masker hides a value stored under `name` (its default field
/// list; `[core] sensitive_var_conn_names` may add more). Airflow 2 is the stricter test: a name
/// it hides, Airflow 3 hides too.
pub fn masker_hides(name: &str) -> bool {
    hides(MASKER_FIELDS, name)
}

/// Whether Airflow 3.3's longer list hides it.
pub fn masker_hides_airflow3(name: &str) -> bool {
    hides(MASKER_FIELDS_AIRFLOW3, name)
}

fn hides(fields: &[&str], name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    fields.iter().any(|field| lower.contains(field))
}
