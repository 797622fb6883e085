//! The official chart (apache/airflow `chart/`, 1.11–1.18): each plain-text key and the
//! `*SecretName` that replaces it, with the Secret data key the chart's templates read
//! (`templates/secrets/*.yaml`, `templates/_helpers.yaml`).

use airseal_stores::{SecretKind, SecretValue};
use serde_yaml_ng::Value;

use super::{Found, Item, Whole, Work, env_item, query_escape, scalar_text, whole};
use crate::SecretKeyRef;
use crate::values_tree::{self, KeyPath};

/// The service accounts of the components that read connections and Variables.
pub const SERVICE_ACCOUNTS: &[&str] = &[
    "scheduler.serviceAccount",
    "workers.serviceAccount",
    "triggerer.serviceAccount",
    "dagProcessor.serviceAccount",
    "webserver.serviceAccount",
    "apiServer.serviceAccount",
];

/// Keys whose whole value is the secret, and the `*SecretName` key that replaces each.
const WHOLE: &[(Whole, &str)] = &[
    (
        Whole {
            path: "fernetKey",
            what: "the fernet key",
            purpose: "fernet-key",
            key: "fernet-key",
            id: "fernet_key",
        },
        "fernetKeySecretName",
    ),
    (
        Whole {
            path: "webserverSecretKey",
            what: "the webserver secret key",
            purpose: "webserver-secret-key",
            key: "webserver-secret-key",
            id: "secret_key",
        },
        "webserverSecretKeySecretName",
    ),
    (
        Whole {
            path: "apiSecretKey",
            what: "the API server secret key",
            purpose: "api-secret-key",
            key: "api-secret-key",
            id: "secret_key",
        },
        "apiSecretKeySecretName",
    ),
    (
        Whole {
            path: "jwtSecret",
            what: "the JWT signing secret",
            purpose: "jwt-secret",
            key: "jwt-secret",
            id: "jwt_secret",
        },
        "jwtSecretName",
    ),
    (
        Whole {
            path: "redis.password",
            what: "the Redis password",
            purpose: "redis-password",
            key: "password",
            id: "helm_redis_password",
        },
        "redis.passwordSecretName",
    ),
    (
        Whole {
            path: "dags.gitSync.sshKey",
            what: "git-sync's SSH private key",
            purpose: "git-sync-ssh-key",
            key: "gitSshKey",
            id: "helm_git_sync_ssh_key",
        },
        "dags.gitSync.sshKeySecret",
    ),
];

/// Database connections the chart builds a URI from, and the Secret (key `connection`) that
/// replaces them.
struct UriConnection {
    path: &'static str,
    what: &'static str,
    purpose: &'static str,
    id: &'static str,
    secret_name_at: &'static str,
    /// `db+` for the Celery result backend.
    scheme_prefix: &'static str,
}

const URI_CONNECTIONS: &[UriConnection] = &[
    UriConnection {
        path: "data.metadataConnection",
        what: "the metadata database connection",
        purpose: "metadata",
        id: "sql_alchemy_conn",
        secret_name_at: "data.metadataSecretName",
        scheme_prefix: "",
    },
    UriConnection {
        path: "data.resultBackendConnection",
        what: "the Celery result backend connection",
        purpose: "result-backend",
        id: "result_backend",
        secret_name_at: "data.resultBackendSecretName",
        scheme_prefix: "db+",
    },
];

/// Keys with no Secret reference in the chart: reported, left as they are.
const NO_REFERENCE: &[(&str, &str)] = &[
    (
        "webserver.defaultUser.password",
        "the official chart has no Secret reference for the default user's password: set `webserver.defaultUser.enabled: false` (and `createUserJob.enabled: false`) and create users out of band or with an SSO auth manager",
    ),
    (
        "registry.connection.pass",
        "not externalized by airseal: give the registry credentials as a docker-registry Secret in `registry.secretName` or `imagePullSecrets`",
    ),
    (
        "kerberos.keytabBase64Content",
        "not externalized by airseal: create the `<release>-kerberos-keytab` Secret out of band",
    ),
    (
        "elasticsearch.connection.pass",
        "not externalized by airseal yet: put the URI in a Secret (key `connection`) and set `elasticsearch.secretName`",
    ),
    (
        "opensearch.connection.pass",
        "not externalized by airseal yet: put the URI in a Secret (key `connection`) and set `opensearch.secretName`",
    ),
];

