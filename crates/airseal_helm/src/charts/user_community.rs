//! The User-Community chart (airflow-helm/charts `charts/airflow`, 8.x): connections,
//! Variables and users through `connectionsTemplates` / `variablesTemplates` /
//! `usersTemplates` (`${NAME}` filled from a Secret key by the chart's sync jobs), the
//! databases through `passwordSecret` / `existingSecret`, and the fernet and webserver keys
//! through `airflow.extraEnv` with `secretKeyRef` (the chart has no `*SecretName` for them).

use airseal_stores::{SecretKind, SecretValue};
use serde_yaml_ng::Value;

use super::{
    Found, Item, Whole, Work, connection_of, env_from_secret, env_item, scalar_text,
    secret_key_name, template_name, whole,
};
use crate::SecretKeyRef;
use crate::values_tree::{self, KeyPath};

/// Keys whose secret moves to a Secret named by two sibling keys (`<name>`, `<key>`).
const PASSWORD_SECRETS: &[(Whole, &str, &str)] = &[
    (
        Whole {
            path: "externalDatabase.password",
            what: "the metadata database password",
            purpose: "metadata-database",
            key: "password",
            id: "helm_external_database_password",
        },
        "externalDatabase.passwordSecret",
        "externalDatabase.passwordSecretKey",
    ),
    (
        Whole {
            path: "externalRedis.password",
            what: "the Redis password",
            purpose: "redis",
            key: "password",
            id: "helm_external_redis_password",
        },
        "externalRedis.passwordSecret",
        "externalRedis.passwordSecretKey",
    ),
];

/// The bundled databases (Bitnami subcharts pinned by the chart), used unless `enabled: false`.
const BUNDLED: &[(Whole, &str, &str, &str)] = &[
    (
        Whole {
            path: "postgresql.postgresqlPassword",
            what: "the bundled PostgreSQL's password",
            purpose: "postgresql",
            key: "postgresql-password",
            id: "helm_postgresql_password",
        },
        "postgresql.enabled",
        "postgresql.existingSecret",
        "postgresql.existingSecretKey",
    ),
    (
        Whole {
            path: "redis.password",
            what: "the bundled Redis's password",
            purpose: "redis",
            key: "redis-password",
            id: "helm_redis_password",
        },
        "redis.enabled",
        "redis.existingSecret",
        "redis.existingSecretPasswordKey",
    ),
];

/// The fernet and webserver keys: emptied (so the chart's own default, a public value, is not
/// used either) and given as env from a Secret.
const ENV_KEYS: &[(Whole, &str)] = &[
    (
        Whole {
            path: "airflow.fernetKey",
            what: "the fernet key",
            purpose: "fernet-key",
            key: "fernet-key",
            id: "fernet_key",
        },
        "AIRFLOW__CORE__FERNET_KEY",
    ),
    (
        Whole {
            path: "airflow.webserverSecretKey",
            what: "the webserver secret key",
            purpose: "webserver-secret-key",
            key: "webserver-secret-key",
            id: "secret_key",
        },
        "AIRFLOW__WEBSERVER__SECRET_KEY",
    ),
];

pub fn externalize(work: &mut Work<'_>) {
    for (spec, env_name) in ENV_KEYS {
        if let Some(target) = whole(work, spec) {
            work.set(&KeyPath::parse(spec.path), Value::from(""));
            add_extra_env(work, env_name, &target);
        }
    }
    for (spec, name_at, key_at) in PASSWORD_SECRETS {
        if let Some(target) = whole(work, spec) {
            work.set(&KeyPath::parse(name_at), Value::from(target.name));
            work.set(&KeyPath::parse(key_at), Value::from(target.key));
            work.set(&KeyPath::parse(spec.path), Value::from(""));
        }
    }
    for (spec, enabled_at, name_at, key_at) in BUNDLED {
        if scalar_text(work.at(&KeyPath::parse(enabled_at)).unwrap_or(&Value::Null))
            .is_some_and(|t| t == "false")
        {
            continue;
        }
        if let Some(target) = whole(work, spec) {
            work.set(&KeyPath::parse(name_at), Value::from(target.name));
            work.set(&KeyPath::parse(key_at), Value::from(target.key));
            work.delete(&KeyPath::parse(spec.path));
        }
    }
    connections(work);
    variables(work);
    users(work);
    config_options(work);
    extra_env(work);
}

