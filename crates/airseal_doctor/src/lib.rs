//! `airseal doctor`: reads an Airflow project's secrets-backend configuration from airflow.cfg,
//! env and compose files, Kubernetes manifests and both Helm charts' values (`[secrets] backend`
//! / `backend_kwargs`, their `AIRFLOW__SECRETS__*` forms and per-key `BACKEND_KWARG__<KEY>`
//! variables, Airflow 3's `[workers] secrets_backend`), checks it (known class, kwargs valid for
//! the backend's provider, types, `null` prefixes, lookup patterns, credentials inside, `_secret`
//! options), and explains for every connection id and Variable key the project uses or defines
//! where Airflow will resolve it from, in lookup order, and which definitions are shadowed.
//!
//! Values are read (kwargs must be parsed) but never printed: the report names options, files,
//! lines, kwarg names and secret *names*, never a value.

mod backends;
mod check;
mod gather;
mod lookup;
mod render;

use std::path::PathBuf;

use serde::Serialize;

pub use backends::Kind;
pub use render::human;

/// Where something is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One thing the doctor has to say about the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Location>,
}

/// Which components a backend setting serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `[secrets] backend`: scheduler, API server / webserver, DAG processor, triggerer; and
    /// Airflow 2 workers.
    Servers,
    /// Airflow 3 `[workers] secrets_backend`: the task runner.
    Workers,
}

/// The effective backend of one role.
#[derive(Debug, Clone, Serialize)]
pub struct BackendSetting {
    pub role: Role,
    pub class: String,
    pub at: Location,
    /// A display name when the class is known (`AWS Secrets Manager`).
    pub known_as: Option<String>,
    /// Names of the kwargs set (values are never reported).
    pub kwargs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kwargs_at: Option<Location>,
    /// For each kind, the name pattern (`airflow/connections/<id>`), `None` when that kind is
    /// not looked up in this backend.
    pub names: Vec<(Kind, Option<String>)>,
    #[serde(skip)]
    pub(crate) kwarg_values: serde_json::Map<String, serde_json::Value>,
}

impl BackendSetting {
    /// The kwargs' values, for `airseal migrate --config` (never printed by the doctor).
    pub fn kwarg_values(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.kwarg_values
    }
}

/// Where one place in the lookup order stands for an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Defined here, at these places.
    Defined {
        at: Vec<Location>,
        holds_secret: bool,
    },
    NotDefined,
    /// airseal cannot see this store (a cloud secrets manager, the metadata database).
    Unknown,
    /// This place is not consulted for this id (kind switched off, lookup pattern).
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `AWS Secrets Manager`, `environment`, `metastore`, `Execution API`.
    pub place: String,
    /// `airflow/connections/warehouse`, `AIRFLOW_CONN_WAREHOUSE`.
    pub looks_up: String,
    #[serde(flatten)]
    pub status: StepStatus,
}

/// One connection id or Variable key, explained.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub kind: Kind,
    pub id: String,
    pub used_at: Vec<Location>,
    /// Servers' lookup order (and Airflow 2 workers').
    pub lookup: Vec<Step>,
    /// Airflow 3 workers' order, when `[workers] secrets_backend` is set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub worker_lookup: Vec<Step>,
    /// One sentence: where it resolves from and what is shadowed.
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub backends: Vec<BackendSetting>,
    pub problems: Vec<Problem>,
    pub resolutions: Vec<Resolution>,
    pub files_read: usize,
    pub warnings: Vec<String>,
    /// Some `<option>_secret` setting reads from the backend's config prefix.
    pub uses_config_secrets: bool,
}

/// An AWS backend, for `airseal iam policy --from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsBackend {
    SecretsManager,
    ParameterStore,
}

impl Diagnosis {
    /// Exit status 1 when an error-severity problem was found.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// The AWS backend the servers read from and the prefixes the reader role needs: every
    /// kind looked up (config only when a `_secret` option uses it), from the configured
    /// kwargs. `None` when the backend is not an AWS one.
    pub fn aws_reader_scope(&self) -> Option<(AwsBackend, Vec<String>)> {
        let mut found: Option<AwsBackend> = None;
        let mut prefixes: Vec<String> = Vec::new();
        for backend in &self.backends {
            let kind = match backend.class.rsplit('.').next() {
                Some("SecretsManagerBackend") => AwsBackend::SecretsManager,
                Some("SystemsManagerParameterStoreBackend") => AwsBackend::ParameterStore,
                _ => continue,
            };
            if found.is_some_and(|f| f != kind) {
                continue;
            }
            found = Some(kind);
            for (which, name) in &backend.names {
                let Some(name) = name else { continue };
                if *which == Kind::Config && !self.uses_config_secrets {
                    continue;
                }
                let prefix = name
                    .trim_end_matches("<id>")
                    .trim_end_matches("<key>")
                    .trim_end_matches('/')
                    .to_owned();
                if !prefix.is_empty() && !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            }
        }
        found.map(|backend| (backend, prefixes))
    }
}

/// Reads the project under `roots` and diagnoses it.
pub fn diagnose(roots: &[PathBuf], respect_ignore: bool) -> Diagnosis {
    let project = gather::read(roots, respect_ignore);
    let mut problems = Vec::new();
    let backends = check::backends(&project, &mut problems);
    let uses_config_secrets = check::secret_options(&project, &backends, &mut problems);
    let resolutions = lookup::resolutions(&project, &backends, &mut problems);
    problems.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.at.cmp(&b.at)));
    Diagnosis {
        backends,
        problems,
        resolutions,
        files_read: project.files.len(),
        warnings: project.warnings,
        uses_config_secrets,
    }
}
