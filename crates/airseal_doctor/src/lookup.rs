//! Where each connection id and Variable key resolves from. Airflow asks, in order, the custom
//! backend, the environment (`AIRFLOW_CONN_<ID>` / `AIRFLOW_VAR_<KEY>`), then the metadata
//! database, and takes the first hit; Airflow 3 workers ask `[workers] secrets_backend`, the
//! environment, then the API server (which runs the servers' order).

use std::collections::BTreeMap;

use serde_json::Value;

use airseal_python::ReferenceKind;

use crate::backends::{self, Kind, Naming};
use crate::gather::Project;
use crate::{BackendSetting, Location, Problem, Resolution, Role, Severity, Step, StepStatus};

#[derive(Default)]
struct Facts {
    used_at: Vec<Location>,
    environment: Vec<Location>,
    environment_secret: bool,
    /// Chart-created rows in the metadata database.
    metastore: Vec<Location>,
    metastore_secret: bool,
}

/// The facts about one id, keyed by (kind, upper-case id): Airflow matches environment names by
/// upper case.
fn entry<'f>(
    facts: &'f mut BTreeMap<(u8, String), (String, Facts)>,
    kind: Kind,
    id: &str,
) -> &'f mut Facts {
    let key = (kind as u8, id.to_ascii_uppercase());
    &mut facts
        .entry(key)
        .or_insert_with(|| (id.to_owned(), Facts::default()))
        .1
}

fn env_name(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Variables => format!("AIRFLOW_VAR_{}", id.to_ascii_uppercase()),
        _ => format!("AIRFLOW_CONN_{}", id.to_ascii_uppercase()),
    }
}

pub fn resolutions(
    project: &Project,
    backends: &[BackendSetting],
    problems: &mut Vec<Problem>,
) -> Vec<Resolution> {
    let mut facts: BTreeMap<(u8, String), (String, Facts)> = BTreeMap::new();
    for (path, references) in &project.references {
        for reference in references {
            let kind = match reference.kind {
                ReferenceKind::Connection => Kind::Connections,
                ReferenceKind::Variable => Kind::Variables,
            };
            entry(&mut facts, kind, &reference.id)
                .used_at
                .push(Location {
                    path: path.clone(),
                    line: reference.line,
                });
        }
    }
    for (path, configuration) in &project.configurations {
        for variable in &configuration.environment {
            let (kind, id) = if let Some(id) = variable.name.strip_prefix("AIRFLOW_CONN_") {
                (Kind::Connections, id)
            } else if let Some(id) = variable.name.strip_prefix("AIRFLOW_VAR_") {
                (Kind::Variables, id)
            } else {
                continue;
            };
            if id.is_empty() || variable.value.is_empty() {
                continue;
            }
            let defined = entry(&mut facts, kind, &id.to_ascii_lowercase());
            defined.environment.push(Location {
                path: path.clone(),
                line: variable.line,
            });
            defined.environment_secret |= holds_secret(kind, id, &variable.value);
        }
        for (kind, definitions) in [
            (Kind::Connections, &configuration.chart_connections),
            (Kind::Variables, &configuration.chart_variables),
        ] {
            for definition in definitions {
                let defined = entry(&mut facts, kind, &definition.id);
                defined.metastore.push(Location {
                    path: path.clone(),
                    line: definition.line,
                });
                defined.metastore_secret |= definition.holds_secret;
            }
        }
    }
    let servers = backends.iter().find(|b| b.role == Role::Servers);
    let workers = backends.iter().find(|b| b.role == Role::Workers);
    let local_files = |backend: &BackendSetting, kind: Kind| local_file_ids(project, backend, kind);
    let mut out = Vec::new();
    for ((kind_index, _), (id, mut facts)) in facts {
        facts.used_at.sort();
        facts.used_at.dedup();
        let kind = if kind_index == Kind::Variables as u8 {
            Kind::Variables
        } else {
            Kind::Connections
        };
        let mut lookup = Vec::new();
        if let Some(backend) = servers {
            lookup.push(backend_step(backend, kind, &id, local_files(backend, kind)));
        }
        lookup.push(environment_step(kind, &id, &facts));
        lookup.push(Step {
            place: "metastore".to_owned(),
            looks_up: format!("{} `{id}` in the metadata database", singular(kind)),
            status: if facts.metastore.is_empty() {
                StepStatus::Unknown
            } else {
                StepStatus::Defined {
                    at: facts.metastore.clone(),
                    holds_secret: facts.metastore_secret,
                }
            },
        });
        let mut worker_lookup = Vec::new();
        if let Some(backend) = workers {
            worker_lookup.push(backend_step(backend, kind, &id, local_files(backend, kind)));
            worker_lookup.push(environment_step(kind, &id, &facts));
            worker_lookup.push(Step {
                place: "Execution API".to_owned(),
                looks_up: "the API server, which asks its own backend, environment and metastore"
                    .to_owned(),
                status: StepStatus::Unknown,
            });
        }
        let mut verdict = verdict(kind, &id, &lookup, &worker_lookup, &facts, problems);
        if let Some(first) = worker_lookup.first()
            && first.status == StepStatus::Unknown
        {
            verdict.push_str(&format!(
                "; Airflow 3 workers ask {} `{}` first",
                first.place, first.looks_up
            ));
        }
        out.push(Resolution {
            kind,
            id,
            used_at: facts.used_at,
            lookup,
            worker_lookup,
            verdict,
        });
    }
    out
}

fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::Connections => "connection",
        Kind::Variables => "Variable",
        Kind::Config => "config value",
    }
}

fn environment_step(kind: Kind, id: &str, facts: &Facts) -> Step {
    Step {
        place: "environment".to_owned(),
        looks_up: env_name(kind, id),
        status: if facts.environment.is_empty() {
            StepStatus::NotDefined
        } else {
            StepStatus::Defined {
                at: facts.environment.clone(),
                holds_secret: facts.environment_secret,
            }
        },
    }
}

/// Whether an environment definition carries a secret: a connection URI with a password, a
/// JSON connection with a non-empty `password`, a Variable whose name says it is secret.
fn holds_secret(kind: Kind, id: &str, value: &str) -> bool {
    match kind {
        Kind::Connections => {
            if value.trim_start().starts_with('{') {
                serde_json::from_str::<Value>(value).is_ok_and(|v| {
                    v.get("password")
                        .and_then(Value::as_str)
                        .is_some_and(|p| !p.is_empty())
                })
            } else {
                value
                    .split_once("://")
                    .and_then(|(_, rest)| rest.split_once('@'))
                    .is_some_and(|(userinfo, _)| {
                        userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty())
                    })
            }
        }
        _ => {
            let lower = id.to_ascii_lowercase();
            [
                "password",
                "secret",
                "token",
                "api_key",
                "apikey",
                "private_key",
                "credential",
            ]
            .iter()
            .any(|w| lower.contains(w))
        }
    }
}

fn backend_step(
    backend: &BackendSetting,
    kind: Kind,
    id: &str,
    local: Option<(Location, Vec<(String, usize)>)>,
) -> Step {
    let place = backend
        .known_as
        .clone()
        .unwrap_or_else(|| backend.class.clone());
    let pattern = backend
        .names
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, n)| n.clone());
    let Some(pattern) = pattern else {
        return Step {
            place,
            looks_up: String::new(),
            status: StepStatus::Skipped {
                reason: if backend.known_as.is_some() {
                    format!("{} are not looked up in this backend", kind.name())
                } else {
                    "a backend airseal does not know: it may or may not hold it".to_owned()
                },
            },
        };
    };
    let lookup_kwarg = format!("{}_lookup_pattern", kind.name());
    if let Some(Value::String(regex)) = backend.kwarg_values.get(&lookup_kwarg)
        && let Ok(compiled) = regex::Regex::new(&format!("(?i)^(?:{regex})"))
        && !compiled.is_match(id)
    {
        return Step {
            place,
            looks_up: String::new(),
            status: StepStatus::Skipped {
                reason: format!("`{lookup_kwarg}` does not match `{id}`"),
            },
        };
    }
    if backends::backend(&backend.class).is_some_and(|b| b.naming == Naming::LocalFiles) {
        return Step {
            place,
            looks_up: format!("`{id}` in {pattern}"),
            status: match local {
                Some((file, ids)) => match ids.iter().find(|(k, _)| k == id) {
                    Some((_, line)) => StepStatus::Defined {
                        at: vec![Location {
                            path: file.path.clone(),
                            line: *line,
                        }],
                        // The backend's own store: plain by design, reported by the scan.
                        holds_secret: false,
                    },
                    None => StepStatus::NotDefined,
                },
                None => StepStatus::Unknown,
            },
        };
    }
    let name = match kind {
        Kind::Connections => pattern.replace("<id>", id),
        _ => pattern.replace("<key>", id),
    };
    let name =
        if backends::backend(&backend.class).is_some_and(|b| b.naming == Naming::AzureKeyVault) {
            name.replace('_', "-")
        } else {
            name
        };
    Step {
        place,
        looks_up: name,
        status: StepStatus::Unknown,
    }
}

/// The ids in the local-filesystem backend's file for `kind`, when that file is in the project
/// (matched by its path's last components): (file, [(id, line)]).
fn local_file_ids(
    project: &Project,
    backend: &BackendSetting,
    kind: Kind,
) -> Option<(Location, Vec<(String, usize)>)> {
    if !backends::backend(&backend.class).is_some_and(|b| b.naming == Naming::LocalFiles) {
        return None;
    }
    let configured = backend
        .names
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, n)| n.clone())?;
    let file_name = configured.rsplit('/').next()?;
    let (display, path) = project
        .files
        .iter()
        .filter(|(display, _)| display.rsplit('/').next() == Some(file_name))
        .max_by_key(|(display, _)| common_suffix(display, &configured))?;
    let text = std::fs::read_to_string(path).ok()?;
    let ids = top_level_keys(&text, file_name);
    Some((
        Location {
            path: display.clone(),
            line: 1,
        },
        ids,
    ))
}