/// `airflow.connections[]`: the password (and an `extra` holding credentials) become
/// `${CONN_<ID>_PASSWORD}` templates; the store gets the whole connection. With a direct
/// backend the connection leaves the values: Airflow reads it from the store.
fn connections(work: &mut Work<'_>) {
    let base = KeyPath::parse("airflow.connections");
    let Some(Value::Sequence(items)) = work.at(&base) else {
        return;
    };
    let direct = work.options.direct_backend;
    let mut removed = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = base.index(index);
        let Some(id) = item
            .get("id")
            .and_then(scalar_text)
            .filter(|i| !i.is_empty())
        else {
            continue;
        };
        let mut moved_any = false;
        for (field, json_field) in [("password", "password"), ("extra", "extra")] {
            let field_path = path.key(field);
            let found = match work.found(&field_path) {
                Some(Found::Plain(text)) if field == "extra" && !extra_has_credentials(&text) => {
                    continue;
                }
                Some(found) => found,
                None if field == "extra" && item.get("extra").is_some_and(Value::is_mapping) => {
                    let text = connection_of(item).extra.unwrap_or_default();
                    if !extra_has_credentials(&text) {
                        continue;
                    }
                    Found::Plain(text)
                }
                None => continue,
            };
            let template = template_name(&["CONN", &id, field]);
            let target = SecretKeyRef {
                name: work.secret_name("connections"),
                key: secret_key_name(&format!("{id}-{field}")),
            };
            let what = format!("connection `{id}`'s {field}");
            let ok = match found {
                Found::Reference(reference) => {
                    work.add_reference(&field_path, &what, target.clone(), reference, None);
                    true
                }
                Found::Plain(_) => {
                    let item_value = Item {
                        kind: SecretKind::Connection,
                        id: id.clone(),
                        value: SecretValue::Connection(connection_of(item)),
                        field: Some(json_field),
                        written_as: path.to_string(),
                    };
                    work.add_plain(
                        &field_path,
                        &what,
                        (!direct).then(|| target.clone()),
                        item_value,
                    )
                }
            };
            if !ok {
                continue;
            }
            moved_any = true;
            if !direct || work.slots.last().is_some_and(|s| s.migrate.is_none()) {
                add_template(work, "airflow.connectionsTemplates", &template, &target);
                work.set(&field_path, Value::from(format!("${{{template}}}")));
            }
        }
        if direct
            && moved_any
            && work
                .slots
                .iter()
                .filter(|s| s.path.starts_with(&path))
                .all(|s| s.migrate.is_some())
        {
            removed.push(index);
        }
    }
    remove_items(work, &base, &removed);
}

/// A connection extra holding a credential key (`password`, `token`, `client_secret`, ...).
fn extra_has_credentials(extra: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(extra)
    else {
        // Not JSON: Airflow would fail to read it anyway; a secret-looking word decides.
        return airseal_deployment::is_secret_variable_name(extra);
    };
    map.keys().any(|k| {
        let lower = k.to_ascii_lowercase();
        airseal_deployment::CREDENTIAL_KWARGS.contains(&lower.as_str())
            || airseal_deployment::is_secret_variable_name(&lower)
    })
}

/// `airflow.variables[]` with a secret-like key.
fn variables(work: &mut Work<'_>) {
    let base = KeyPath::parse("airflow.variables");
    let Some(Value::Sequence(items)) = work.at(&base) else {
        return;
    };
    let direct = work.options.direct_backend;
    let mut removed = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = base.index(index);
        let Some(key) = item
            .get("key")
            .and_then(scalar_text)
            .filter(|k| !k.is_empty())
        else {
            continue;
        };
        let value_path = path.key("value");
        let template = template_name(&["VAR", &key]);
        let target = SecretKeyRef {
            name: work.secret_name("variables"),
            key: secret_key_name(&key),
        };
        let what = format!("Variable `{key}`");
        match work.found(&value_path) {
            Some(Found::Reference(reference)) => {
                work.add_reference(&value_path, &what, target.clone(), reference, None);
            }
            Some(Found::Plain(value)) if airseal_deployment::is_secret_variable_name(&key) => {
                let variable = Item {
                    kind: SecretKind::Variable,
                    id: key.clone(),
                    value: SecretValue::Text(value),
                    field: None,
                    written_as: path.to_string(),
                };
                if !work.add_plain(
                    &value_path,
                    &what,
                    (!direct).then(|| target.clone()),
                    variable,
                ) {
                    continue;
                }
                if direct {
                    removed.push(index);
                    continue;
                }
            }
            _ => continue,
        }
        add_template(work, "airflow.variablesTemplates", &template, &target);
        work.set(&value_path, Value::from(format!("${{{template}}}")));
    }
    remove_items(work, &base, &removed);
}

