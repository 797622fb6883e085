//! The backend settings of each role, assembled from every file (environment over airflow.cfg),
//! and their checks.

use serde_json::Value;

use airseal_deployment::configuration::ConfiguredOption;
use airseal_deployment::{CREDENTIAL_KWARGS, sensitive_in};

use crate::backends::{self, Backend, Kind, Naming};
use crate::gather::Project;
use crate::{BackendSetting, Location, Problem, Role, Severity};

/// (section, class option, kwargs option, per-key kwarg prefix) of each role.
fn option_names(role: Role) -> (&'static str, &'static str, &'static str, &'static str) {
    match role {
        Role::Servers => ("secrets", "backend", "backend_kwargs", "backend_kwarg__"),
        Role::Workers => (
            "workers",
            "secrets_backend",
            "secrets_backend_kwargs",
            "secrets_backend_kwarg__",
        ),
    }
}

/// Every place an option is set: (option, file).
fn occurrences<'p>(
    project: &'p Project,
    section: &str,
    key: &str,
) -> Vec<(&'p ConfiguredOption, &'p str)> {
    let mut found: Vec<(&ConfiguredOption, &str)> = project
        .configurations
        .iter()
        .flat_map(|(path, c)| c.options.iter().map(move |o| (o, path.as_str())))
        .filter(|(o, _)| o.section == section && o.key == key)
        .collect();
    // The environment overrides airflow.cfg; among equals, the first file in path order.
    found.sort_by_key(|(o, path)| (!o.from_environment, path.to_string(), o.line));
    found
}

fn location(option: &ConfiguredOption, path: &str) -> Location {
    Location {
        path: path.to_owned(),
        line: option.line,
    }
}

/// The effective backend of each role that has one.
pub fn backends(project: &Project, problems: &mut Vec<Problem>) -> Vec<BackendSetting> {
    let mut out = Vec::new();
    for role in [Role::Servers, Role::Workers] {
        let (section, class_key, kwargs_key, per_key) = option_names(role);
        let classes = occurrences(project, section, class_key);
        let Some((chosen, chosen_path)) =
            classes.iter().find(|(o, _)| !o.value.is_empty()).copied()
        else {
            continue;
        };
        let at = location(chosen, chosen_path);
        for (other, path) in &classes {
            if !other.value.is_empty() && other.value != chosen.value {
                problems.push(Problem {
                    severity: Severity::Warning,
                    message: format!(
                        "{} is set to another class here than at {at}; airseal assumes {at} (the environment overrides airflow.cfg; several deployments in one project are checked as one)",
                        other.written_as
                    ),
                    at: Some(location(other, path)),
                });
            }
        }
        let mut kwarg_values = serde_json::Map::new();
        let mut kwargs_at = None;
        if let Some((option, path)) = occurrences(project, section, kwargs_key).first() {
            let here = location(option, path);
            match serde_json::from_str::<Value>(&option.value) {
                Ok(Value::Object(map)) => kwarg_values = map,
                Ok(_) => problems.push(Problem {
                    severity: Severity::Error,
                    message: format!(
                        "{} is not a JSON object: Airflow logs an error and uses {{}} (every kwarg falls back to its default)",
                        option.written_as
                    ),
                    at: Some(here.clone()),
                }),
                Err(error) => problems.push(Problem {
                    severity: Severity::Error,
                    message: format!(
                        "{} is not valid JSON (line {}, column {}): Airflow logs an error and uses {{}} (every kwarg falls back to its default)",
                        option.written_as,
                        error.line(),
                        error.column()
                    ),
                    at: Some(here.clone()),
                }),
            }
            kwargs_at = Some(here);
        }
        // AIRFLOW__SECRETS__BACKEND_KWARG__<KEY>: raw strings, over the JSON's keys.
        for (configuration_path, configuration) in &project.configurations {
            for option in &configuration.options {
                if option.section == section
                    && let Some(kwarg) = option.key.strip_prefix(per_key)
                {
                    kwarg_values.insert(kwarg.to_owned(), Value::String(option.value.clone()));
                    kwargs_at.get_or_insert_with(|| location(option, configuration_path));
                }
            }
        }
        let backend = backends::backend(&chosen.value);
        check_class(&chosen.value, backend, &at, problems);
        if let Some(backend) = backend {
            check_kwargs(
                backend,
                &kwarg_values,
                kwargs_at.as_ref().unwrap_or(&at),
                problems,
            );
        }
        let names = Kind::ALL
            .iter()
            .map(|&kind| {
                (
                    kind,
                    backend.and_then(|b| name_pattern(b, &kwarg_values, kind)),
                )
            })
            .collect();
        out.push(BackendSetting {
            role,
            class: chosen.value.clone(),
            at,
            known_as: backend.map(|b| b.name.to_owned()),
            kwargs: kwarg_values.keys().cloned().collect(),
            kwargs_at,
            names,
            kwarg_values,
        });
    }
    out
}

