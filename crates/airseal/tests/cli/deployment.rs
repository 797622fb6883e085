//! Deployment configuration through the CLI: `env_file:` targets read as env files, `--chart`
//! forcing the chart of a values file, and YAML bombs answered with a warning in bounded time.
use crate::common::{airseal, json, stderr, write};

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

const FERNET: &str = "AIRFLOW__CORE__FERNET_KEY=b1Yq0xN3c2VXoJ8kT5fRzW6mP9aLdE4hG7iU2oS1vCQ=\n";

#[test]
fn compose_env_file_targets_are_read_as_env_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy/airflow-secrets", FERNET);
    write(dir.path(), "unrelated-settings", FERNET);
    let scan = || {
        json(
            &airseal()
                .args(["scan", "--format", "json", "--select", "CFG"])
                .arg(dir.path())
                .output()
                .unwrap(),
        )
    };
    // Without a compose file naming it, `airflow-secrets` is not an env file.
    assert!(codes(&scan()).is_empty());
    write(
        dir.path(),
        "docker-compose.yaml",
        "services:\n  scheduler:\n    image: apache/airflow:3.1.3\n    env_file:\n      - path: deploy/airflow-secrets\n        required: true\n",
    );
    let report = scan();
    assert_eq!(codes(&report), ["CFG001"], "{report:#}");
    assert_eq!(report["findings"][0]["path"], "deploy/airflow-secrets");
}

#[test]
fn chart_flag_reads_an_unrecognised_values_file_as_that_chart() {
    let dir = tempfile::tempdir().unwrap();
    // Too little shape to recognise either chart.
    write(
        dir.path(),
        "values-prod.yaml",
        "jwtSecret: \"9c1f0e7a2b4d6c8e0f1a3b5c7d9e1f2a\"\n",
    );
    let scan = |extra: &[&str]| {
        json(
            &airseal()
                .args(["scan", "--format", "json", "--select", "HLM"])
                .args(extra)
                .arg(dir.path())
                .output()
                .unwrap(),
        )
    };
    assert!(codes(&scan(&[])).is_empty());
    let report = scan(&["--chart", "official"]);
    assert_eq!(codes(&report), ["HLM001"], "{report:#}");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`jwtSecret`")
    );
    assert!(codes(&scan(&["--chart", "user-community"])).is_empty());
}

#[test]
fn a_billion_laughs_values_file_is_a_warning_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "airflow:\n  fernetKey: \"b1Yq0xN3c2VXoJ8kT5fRzW6mP9aLdE4hG7iU2oS1vCQ=\"\n  legacyCommands: false\nx0: &x0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..12 {
        let refs = vec![format!("*x{}", i - 1); 9].join(",");
        text.push_str(&format!("x{i}: &x{i} [{refs}]\n"));
    }
    write(dir.path(), "values.yaml", &text);
    let started = std::time::Instant::now();
    let output = airseal()
        .args(["scan", "--format", "json", "--select", "HLM"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(started.elapsed().as_secs() < 1, "{:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("values.yaml") && stderr(&output).contains("YAML bomb"),
        "{}",
        stderr(&output)
    );
    // The rest of the file is still checked.
    assert_eq!(codes(&json(&output)), ["HLM001"]);
}

#[test]
fn non_utf8_configuration_is_a_warning_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "airflow.cfg",
        b"[core]\nfernet_key = b1Yq0xN3c2VXoJ8kT5fRzW6mP9aLdE4hG7iU2oS1vCQ=\ndags_folder = /opt/\xff\xfe\n",
    );
    let output = airseal().args(["scan"]).arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("airflow.cfg") && err.contains("UTF-8"),
        "{err}"
    );
}

/// A small project: an SSM backend with a custom prefix and a null Variables prefix in compose,
/// a connection defined twice, a DAG using it.
fn doctor_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yaml",
        "services:\n  scheduler:\n    image: apache/airflow:3.1.3\n    environment:\n      AIRFLOW__SECRETS__BACKEND: airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend\n      AIRFLOW__SECRETS__BACKEND_KWARGS: '{\"connections_prefix\": \"/prod/airflow/connections\", \"variables_prefix\": null}'\n      AIRFLOW_CONN_WAREHOUSE: postgres://etl:Wh-Pa55w0rd-9@warehouse/dw\n",
    );
    write(
        dir.path(),
        "dags/load.py",
        "from airflow.providers.postgres.hooks.postgres import PostgresHook\nPostgresHook(postgres_conn_id=\"warehouse\")\n",
    );
    dir
}

#[test]
fn doctor_explains_the_lookup_in_json_and_never_prints_a_value() {
    let dir = doctor_project();
    let output = airseal()
        .args(["doctor", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = crate::common::stdout(&output);
    assert!(!text.contains("Wh-Pa55w0rd-9"), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let warehouse = &report["resolutions"][0];
    assert_eq!(warehouse["id"], "warehouse");
    assert_eq!(warehouse["used_at"][0]["path"], "dags/load.py");
    assert_eq!(
        warehouse["lookup"][0]["looks_up"],
        "/prod/airflow/connections/warehouse"
    );
    assert_eq!(warehouse["lookup"][1]["status"], "defined");
}

#[test]
fn doctor_exits_1_on_errors_and_2_without_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "airflow.cfg",
        "[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\nbackend_kwargs = {\"url\": \"https://vault:8200\", \"kv_engine_version\": \"two\", \"bogus\": 1, \"token\": \"hvs.CAESIJxq0d8fQkzR\"}\n",
    );
    let output = airseal().args(["doctor"]).arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = crate::common::stdout(&output);
    assert!(
        text.contains("`kv_engine_version` is a JSON string"),
        "{text}"
    );
    assert!(text.contains("`token` holds a credential"), "{text}");
    assert!(!text.contains("hvs.CAESIJxq0d8fQkzR"), "{text}");
    let missing = airseal()
        .args(["doctor", "/nonexistent/airseal-doctor"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn iam_policy_from_the_project_uses_its_configured_prefixes() {
    let dir = doctor_project();
    let output = airseal()
        .args([
            "iam",
            "policy",
            "--region",
            "eu-west-1",
            "--account",
            "123456789012",
            "--from",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let policy: serde_json::Value = serde_json::from_str(&crate::common::stdout(&output)).unwrap();
    assert_eq!(
        policy["Statement"][0]["Resource"],
        serde_json::json!([
            "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/airflow/connections/*"
        ])
    );
    assert_eq!(
        policy["Statement"][0]["Action"],
        serde_json::json!(["ssm:GetParameter"])
    );
}

#[test]
fn iam_lint_from_the_project_reports_a_prefix_the_policy_misses() {
    let dir = doctor_project();
    let policy = write(
        dir.path(),
        "iam/reader.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ssm:GetParameter\", \"Resource\": \"arn:aws:ssm:eu-west-1:123456789012:parameter/airflow/connections/*\"}]}\n",
    );
    let output = airseal()
        .args(["iam", "lint", "--format", "json", "--from"])
        .arg(dir.path())
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(codes(&report), ["IAM008"], "{report:#}");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/prod/airflow/connections")
    );
    // Without --from the same policy passes.
    let plain = airseal()
        .args(["iam", "lint"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
}