/// `airflow.users[].password` → `usersTemplates`.
fn users(work: &mut Work<'_>) {
    let base = KeyPath::parse("airflow.users");
    let Some(Value::Sequence(items)) = work.at(&base) else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let path = base.index(index).key("password");
        let username = item
            .get("username")
            .and_then(scalar_text)
            .unwrap_or_else(|| index.to_string());
        let template = template_name(&["USER", &username, "PASSWORD"]);
        let target = SecretKeyRef {
            name: work.secret_name("users"),
            key: secret_key_name(&format!("{username}-password")),
        };
        let what = format!("user `{username}`'s password");
        match work.found(&path) {
            Some(Found::Reference(reference)) => {
                work.add_reference(&path, &what, target.clone(), reference, None);
            }
            Some(Found::Plain(password)) => {
                let id = format!(
                    "helm_user_{}_password",
                    secret_key_name(&username).replace(['-', '.'], "_")
                );
                let user = Item {
                    kind: SecretKind::Config,
                    id,
                    value: SecretValue::Text(password),
                    field: None,
                    written_as: path.to_string(),
                };
                if !work.add_plain(&path, &what, Some(target.clone()), user) {
                    continue;
                }
            }
            None => continue,
        }
        add_template(work, "airflow.usersTemplates", &template, &target);
        work.set(&path, Value::from(format!("${{{template}}}")));
    }
}

/// `airflow.config: {AIRFLOW__SECTION__KEY: value}` sensitive options → `airflow.extraEnv`.
fn config_options(work: &mut Work<'_>) {
    let base = KeyPath::parse("airflow.config");
    let Some(Value::Mapping(options)) = work.at(&base) else {
        return;
    };
    for name in options.keys() {
        let name = values_tree::key_text(name);
        let path = base.key(&name);
        let target = SecretKeyRef {
            name: work.secret_name("env"),
            key: name.clone(),
        };
        let added = match work.found(&path) {
            Some(Found::Reference(reference)) => {
                work.add_reference(&path, &format!("`{name}`"), target.clone(), reference, None);
                true
            }
            Some(Found::Plain(value)) => match env_item(work, &path, &name, &value) {
                Some(item) => {
                    work.add_plain(&path, &format!("`{name}`"), Some(target.clone()), item)
                }
                None => false,
            },
            None => false,
        };
        if added {
            work.delete(&path);
            add_extra_env(work, &name, &target);
        }
    }
}

/// `airflow.extraEnv: [{name, value}]` items holding secrets get `valueFrom.secretKeyRef`;
/// with a direct backend, `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` items go (Airflow reads the store).
fn extra_env(work: &mut Work<'_>) {
    let base = KeyPath::parse("airflow.extraEnv");
    let Some(Value::Sequence(items)) = work.at(&base) else {
        return;
    };
    let direct = work.options.direct_backend;
    let mut removed = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = base.index(index);
        let Some(name) = item.get("name").and_then(scalar_text) else {
            continue;
        };
        let value_path = path.key("value");
        let target = SecretKeyRef {
            name: work.secret_name("env"),
            key: name.clone(),
        };
        let what = format!("`{name}`");
        match work.found(&value_path) {
            Some(Found::Reference(reference)) => {
                work.add_reference(&value_path, &what, target.clone(), reference, None);
                work.set(&path, env_from_secret(&name, &target));
            }
            Some(Found::Plain(value)) => {
                let Some(env) = env_item(work, &value_path, &name, &value) else {
                    continue;
                };
                let served = direct && env.kind != SecretKind::Config;
                if !work.add_plain(&value_path, &what, (!served).then(|| target.clone()), env) {
                    continue;
                }
                if served {
                    removed.push(index);
                } else {
                    work.set(&path, env_from_secret(&name, &target));
                }
            }
            None => {}
        }
    }
    remove_items(work, &base, &removed);
}

/// `<templates>.<NAME>: {kind: secret, name, key}`.
fn add_template(work: &mut Work<'_>, templates: &str, name: &str, target: &SecretKeyRef) {
    let value = serde_yaml_ng::to_value(serde_json::json!({
        "kind": "secret",
        "name": target.name,
        "key": target.key,
    }))
    .unwrap_or(Value::Null);
    work.set(&KeyPath::parse(templates).key(name), value);
}

/// Appends `{name, valueFrom.secretKeyRef}` to `airflow.extraEnv` (replacing an item of the
/// same name, which Kubernetes would otherwise resolve to the last one).
fn add_extra_env(work: &mut Work<'_>, name: &str, target: &SecretKeyRef) {
    let path = KeyPath::parse("airflow.extraEnv");
    let mut items = match values_tree::get(&work.changed, &path) {
        Some(Value::Sequence(items)) => items.clone(),
        _ => Vec::new(),
    };
    items.retain(|item| item.get("name").and_then(scalar_text).as_deref() != Some(name));
    items.push(env_from_secret(name, target));
    work.set(&path, Value::Sequence(items));
}

fn remove_items(work: &mut Work<'_>, base: &KeyPath, removed: &[usize]) {
    if removed.is_empty() {
        return;
    }
    let Some(Value::Sequence(items)) = values_tree::get(&work.changed, base).cloned() else {
        return;
    };
    let kept: Vec<Value> = items
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !removed.contains(index))
        .map(|(_, item)| item)
        .collect();
    work.set(base, Value::Sequence(kept));
}