/// The chart's built-in secret env vars (`enableBuiltInSecretEnvVars`): an option moved to a
/// Secret under one of these names would be shadowed by the chart's own value.
const BUILT_IN_ENV: &[&str] = &[
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__SQL_ALCHEMY_CONN",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW_CONN_AIRFLOW_DB",
    "AIRFLOW__WEBSERVER__SECRET_KEY",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
];

pub fn externalize(work: &mut Work<'_>) {
    for (spec, secret_name_at) in WHOLE {
        if let Some(target) = whole(work, spec) {
            work.set(&KeyPath::parse(secret_name_at), Value::from(target.name));
            work.delete(&KeyPath::parse(spec.path));
        }
    }
    for connection in URI_CONNECTIONS {
        uri_connection(work, connection);
    }
    broker_url(work);
    broker_url_from_redis_password(work);
    flower(work);
    postgresql(work);
    for (path, message) in NO_REFERENCE {
        let path = KeyPath::parse(path);
        if let Some(Found::Plain(_)) = work.found(&path) {
            work.problem(&path, *message);
        }
    }
    extra_secrets(work);
    environment(work);
    config_options(work);
}

fn uri_connection(work: &mut Work<'_>, spec: &UriConnection) {
    let base = KeyPath::parse(spec.path);
    let pass = base.key("pass");
    let Some(found) = work.found(&pass) else {
        return;
    };
    if spec.purpose == "metadata" && is_true(work.at(&KeyPath::parse("pgbouncer.enabled"))) {
        work.problem(
            &pass,
            "left in place: with `pgbouncer.enabled` the chart also writes this password into PgBouncer's configuration; externalize it together with `pgbouncer.configSecretName` (not generated by airseal yet)",
        );
        return;
    }
    let field = |name: &str, default: &str| {
        work.text(&base.key(name))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let Some(host) = work.text(&base.key("host")).filter(|h| !h.is_empty()) else {
        work.problem(
            &pass,
            "left in place: without `host` the chart connects to its bundled PostgreSQL by a name only Helm knows; set the host to externalize the connection",
        );
        return;
    };
    let protocol = field("protocol", "postgresql");
    let user = field("user", "postgres");
    let port = field("port", "5432");
    let db = field("db", "postgres");
    let sslmode = field("sslmode", "disable");
    let uri = |password: &str| {
        format!(
            "{}{protocol}://{}:{password}@{host}:{port}/{db}?sslmode={sslmode}",
            spec.scheme_prefix,
            query_escape(&user)
        )
    };
    let target = SecretKeyRef {
        name: work.secret_name(spec.purpose),
        key: "connection".to_owned(),
    };
    match found {
        Found::Plain(password) => {
            let item = Item {
                kind: SecretKind::Config,
                id: spec.id.to_owned(),
                value: SecretValue::Text(uri(&query_escape(&password))),
                field: None,
                written_as: format!("{} (as the chart builds the URI)", spec.path),
            };
            if !work.add_plain(&pass, spec.what, Some(target.clone()), item) {
                return;
            }
        }
        Found::Reference(reference) => {
            // The store holds the password alone: ESO builds the URI the chart would.
            let template = uri("{{ .value | urlquery }}");
            work.add_reference(&pass, spec.what, target.clone(), reference, Some(template));
        }
    }
    work.set(
        &KeyPath::parse(spec.secret_name_at),
        Value::from(target.name),
    );
    // The chart's schema requires `pass`: emptied, not deleted.
    work.set(&pass, Value::from(""));
}

fn broker_url(work: &mut Work<'_>) {
    let path = KeyPath::parse("data.brokerUrl");
    let Some(found) = work.found(&path) else {
        return;
    };
    if let Found::Plain(url) = &found
        && !url_has_password(url)
    {
        return;
    }
    let target = SecretKeyRef {
        name: work.secret_name("broker-url"),
        key: "connection".to_owned(),
    };
    match found {
        Found::Plain(url) => {
            let item = Item {
                kind: SecretKind::Config,
                id: "broker_url".to_owned(),
                value: SecretValue::Text(url),
                field: None,
                written_as: "data.brokerUrl".to_owned(),
            };
            if !work.add_plain(&path, "the Celery broker URL", Some(target.clone()), item) {
                return;
            }
        }
        Found::Reference(reference) => {
            work.add_reference(
                &path,
                "the Celery broker URL",
                target.clone(),
                reference,
                None,
            );
        }
    }
    work.set(
        &KeyPath::parse("data.brokerUrlSecretName"),
        Value::from(target.name),
    );
    work.delete(&path);
}

/// `redis.passwordSecretName` alone breaks the broker: the chart then still renders its own
/// broker URL with a different password, unless `data.brokerUrlSecretName` is set too. When the
/// Redis password moved and no broker URL was given, the broker URL the chart would build
/// (`redis://:<password>@<release>-redis:6379/0`, templates/secrets/redis-secrets.yaml) moves
/// with it.
fn broker_url_from_redis_password(work: &mut Work<'_>) {
    let redis = KeyPath::parse("redis.password");
    let Some(slot) = work.slots.iter().find(|s| s.path == redis).cloned() else {
        return;
    };
    let broker_secret = KeyPath::parse("data.brokerUrlSecretName");
    if work
        .slots
        .iter()
        .any(|s| s.path == KeyPath::parse("data.brokerUrl"))
        || work.text(&broker_secret).is_some_and(|t| !t.is_empty())
        || work
            .text(&KeyPath::parse("data.brokerUrl"))
            .is_some_and(|t| !t.is_empty())
    {
        return;
    }
    let host = format!("{}-redis", work.options.release);
    let url = |password: &str| format!("redis://:{password}@{host}:6379/0");
    let target = SecretKeyRef {
        name: work.secret_name("broker-url"),
        key: "connection".to_owned(),
    };
    let what = "the Celery broker URL the chart builds from the Redis password";
    match slot.migrate.as_ref().map(|m| &m.value) {
        Some(SecretValue::Text(password)) => {
            let item = Item {
                kind: SecretKind::Config,
                id: "broker_url".to_owned(),
                value: SecretValue::Text(url(&query_escape(password))),
                field: None,
                written_as: "redis.password (as the chart builds the broker URL)".to_owned(),
            };
            if !work.add_plain(&redis, what, Some(target.clone()), item) {
                return;
            }
        }
        Some(SecretValue::Connection(_)) => return,
        None => {
            let reference = crate::Reference {
                provider: slot.remote.provider,
                name: slot.remote.name.clone(),
                property: slot.remote.property.clone(),
            };
            let template = url("{{ .value | urlquery }}");
            work.add_reference(&redis, what, target.clone(), reference, Some(template));
        }
    }
    work.set(&broker_secret, Value::from(target.name));
}

/// `scheme://user:password@host` with a non-empty password.
fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty())
}