fn check_class(class: &str, backend: Option<&Backend>, at: &Location, problems: &mut Vec<Problem>) {
    if backend.is_some() {
        return;
    }
    if let Some((_, now)) = backends::MOVED.iter().find(|(old, _)| *old == class) {
        problems.push(Problem {
            severity: Severity::Error,
            message: format!(
                "`{class}` was removed with airflow.contrib in Airflow 2: the backend cannot be imported; use `{now}`"
            ),
            at: Some(at.clone()),
        });
        return;
    }
    let near = backends::BACKENDS.iter().find(|b| {
        let short = b.class.rsplit('.').next().unwrap_or_default();
        class.ends_with(short)
    });
    let (severity, message) = match near {
        Some(b) => (
            Severity::Error,
            format!(
                "`{class}` is not where {} lives (`{}`): Airflow fails to import the backend",
                b.name, b.class
            ),
        ),
        None => (
            Severity::Info,
            format!("`{class}` is not a backend airseal knows; its kwargs are not checked"),
        ),
    };
    problems.push(Problem {
        severity,
        message,
        at: Some(at.clone()),
    });
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_kwargs(
    backend: &Backend,
    kwargs: &serde_json::Map<String, Value>,
    at: &Location,
    problems: &mut Vec<Problem>,
) {
    let table = backends::kwargs_of(backend.class);
    let short = backend.class.rsplit('.').next().unwrap_or(backend.class);
    let var_keyword = table.iter().find(|s| s.status == "var_keyword");
    let mut push = |severity, message: String| {
        problems.push(Problem {
            severity,
            message,
            at: Some(at.clone()),
        });
    };
    for (name, value) in kwargs {
        let credential = CREDENTIAL_KWARGS.contains(&name.to_ascii_lowercase().as_str())
            && !value.is_null()
            && value.as_str().is_none_or(|s| !s.trim().is_empty());
        if credential {
            push(
                Severity::Error,
                format!(
                    "backend kwarg `{name}` holds a credential in the configuration: give the backend its own identity (IRSA / instance role, Vault Kubernetes auth, workload identity) or read the kwargs with `backend_kwargs_cmd`"
                ),
            );
        }
        let rows: Vec<_> = table.iter().filter(|s| &s.kwarg == name).collect();
        let current = rows
            .iter()
            .find(|s| matches!(s.status.as_str(), "param" | "client"));
        if let Some(spec) = current {
            // A null prefix / path switches that kind off (reported below), whatever the
            // annotation says.
            let switch = name.ends_with("_prefix") || name.ends_with("_path");
            if value.is_null() {
                if !switch && !backends::allows_null(spec) {
                    push(
                        Severity::Error,
                        format!("backend kwarg `{name}` is null, which {short} does not accept"),
                    );
                }
            } else if let Some(expected) = backends::expected_type(spec) {
                let got = json_type(value);
                if got != expected {
                    // `"2"` for an integer (per-key environment kwargs are always strings) may
                    // work if the class converts it; `"two"` cannot.
                    let convertible = value.as_str().is_some_and(|s| match expected {
                        "integer" => s.trim().parse::<i64>().is_ok(),
                        "boolean" => matches!(s.trim(), "true" | "false" | "True" | "False"),
                        _ => false,
                    });
                    push(
                        if convertible {
                            Severity::Warning
                        } else {
                            Severity::Error
                        },
                        format!(
                            "backend kwarg `{name}` is a JSON {got}; {short} expects a {expected} (default {}){}",
                            spec.default,
                            if convertible {
                                ": it arrives as a string unless the class converts it"
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
        } else if let Some(spec) = rows.iter().find(|s| s.status == "deprecated") {
            push(
                Severity::Warning,
                format!(
                    "backend kwarg `{name}` is deprecated in {}: it will stop working in a later provider release",
                    spec.source
                ),
            );
        } else if let Some(spec) = rows.iter().find(|s| s.status == "removed") {
            push(
                Severity::Error,
                format!(
                    "backend kwarg `{name}` was removed from {short} (last in {}): current providers no longer honour it",
                    spec.source
                ),
            );
        } else if let Some(spec) = var_keyword.filter(|_| !credential) {
            push(
                Severity::Info,
                format!(
                    "backend kwarg `{name}` is not a {short} parameter; it is passed on ({})",
                    spec.default.split(" | ").next().unwrap_or_default()
                ),
            );
        } else if !table.is_empty() && var_keyword.is_none() {
            push(
                Severity::Error,
                format!(
                    "backend kwarg `{name}` is not a {short} parameter: the backend fails to start (TypeError)"
                ),
            );
        }
        if name.ends_with("_lookup_pattern")
            && let Some(pattern) = value.as_str()
            && let Err(error) = regex::Regex::new(pattern)
        {
            let message = error.to_string();
            let python_only = message.contains("look-around") || message.contains("backreference");
            push(
                if python_only {
                    Severity::Info
                } else {
                    Severity::Error
                },
                if python_only {
                    format!(
                        "backend kwarg `{name}` uses Python-only regex syntax; airseal cannot check which ids it matches"
                    )
                } else {
                    format!(
                        "backend kwarg `{name}` is not a valid regular expression: every lookup of that kind fails"
                    )
                },
            );
        }
    }
    for (kind, (prefix_kwarg, _)) in Kind::ALL.iter().zip(backend.prefixes) {
        if kwargs.get(prefix_kwarg).is_some_and(Value::is_null) {
            push(
                Severity::Info,
                format!(
                    "`{prefix_kwarg}` is null: {} are not looked up in {}",
                    kind.name(),
                    backend.name
                ),
            );
        }
    }
}

/// The name pattern of one kind (`airflow/connections/<id>`), `None` when it is off.
pub fn name_pattern(
    backend: &Backend,
    kwargs: &serde_json::Map<String, Value>,
    kind: Kind,
) -> Option<String> {
    let index = Kind::ALL.iter().position(|k| *k == kind)?;
    let (prefix_kwarg, default) = backend.prefixes[index];
    let prefix = match kwargs.get(prefix_kwarg) {
        Some(Value::Null) => return None,
        Some(Value::String(s)) => s.clone(),
        Some(_) => return None,
        None => default?.to_owned(),
    };
    let sep = kwargs
        .get("sep")
        .and_then(Value::as_str)
        .unwrap_or(backend.default_sep);
    let placeholder = if kind == Kind::Connections {
        "<id>"
    } else {
        "<key>"
    };
    Some(match backend.naming {
        Naming::PrefixSep if prefix.is_empty() => placeholder.to_owned(),
        Naming::PrefixSep => format!("{prefix}{sep}{placeholder}"),
        Naming::AzureKeyVault => format!("{}{sep}{placeholder}", prefix.replace('_', "-")),
        Naming::ParameterStore => {
            let prefix = prefix.trim_end_matches('/');
            if prefix.starts_with('/') {
                format!("{prefix}/{placeholder}")
            } else {
                format!("/{prefix}/{placeholder}")
            }
        }
        Naming::Vault => {
            let mount = kwargs
                .get("mount_point")
                .and_then(Value::as_str)
                .unwrap_or("secret");
            format!("{mount}/{prefix}/{placeholder}")
        }
        Naming::LocalFiles => prefix,
    })
}

/// `<option>_secret` settings: they need the servers' backend with config lookups on.
/// Returns whether any `_secret` option is set.
pub fn secret_options(
    project: &Project,
    backends: &[BackendSetting],
    problems: &mut Vec<Problem>,
) -> bool {
    let mut any = false;
    let servers = backends.iter().find(|b| b.role == Role::Servers);
    for (path, configuration) in &project.configurations {
        for option in &configuration.options {
            let Some(base) = option.key.strip_suffix("_secret") else {
                continue;
            };
            if sensitive_in(&option.section, base).is_none() || option.value.is_empty() {
                continue;
            }
            any = true;
            let at = Some(location(option, path));
            let config_name = servers.and_then(|b| {
                b.names
                    .iter()
                    .find(|(k, _)| *k == Kind::Config)
                    .and_then(|(_, n)| n.clone())
            });
            let (severity, message) = match (servers, config_name) {
                (None, _) => (
                    Severity::Error,
                    format!(
                        "{} reads from the secrets backend, but no `[secrets] backend` is configured: Airflow cannot resolve it",
                        option.written_as
                    ),
                ),
                (Some(backend), None) => (
                    Severity::Error,
                    format!(
                        "{} reads from the config prefix of `{}`, which is switched off (null) or unknown: Airflow cannot resolve it",
                        option.written_as, backend.class
                    ),
                ),
                (Some(backend), Some(name)) => (
                    Severity::Info,
                    format!(
                        "{} reads `{}` from {}",
                        option.written_as,
                        name.replace("<key>", &option.value),
                        backend.known_as.as_deref().unwrap_or(&backend.class)
                    ),
                ),
            };
            problems.push(Problem {
                severity,
                message,
                at,
            });
        }
    }
    any
}
