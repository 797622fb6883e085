//! The human report of a [`Diagnosis`](crate::Diagnosis).

use std::fmt::Write;

use crate::{Diagnosis, Kind, Role, Severity, StepStatus};

/// The report as text for a terminal.
pub fn human(diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Secrets backend");
    if diagnosis.backends.is_empty() {
        let _ = writeln!(
            out,
            "  none configured: connections and Variables come from the environment, then the metadata database"
        );
    }
    for backend in &diagnosis.backends {
        let role = match backend.role {
            Role::Servers => "servers",
            Role::Workers => "workers (Airflow 3)",
        };
        let known = backend
            .known_as
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {role}: {}{known}", backend.class);
        let _ = writeln!(out, "    set at {}", backend.at);
        if !backend.kwargs.is_empty() {
            let at = backend
                .kwargs_at
                .as_ref()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            let _ = writeln!(out, "    kwargs{at}: {}", backend.kwargs.join(", "));
        }
        for (kind, name) in &backend.names {
            match name {
                Some(name) => {
                    let _ = writeln!(out, "    {} → {name}", kind.name());
                }
                None if backend.known_as.is_some() => {
                    let _ = writeln!(out, "    {} → not looked up", kind.name());
                }
                None => {}
            }
        }
    }
    if !diagnosis.backends.iter().any(|b| b.role == Role::Workers) && !diagnosis.backends.is_empty()
    {
        let _ = writeln!(
            out,
            "  workers: as the servers (Airflow 3 `[workers] secrets_backend` is not set)"
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Problems");
    if diagnosis.problems.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for problem in &diagnosis.problems {
        let severity = match problem.severity {
            Severity::Error => "error  ",
            Severity::Warning => "warning",
            Severity::Info => "info   ",
        };
        let at = problem
            .at
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let _ = writeln!(out, "  {severity} {at}{}", problem.message);
    }
    for kind in [Kind::Connections, Kind::Variables] {
        let of_kind: Vec<_> = diagnosis
            .resolutions
            .iter()
            .filter(|r| r.kind == kind)
            .collect();
        let _ = writeln!(out);
        let title = if kind == Kind::Connections {
            "Connections"
        } else {
            "Variables"
        };
        let _ = writeln!(out, "{title} ({})", of_kind.len());
        for resolution in of_kind {
            let used: Vec<String> = resolution.used_at.iter().map(ToString::to_string).collect();
            let used = if used.is_empty() {
                "not used in DAG code".to_owned()
            } else {
                format!("used at {}", used.join(", "))
            };
            let _ = writeln!(out, "  {} — {used}", resolution.id);
            for (index, step) in resolution.lookup.iter().enumerate() {
                let _ = writeln!(out, "    {}. {}", index + 1, step_text(step));
            }
            if !resolution.worker_lookup.is_empty() {
                let _ = writeln!(out, "    Airflow 3 workers:");
                for (index, step) in resolution.worker_lookup.iter().enumerate() {
                    let _ = writeln!(out, "    {}. {}", index + 1, step_text(step));
                }
            }
            let _ = writeln!(out, "    → {}", resolution.verdict);
        }
    }
    if !diagnosis.warnings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Not read");
        for warning in &diagnosis.warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
    out
}

fn step_text(step: &crate::Step) -> String {
    let target = if step.looks_up.is_empty() {
        step.place.clone()
    } else {
        format!("{} {}", step.place, step.looks_up)
    };
    match &step.status {
        StepStatus::Defined { at, holds_secret } => {
            let places: Vec<String> = at.iter().map(ToString::to_string).collect();
            let secret = if *holds_secret {
                ", value in plain text"
            } else {
                ""
            };
            format!("{target}: defined at {}{secret}", places.join(", "))
        }
        StepStatus::NotDefined => format!("{target}: not defined"),
        StepStatus::Unknown => format!("{target}: not visible to airseal"),
        StepStatus::Skipped { reason } => format!("{target}: skipped ({reason})"),
    }
}