/// Flower's basic auth: the chart's `flower.secretName` Secret holds `basicAuth`
/// (`user:password`), what it would build from `flower.username` / `flower.password`.
fn flower(work: &mut Work<'_>) {
    let path = KeyPath::parse("flower.password");
    let Some(found) = work.found(&path) else {
        return;
    };
    let username = work
        .text(&KeyPath::parse("flower.username"))
        .unwrap_or_default();
    let target = SecretKeyRef {
        name: work.secret_name("flower"),
        key: "basicAuth".to_owned(),
    };
    match found {
        Found::Plain(password) => {
            let item = Item {
                kind: SecretKind::Config,
                id: "flower_basic_auth".to_owned(),
                value: SecretValue::Text(format!("{username}:{password}")),
                field: None,
                written_as: "flower.username:flower.password".to_owned(),
            };
            if !work.add_plain(&path, "Flower's basic auth", Some(target.clone()), item) {
                return;
            }
        }
        Found::Reference(reference) => {
            let template = format!("{username}:{{{{ .value }}}}");
            work.add_reference(
                &path,
                "Flower's basic auth",
                target.clone(),
                reference,
                Some(template),
            );
        }
    }
    work.set(
        &KeyPath::parse("flower.secretName"),
        Value::from(target.name),
    );
    work.delete(&path);
}