fn common_suffix(a: &str, b: &str) -> usize {
    a.rsplit('/')
        .zip(b.rsplit('/'))
        .take_while(|(x, y)| x == y)
        .count()
}

/// Top-level keys of a JSON / YAML mapping, or `KEY=` lines of a `.env` file, with lines.
fn top_level_keys(text: &str, file_name: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if file_name.ends_with(".env") {
            if let Some((key, _)) = trimmed.split_once('=')
                && !key.trim_start().starts_with('#')
            {
                out.push((key.trim().to_owned(), index + 1));
            }
        } else if file_name.ends_with(".json") {
            // Two-space or tab indented top-level keys of a pretty-printed object.
            let indent = line.len() - line.trim_start().len();
            if (1..=4).contains(&indent)
                && let Some(rest) = trimmed.trim_start().strip_prefix('"')
                && let Some((key, after)) = rest.split_once('"')
                && after.trim_start().starts_with(':')
            {
                out.push((key.to_owned(), index + 1));
            }
        } else if !line.starts_with([' ', '\t', '#', '-'])
            && let Some((key, _)) = trimmed.split_once(':')
        {
            out.push((key.trim().trim_matches(['"', '\'']).to_owned(), index + 1));
        }
    }
    out
}

fn verdict(
    kind: Kind,
    id: &str,
    lookup: &[Step],
    worker_lookup: &[Step],
    facts: &Facts,
    problems: &mut Vec<Problem>,
) -> String {
    let what = format!("{} `{id}`", singular(kind));
    let mut unknown_before: Vec<String> = Vec::new();
    let mut winner: Option<&Step> = None;
    let mut shadowed: Vec<(&Step, bool)> = Vec::new();
    for step in lookup {
        match &step.status {
            StepStatus::Defined { .. } if winner.is_none() => winner = Some(step),
            StepStatus::Defined { holds_secret, .. } => shadowed.push((step, *holds_secret)),
            StepStatus::Unknown if winner.is_none() => unknown_before.push(describe(step)),
            _ => {}
        }
    }
    let Some(winner) = winner else {
        if unknown_before.is_empty() || unknown_before.iter().all(|s| s.starts_with("metastore")) {
            // A workers' backend may hold it: no warning then.
            let workers_may = worker_lookup
                .first()
                .is_some_and(|s| s.status == StepStatus::Unknown);
            if !facts.used_at.is_empty() && !workers_may {
                problems.push(Problem {
                    severity: Severity::Warning,
                    message: format!(
                        "{what} is used but defined nowhere airseal can see: unless it was created in the metadata database (UI, CLI), the task fails"
                    ),
                    at: facts.used_at.first().cloned(),
                });
            }
            return format!(
                "{what}: not defined in any file; only the metadata database can hold it"
            );
        }
        return format!(
            "{what}: must exist in {} — no file defines it",
            unknown_before.join(", or ")
        );
    };
    let winner_text = describe(winner);
    let mut verdict = if unknown_before.is_empty() {
        format!("{what} resolves from {winner_text}")
    } else {
        format!(
            "{what} resolves from {} if it exists there, else from {winner_text}",
            unknown_before.join(", then ")
        )
    };
    let conditional = !unknown_before.is_empty();
    for (step, holds_secret) in &shadowed {
        let StepStatus::Defined { at, .. } = &step.status else {
            continue;
        };
        let places: Vec<String> = at.iter().map(ToString::to_string).collect();
        let secret_note = if *holds_secret {
            " and still holds a plain-text secret"
        } else {
            ""
        };
        verdict.push_str(&format!(
            "; the {} copy ({}) is never read{secret_note}",
            step.place,
            places.join(", ")
        ));
        problems.push(Problem {
            severity: if *holds_secret {
                Severity::Warning
            } else {
                Severity::Info
            },
            message: format!(
                "{what} is defined in the {} ({}) and earlier in the lookup order ({winner_text}): that copy is dead{secret_note}; delete it",
                step.place,
                places.join(", ")
            ),
            at: at.first().cloned(),
        });
    }
    if conditional
        && let StepStatus::Defined { at, holds_secret } = &winner.status
        && *holds_secret
    {
        let places: Vec<String> = at.iter().map(ToString::to_string).collect();
        problems.push(Problem {
            severity: Severity::Info,
            message: format!(
                "{what} is defined in the {} ({}) and may also exist in {}: if it does, the {} copy is dead and still holds a plain-text secret",
                winner.place,
                places.join(", "),
                unknown_before.join(", "),
                winner.place
            ),
            at: at.first().cloned(),
        });
    }
    verdict
}

fn describe(step: &Step) -> String {
    match &step.status {
        StepStatus::Defined { at, .. } => {
            let places: Vec<String> = at.iter().map(ToString::to_string).collect();
            if step.place == "environment" {
                format!(
                    "the environment (`{}` at {})",
                    step.looks_up,
                    places.join(", ")
                )
            } else {
                format!("the {} ({})", step.place, places.join(", "))
            }
        }
        _ if step.looks_up.is_empty() => step.place.clone(),
        _ if step.place == "metastore" => "metastore".to_owned(),
        _ => format!("{} `{}`", step.place, step.looks_up),
    }
}
