//! `airseal rotate schedule`: what runs `airseal rotate run --due` on a schedule — an Airflow
//! DAG (Airflow rotating the credentials it uses itself) or a Kubernetes CronJob.

/// What the scheduled command is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    /// The `airseal` executable as the worker or the container finds it.
    pub airseal: String,
    /// Arguments after `airseal rotate run --due` (`--to`, `--strategy`, ...).
    pub run_args: Vec<String>,
    /// Cron expression or preset (`@daily`).
    pub schedule: String,
    /// DAG id / CronJob name.
    pub name: String,
    /// Container image (CronJob only).
    pub image: Option<String>,
    /// Kubernetes service account, whose IAM role (IRSA, EKS Pod Identity) may rotate.
    pub service_account: String,
    pub namespace: Option<String>,
}

/// POSIX shell quoting: bare when safe, else single-quoted.
fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A Python string literal (JSON's escaping is valid Python).
fn python_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn command_words(spec: &ScheduleSpec) -> Vec<String> {
    let mut words = vec![
        spec.airseal.clone(),
        "rotate".to_owned(),
        "run".to_owned(),
        "--due".to_owned(),
    ];
    words.extend(spec.run_args.iter().cloned());
    if !spec.run_args.iter().any(|a| a == "--format") {
        words.extend(["--format".to_owned(), "json".to_owned()]);
    }
    words
}

/// An Airflow DAG file (Airflow 2.4+ and 3): one task, one active run at a time, no catch-up.
/// The command's exit status fails the task when a rotation fails, so Airflow's own alerting
/// (email, callbacks) reports it.
pub fn airflow_dag(spec: &ScheduleSpec) -> String {
    let command: Vec<String> = command_words(spec).iter().map(|w| shell_quote(w)).collect();
    // A trailing space stops BashOperator from reading a command ending in `.sh` as a
    // template file; `{{` never appears since shell_quote leaves braces quoted as text.
    let bash_command = format!("{} ", command.join(" "));
    format!(
        r#""""Rotates the database credentials behind Airflow connections when their rotation policy
says they are due, with airseal. Written by `airseal rotate schedule --emit airflow-dag`.

The task runs on a worker: the worker needs the `airseal` executable and credentials that may
read and write the secrets and alter the database users (see `airseal iam policy`).
"""

import pendulum

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

with DAG(
    dag_id={dag_id},
    description="Rotate due connection credentials (airseal rotate run --due)",
    schedule={schedule},
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["airseal", "security", "rotation"],
    default_args={{"retries": 0, "owner": "platform-security"}},
) as dag:
    BashOperator(
        task_id="rotate_due",
        bash_command={bash_command},
        # Never run two rotations of the same secrets at once.
        max_active_tis_per_dag=1,
        execution_timeout=pendulum.duration(minutes=30),
    )
"#,
        dag_id = python_string(&spec.name),
        schedule = python_string(&spec.schedule),
        bash_command = python_string(&bash_command),
    )
}

/// A YAML scalar in double quotes (JSON's escaping is valid YAML).
fn yaml_string(text: &str) -> String {
    python_string(text)
}

/// A Kubernetes CronJob (batch/v1): no overlapping runs, no retries of a failed rotation (a
/// re-run resumes it anyway), non-root, read-only root filesystem, every capability dropped.
pub fn k8s_cronjob(spec: &ScheduleSpec) -> Result<String, String> {
    let Some(image) = &spec.image else {
        return Err(
            "--emit k8s-cronjob needs --image (an image with the airseal executable)".to_owned(),
        );
    };
    let mut words = command_words(spec);
    words.remove(0);
    let args: Vec<String> = words.iter().map(|w| yaml_string(w)).collect();
    let namespace = spec
        .namespace
        .as_ref()
        .map(|n| format!("  namespace: {}\n", yaml_string(n)))
        .unwrap_or_default();
    Ok(format!(
        r#"# Rotates the database credentials behind Airflow connections when their rotation policy says
# they are due. Written by `airseal rotate schedule --emit k8s-cronjob`.
# The service account's cloud role (IRSA / EKS Pod Identity) must be allowed to read and write
# the secrets (see `airseal iam policy`). The audit trail is the secret's tags and this job's
# JSON output; the JSONL log under /var/lib/airseal lasts as long as the pod.
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
{namespace}  labels:
    app.kubernetes.io/name: airseal
    app.kubernetes.io/component: rotation
spec:
  schedule: {schedule}
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 3600
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 5
  jobTemplate:
    spec:
      backoffLimit: 0
      activeDeadlineSeconds: 1800
      template:
        metadata:
          labels:
            app.kubernetes.io/name: airseal
            app.kubernetes.io/component: rotation
        spec:
          serviceAccountName: {service_account}
          restartPolicy: Never
          automountServiceAccountToken: true
          securityContext:
            runAsNonRoot: true
            runAsUser: 65532
            runAsGroup: 65532
            seccompProfile:
              type: RuntimeDefault
          containers:
            - name: airseal
              image: {image}
              imagePullPolicy: IfNotPresent
              args: [{args}, "--audit-log", "/var/lib/airseal/rotation.jsonl"]
              securityContext:
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                capabilities:
                  drop: ["ALL"]
              resources:
                requests:
                  cpu: 50m
                  memory: 64Mi
                limits:
                  memory: 256Mi
              volumeMounts:
                - name: state
                  mountPath: /var/lib/airseal
          volumes:
            - name: state
              emptyDir: {{}}
"#,
        name = yaml_string(&spec.name),
        schedule = yaml_string(&spec.schedule),
        service_account = yaml_string(&spec.service_account),
        image = yaml_string(image),
        args = args.join(", "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ScheduleSpec {
        ScheduleSpec {
            airseal: "/usr/local/bin/airseal".to_owned(),
            run_args: vec![
                "--to".to_owned(),
                "aws-secrets-manager".to_owned(),
                "--backend-kwargs".to_owned(),
                r#"{"connections_prefix": "prod's"}"#.to_owned(),
            ],
            schedule: "17 3 * * *".to_owned(),
            name: "airseal-rotate".to_owned(),
            image: Some("registry.example/airseal:0.1".to_owned()),
            service_account: "airseal-rotation".to_owned(),
            namespace: Some("airflow".to_owned()),
        }
    }

    #[test]
    fn the_dag_quotes_the_command_for_the_shell_and_python() {
        let dag = airflow_dag(&spec());
        assert!(dag.contains(r#"bash_command="/usr/local/bin/airseal rotate run --due --to aws-secrets-manager --backend-kwargs '{\"connections_prefix\": \"prod'\\''s\"}' --format json ""#), "{dag}");
        assert!(dag.contains("max_active_runs=1"));
    }

    #[test]
    fn the_cronjob_needs_an_image_and_forbids_overlap() {
        let yaml = k8s_cronjob(&spec()).expect("emits");
        assert!(yaml.contains("concurrencyPolicy: Forbid"));
        assert!(
            yaml.contains(r#"args: ["rotate", "run", "--due", "--to""#),
            "{yaml}"
        );
        let mut no_image = spec();
        no_image.image = None;
        assert!(k8s_cronjob(&no_image).is_err());
    }
}