/// The bundled PostgreSQL (Bitnami subchart): `postgresql.auth.existingSecret` with its
/// default keys `postgres-password` and `password`.
fn postgresql(work: &mut Work<'_>) {
    if is_false(work.at(&KeyPath::parse("postgresql.enabled"))) {
        return;
    }
    let mut moved = None;
    for (key, data_key, id, what) in [
        (
            "postgresql.auth.postgresPassword",
            "postgres-password",
            "helm_postgresql_postgres_password",
            "the bundled PostgreSQL's superuser password",
        ),
        (
            "postgresql.auth.password",
            "password",
            "helm_postgresql_password",
            "the bundled PostgreSQL's user password",
        ),
    ] {
        let spec = Whole {
            path: key,
            what,
            purpose: "postgresql",
            key: data_key,
            id,
        };
        if let Some(target) = whole(work, &spec) {
            work.delete(&KeyPath::parse(key));
            moved = Some(target.name);
        }
    }
    if let Some(name) = moved {
        work.set(
            &KeyPath::parse("postgresql.auth.existingSecret"),
            Value::from(name),
        );
    }
}

/// `extraSecrets: {NAME: {data: |, stringData: |}}`: each chart-managed Secret becomes one
/// made by ESO / CSI under the same name, so `secret:` and `extraEnvFrom` that read it stay.
fn extra_secrets(work: &mut Work<'_>) {
    let base = KeyPath::parse("extraSecrets");
    let Some(Value::Mapping(secrets)) = work.at(&base) else {
        return;
    };
    for (name, secret) in secrets {
        let name_text = values_tree::key_text(name);
        let secret_path = base.key(&name_text);
        let rendered = name_text.replace("{{ .Release.Name }}", &work.options.release);
        if rendered.contains("{{") {
            work.problem(
                &secret_path,
                "left in place: the Secret name is a template airseal cannot render (only `{{ .Release.Name }}` is)",
            );
            continue;
        }
        let mut entries: Vec<(KeyPath, String, String)> = Vec::new();
        let mut broken = false;
        for (field, encoded) in [("stringData", false), ("data", true)] {
            let field_path = secret_path.key(field);
            let Some(block) = secret.get(field).and_then(scalar_text) else {
                continue;
            };
            let Ok(Value::Mapping(map)) = serde_yaml_ng::from_str::<Value>(&block) else {
                work.problem(
                    &field_path,
                    "left in place: not a YAML mapping of keys to values",
                );
                broken = true;
                continue;
            };
            for (key, value) in &map {
                let key = values_tree::key_text(key);
                let Some(value) = scalar_text(value) else {
                    continue;
                };
                let value = if encoded {
                    match airseal_migrate::sources::decode_secret_data(&value) {
                        Some(decoded) => decoded,
                        None => {
                            work.problem(
                                &field_path.key(&key),
                                "left in place: not base64 of UTF-8 text",
                            );
                            broken = true;
                            continue;
                        }
                    }
                } else {
                    value
                };
                entries.push((field_path.key(&key), key, value));
            }
        }
        if broken || entries.is_empty() {
            continue;
        }
        let before = work.slots.len();
        for (path, key, value) in &entries {
            let target = SecretKeyRef {
                name: rendered.clone(),
                key: key.clone(),
            };
            let what = format!("`{key}` of the chart-managed Secret `{rendered}`");
            let item = match work.found_text(path, value) {
                Some(Found::Reference(reference)) => {
                    work.add_reference(path, &what, target, reference, None);
                    continue;
                }
                Some(Found::Plain(_)) | None => {
                    env_item(work, path, key, value).unwrap_or_else(|| Item {
                        kind: SecretKind::Config,
                        id: format!("helm_{}_{}", super::secret_key_name(&rendered), key)
                            .replace(['-', '.'], "_"),
                        value: SecretValue::Text(value.clone()),
                        field: None,
                        written_as: path.to_string(),
                    })
                }
            };
            if !work.add_plain(path, &what, Some(target), item) {
                broken = true;
            }
        }
        if broken {
            work.slots.truncate(before);
            continue;
        }
        work.delete(&secret_path);
    }
}

