//! ## What it does
//! Finds secrets put into a task's process environment: a `KubernetesPodOperator`'s (or
//! `GKEStartPodOperator`'s, `EksPodOperator`'s, `@task.kubernetes`'s) `env_vars`, a
//! `BashOperator`'s `env`, a `DockerOperator`'s or `SSHOperator`'s `environment`, and
//! `k8s.V1EnvVar(name=..., value=...)` — when the value is a literal under a secret-like name, a
//! secret read from `os.environ`, a Variable, a connection's password, or a template that
//! renders one.
//! ## Why is this bad?
//! These arguments are templated fields: their rendered value is stored in the metadata database
//! and shown in the web UI. A pod's environment is also part of the pod spec, readable with
//! `kubectl get pod -o yaml` by anyone with read access to the namespace, and kept in the
//! Kubernetes API's audit log. Airflow never masks these values.
//! ## Example
//! ```python
//! KubernetesPodOperator(
//!     task_id="transform",
//!     image="etl:1.4",
//!     env_vars={"DB_PASSWORD": os.environ["DB_PASSWORD"]},
//! )
//! ```
//! ## How to fix
//! For pods, mount a Kubernetes Secret: `secrets=[Secret("env", "DB_PASSWORD", "warehouse-db",
//! "password")]` (`airflow.providers.cncf.kubernetes.secret.Secret`), with the Secret itself
//! synced from the secrets backend (External Secrets Operator). For `DockerOperator`, use
//! `private_environment=` (neither templated nor shown). For `BashOperator` and `SSHOperator`,
//! read the connection in a `@task` with its hook instead of exporting the password.

use ruff_python_ast::{Expr, ExprCall};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::names::is_sensitive_name;
use crate::registry::RuleSpec;
use crate::semantic::{self, last_segment};
use crate::strings::{ValueKind, classify_value, static_string};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG010",
    name: "secret-in-task-environment",
    summary: "Secret passed in a task's environment variables (env_vars, env, environment)",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(45),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow-providers-cncf-kubernetes/stable/operators.html",
    ],
    source: include_str!("dag010_secret_in_task_environment.rs"),
};

/// The environment argument of a call, and the fix that fits it.
fn environment_argument(
    checker: &Checker<'_>,
    call: &ExprCall,
) -> Option<(&'static str, &'static str)> {
    let qualified = checker.imports.qualified(&call.func)?;
    let last = last_segment(&qualified);
    const POD: &str = "Mount a Kubernetes Secret instead: `secrets=[Secret(\"env\", \"<NAME>\", \"<k8s-secret>\", \"<key>\")]` (airflow.providers.cncf.kubernetes.secret.Secret), synced from the secrets backend.";
    const DOCKER: &str = "Use `private_environment=` (not templated, not shown in the UI) with the value read from a connection at run time.";
    const SHELL: &str = "Read the connection with its hook in a `@task` instead of exporting the secret to a shell; the rendered `env` is stored and shown in the UI.";
    match last {
        "KubernetesPodOperator"
        | "GKEStartPodOperator"
        | "EksPodOperator"
        | "KubernetesJobOperator" => Some(("env_vars", POD)),
        "DockerOperator" | "DockerSwarmOperator" => Some(("environment", DOCKER)),
        "SSHOperator" => Some(("environment", SHELL)),
        "BashOperator" => Some(("env", SHELL)),
        _ => {
            // @task.kubernetes(env_vars=...), @task.docker(environment=...), @task.bash(env=...)
            let base = qualified
                .strip_prefix("airflow.decorators.")
                .or_else(|| qualified.strip_prefix("airflow.sdk."))
                .unwrap_or(&qualified);
            match base {
                "task.kubernetes" => Some(("env_vars", POD)),
                "task.docker" => Some(("environment", DOCKER)),
                "task.bash" => Some(("env", SHELL)),
                _ => None,
            }
        }
    }
}

pub fn check_call<'a>(checker: &mut Checker<'a>, call: &'a ExprCall) {
    let last = checker.imports.last_name(&call.func).unwrap_or_default();
    let candidate = last == "V1EnvVar"
        || last.ends_with("Operator")
        || matches!(last, "kubernetes" | "docker" | "bash");
    if !candidate {
        return;
    }
    let qualified = checker.imports.qualified(&call.func).unwrap_or_default();
    if last_segment(&qualified) == "V1EnvVar" {
        if let (Some(name), Some(value)) = (
            crate::rules::argument(call, 0, "name").and_then(static_string),
            crate::rules::argument(call, 1, "value"),
        ) {
            const FIX: &str = "Use `value_from=V1EnvVarSource(secret_key_ref=V1SecretKeySelector(name=..., key=...))`, or the operator's `secrets=[Secret(\"env\", ...)]`.";
            check_entry(checker, "V1EnvVar", &name, value, FIX);
        }
        return;
    }
    let Some((argument, fix)) = environment_argument(checker, call) else {
        return;
    };
    let Some(Expr::Dict(dict)) = semantic::keyword(call, argument) else {
        return;
    };
    let operator = last_segment(&qualified);
    let what = if operator.chars().next().is_some_and(char::is_uppercase) {
        format!("{operator} `{argument}`")
    } else {
        format!("`@task.{operator}` `{argument}`")
    };
    for item in &dict.items {
        let Some(name) = item.key.as_ref().and_then(static_string) else {
            continue;
        };
        check_entry(checker, &what, &name, &item.value, fix);
    }
}

fn check_entry<'a>(checker: &mut Checker<'a>, what: &str, name: &str, value: &'a Expr, fix: &str) {
    let sensitive = is_sensitive_name(name);
    if let Some(literal) = static_string(value) {
        let template_secret = literal.contains("{{")
            && (literal.contains("conn.")
                || literal.contains("var.value")
                || literal.contains("var.json"))
            && (sensitive || literal.contains(".password") || literal.contains("get_uri"));
        if template_secret {
            checker.report(
                &RULE,
                expr_span(value),
                format!("`{name}` in {what} renders a secret from a template"),
                fix.to_owned(),
                false,
            );
        } else if sensitive && classify_value(&literal) == ValueKind::Credential {
            checker.report(
                &RULE,
                expr_span(value),
                format!("Hardcoded secret `{name}` in {what}"),
                fix.to_owned(),
                true,
            );
        }
        return;
    }
    if let Some((source, at)) = checker.secret_source(value) {
        let secret = source.is_secret()
            || (sensitive && matches!(source, crate::checker::SecretSource::Variable { .. }));
        if secret {
            checker.report(
                &RULE,
                expr_span(at),
                format!("`{name}` in {what} carries {}", source.describe()),
                fix.to_owned(),
                false,
            );
        }
    }
}