/// `env: [{name, value}]` items that hold secrets move to `<release>-airseal-env` and come
/// back through `secret: [{envName, secretName, secretKey}]`.
fn environment(work: &mut Work<'_>) {
    let base = KeyPath::parse("env");
    let Some(Value::Sequence(items)) = work.at(&base) else {
        return;
    };
    let mut kept = Vec::new();
    let mut moved = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = base.index(index);
        let Some(name) = item.get("name").and_then(scalar_text) else {
            kept.push(item.clone());
            continue;
        };
        let value_path = path.key("value");
        let target = SecretKeyRef {
            name: work.secret_name("env"),
            key: name.clone(),
        };
        // With a direct backend, Airflow reads connections and Variables from the store:
        // their env items go, and no Secret is made for them.
        let direct = work.options.direct_backend;
        let added = match work.found(&value_path) {
            Some(Found::Reference(reference)) => {
                work.add_reference(&value_path, &format!("`{name}`"), target, reference, None);
                Some(true)
            }
            Some(Found::Plain(value)) => match env_item(work, &value_path, &name, &value) {
                Some(env) => {
                    let served = direct && env.kind != SecretKind::Config;
                    let target = (!served).then_some(target);
                    work.add_plain(&value_path, &format!("`{name}`"), target, env)
                        .then_some(!served)
                }
                None => None,
            },
            None => None,
        };
        match added {
            Some(needs_secret) => moved.push((name, needs_secret)),
            None => kept.push(item.clone()),
        }
    }
    if moved.is_empty() {
        return;
    }
    work.set(&base, Value::Sequence(kept));
    for (name, needs_secret) in moved {
        if needs_secret {
            add_secret_env(work, &name);
        }
    }
}

/// `config: {section: {key: value}}`: sensitive options (and any option written as a
/// reference) move the same way as env items.
fn config_options(work: &mut Work<'_>) {
    let base = KeyPath::parse("config");
    let Some(Value::Mapping(sections)) = work.at(&base) else {
        return;
    };
    for (section, options) in sections {
        let section = values_tree::key_text(section);
        let Some(options) = options.as_mapping() else {
            continue;
        };
        for key in options.keys() {
            let key = values_tree::key_text(key);
            let path = base.key(&section).key(&key);
            let name = format!(
                "AIRFLOW__{}__{}",
                section.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            );
            let target = SecretKeyRef {
                name: work.secret_name("env"),
                key: name.clone(),
            };
            let what = format!("[{section}] {key}");
            let added = match work.found(&path) {
                Some(Found::Reference(reference)) => {
                    work.add_reference(&path, &what, target, reference, None);
                    true
                }
                Some(Found::Plain(value)) => match env_item(work, &path, &name, &value) {
                    Some(item) => work.add_plain(&path, &what, Some(target), item),
                    None => false,
                },
                None => false,
            };
            if added {
                work.delete(&path);
                add_secret_env(work, &name);
            }
        }
    }
}

/// One `secret:` entry reading `name` from `<release>-airseal-env`, and the built-in switched
/// off when the chart would set the same variable.
fn add_secret_env(work: &mut Work<'_>, name: &str) {
    let path = KeyPath::parse("secret");
    let mut entries = match values_tree::get(&work.changed, &path) {
        Some(Value::Sequence(items)) => items.clone(),
        _ => Vec::new(),
    };
    let entry = serde_yaml_ng::to_value(serde_json::json!({
        "envName": name,
        "secretName": work.secret_name("env"),
        "secretKey": name,
    }))
    .unwrap_or(Value::Null);
    if !entries.contains(&entry) {
        entries.push(entry);
    }
    work.set(&path, Value::Sequence(entries));
    if BUILT_IN_ENV.contains(&name) {
        work.set(
            &KeyPath::parse("enableBuiltInSecretEnvVars").key(name),
            Value::Bool(false),
        );
    }
}

fn is_true(node: Option<&Value>) -> bool {
    matches!(node, Some(Value::Bool(true)))
        || node
            .and_then(scalar_text)
            .is_some_and(|t| t.eq_ignore_ascii_case("true"))
}

fn is_false(node: Option<&Value>) -> bool {
    matches!(node, Some(Value::Bool(false)))
        || node
            .and_then(scalar_text)
            .is_some_and(|t| t.eq_ignore_ascii_case("false"))
}
