//! `airseal helm externalize | post-render | lint` end to end: outputs written, the merged
//! values scanned clean, exit codes, canaries that must never reach any output or file, the
//! post-renderer contract (stdin copied to stdout byte for byte, verdict in the exit code and
//! on stderr) on representative rendered manifests of both charts, and the Helm plugin files.
use std::path::{Path, PathBuf};

use crate::common::{airseal, json, random_string, stderr, stdout, write};

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo().join("crates/airseal/tests/fixtures/helm").join(name)
}

fn shared() -> PathBuf {
    repo().join("../shared")
}

/// Values of each chart with random secrets at several keys.
fn canary_values(dir: &Path) -> (PathBuf, PathBuf, Vec<String>) {
    let c: Vec<String> = (0..6).map(|_| random_string(ALPHABET, 24)).collect();
    let user_community = write(
        dir,
        "uc/values.yaml",
        format!(
            "airflow:\n  legacyCommands: false\n  fernetKey: \"{}\"\n  connections:\n    - id: warehouse\n      type: postgres\n      host: db.internal\n      login: etl\n      password: \"{}\"\n  variables:\n    - key: api_token\n      value: \"{}\"\nexternalDatabase:\n  host: db.internal\n  password: \"{}\"\npostgresql:\n  enabled: false\n",
            c[0], c[1], c[2], c[3]
        ),
    );
    let official = write(
        dir,
        "official/values.yaml",
        format!(
            "defaultAirflowRepository: apache/airflow\nfernetKey: \"{}\"\ndata:\n  metadataConnection:\n    user: airflow\n    pass: \"{}\"\n    host: db.internal\n    db: airflow\npostgresql:\n  enabled: false\n",
            c[4], c[5]
        ),
    );
    (user_community, official, c)
}

fn assert_no_canary(canaries: &[String], text: &str, what: &str) {
    for canary in canaries {
        assert!(
            !text.contains(canary.as_str()),
            "a secret value reached {what}"
        );
    }
}

fn all_files(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
    }
    text
}

#[test]
fn externalize_plan_only_writes_the_switch_and_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let (user_community, official, canaries) = canary_values(dir.path());
    for (values, provider, method) in [
        (&user_community, "aws-secrets-manager", "external-secrets"),
        (&user_community, "vault", "csi"),
        (&official, "aws-ssm", "external-secrets"),
        (&official, "gcp-secret-manager", "csi"),
        (&official, "azure-key-vault", "external-secrets"),
    ] {
        let out = dir.path().join(format!("out-{provider}-{method}"));
        let output = airseal()
            .args(["helm", "externalize"])
            .arg(values)
            .args([
                "--provider",
                provider,
                "--method",
                method,
                "--plan-only",
                "--region",
                "eu-west-1",
                "--format",
                "json",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let text = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{provider} {method}: {text}{}",
            stderr(&output)
        );
        assert_no_canary(&canaries, &text, "stdout");
        assert_no_canary(&canaries, &stderr(&output), "stderr");
        assert_no_canary(&canaries, &all_files(&out), "the written files");
        let report = json(&output);
        assert_eq!(
            report["left_after_merge"],
            serde_json::json!([]),
            "{provider}"
        );
        assert!(report["slots"].as_array().unwrap().len() >= 2);
        assert!(out.join("values-airseal.yaml").exists());
        assert!(out.join("migration-plan.json").exists());
        let manifests = if method == "csi" {
            "secret-provider-class.yaml"
        } else {
            "external-secrets.yaml"
        };
        assert!(out.join(manifests).exists(), "{manifests}");
    }
}

#[test]
fn externalize_checks_the_official_values_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (_, official, _) = canary_values(dir.path());
    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&official)
        .args([
            "--provider",
            "aws-secrets-manager",
            "--plan-only",
            "--region",
            "eu-west-1",
            "--format",
            "json",
            "--values-schema",
        ])
        .arg(shared().join("schemas/airflow-chart-values.schema.json"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(json(&output)["schema_errors"], serde_json::json!([]));
}

#[test]
fn externalize_needs_plan_only_where_airseal_has_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let (user_community, _, canaries) = canary_values(dir.path());
    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&user_community)
        .args(["--provider", "azure-key-vault", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--plan-only"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing written on a fatal error"
    );
    assert_no_canary(&canaries, &stderr(&output), "stderr");
}

#[test]
fn externalize_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let secret = random_string(ALPHABET, 20);
    let broken = write(
        dir.path(),
        "broken.yaml",
        format!("airflow:\n  fernetKey: [\"{secret}\"\n  x: 1\n"),
    );
    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&broken)
        .args(["--provider", "vault", "--plan-only"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("broken.yaml") && error.contains("line"),
        "{error}"
    );
    assert!(!error.contains(&secret), "the error quotes no value");

    let unknown = write(dir.path(), "other.yaml", "foo: 1\n");
    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&unknown)
        .args(["--provider", "vault", "--plan-only"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--chart"), "{}", stderr(&output));

    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&unknown)
        .args(["--provider", "keepass"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--provider keepass"));

    let references = repo().join("crates/airseal_helm/tests/fixtures/malformed-references.yaml");
    let output = airseal()
        .args(["helm", "externalize"])
        .arg(&references)
        .args([
            "--provider",
            "aws-secrets-manager",
            "--plan-only",
            "--region",
            "eu-west-1",
            "--out",
        ])
        .arg(dir.path().join("refs"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "malformed references are reported, exit 1"
    );
    let text = stdout(&output);
    assert!(
        text.contains("airflow.fernetKey: unknown provider `keepass`"),
        "{text}"
    );
    assert!(text.contains("externalDatabase.password:"), "{text}");
}

/// Every values file of the shared corpus: what is left in plain text after the merge is only
/// what airseal reported it could not externalize.
#[test]
fn corpus_merge_leaves_only_reported_keys() {
    let dir = tempfile::tempdir().unwrap();
    for chart in ["official", "user-community"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(shared().join("corpus/helm").join(chart))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let output = airseal()
                .args(["helm", "externalize"])
                .arg(&file)
                .args([
                    "--chart",
                    chart,
                    "--provider",
                    "aws-secrets-manager",
                    "--plan-only",
                    "--region",
                    "eu-west-1",
                    "--format",
                    "json",
                    "--out",
                ])
                .arg(dir.path().join("out"))
                .output()
                .unwrap();
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "{}: {}",
                file.display(),
                stderr(&output)
            );
            let report = json(&output);
            let lines: Vec<u64> = report["left_after_merge"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["line"].as_u64().unwrap())
                .collect();
            let problems = report["problems"].as_array().unwrap();
            assert!(
                lines.is_empty() || !problems.is_empty(),
                "{}: secrets left after the merge that were not reported: {}",
                file.display(),
                report["left_after_merge"]
            );
            assert_eq!(
                output.status.code() == Some(0),
                lines.is_empty() && problems.is_empty(),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn post_render_copies_stdin_and_fails_on_plain_secrets() {
    for (file, expected) in [
        ("official-plain.yaml", 1),
        ("official-externalized.yaml", 0),
        ("user-community-plain.yaml", 1),
        ("user-community-externalized.yaml", 0),
    ] {
        let input = std::fs::read(fixture(file)).unwrap();
        let report = tempfile::NamedTempFile::new().unwrap();
        let output = airseal()
            .args(["helm", "post-render", "--report"])
            .arg(report.path())
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert_eq!(
            output.stdout, input,
            "{file}: stdout is stdin, byte for byte"
        );
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{file}: {}",
            stderr(&output)
        );
        let text = stderr(&output);
        if expected == 1 {
            assert!(text.contains("the install is refused"), "{text}");
            let saved = std::fs::read_to_string(report.path()).unwrap();
            assert!(saved.contains("KUB001"), "the report file holds the report");
            for secret in [
                "Smtp-Pl4in-Pass-77x",
                "Ext3rnal-Db-Pl4in-Pass",
                "Rep0rt-Pl4in-Pass",
            ] {
                assert!(
                    !text.contains(secret) && !saved.contains(secret),
                    "{file}: a value in the report"
                );
            }
        } else {
            assert!(text.is_empty(), "{file}: {text}");
        }
    }
    // --fail-on: only critical findings fail the install.
    let input = std::fs::read(fixture("official-plain.yaml")).unwrap();
    let output = airseal()
        .args(["helm", "post-render", "--fail-on", "critical"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Empty input passes through as empty output.
    let output = airseal()
        .args(["helm", "post-render"])
        .write_stdin(Vec::new())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn helm_plugin_files_run_airseal_as_helm_would() {
    let cli: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(repo().join("helm-plugin/airseal/plugin.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(cli["name"], "airseal");
    assert_eq!(
        cli["platformCommand"][0]["command"],
        "$HELM_PLUGIN_DIR/airseal-helm.sh"
    );
    let post: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(repo().join("helm-plugin/airseal-post-render/plugin.yaml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(post["apiVersion"], "v1");
    assert_eq!(post["type"], "postrenderer/v1");
    assert_eq!(post["runtime"], "subprocess");
    assert_eq!(
        post["runtimeConfig"]["platformCommand"][0]["args"][0],
        "post-render"
    );
    // Each plugin is installed on its own, so each carries the wrapper; they must not drift.
    assert_eq!(
        std::fs::read(repo().join("helm-plugin/airseal/airseal-helm.sh")).unwrap(),
        std::fs::read(repo().join("helm-plugin/airseal-post-render/airseal-helm.sh")).unwrap(),
    );

    // `helm airseal lint -f values.yaml`: Helm runs the command with the user's arguments and
    // HELM_PLUGIN_DIR set.
    let binary = assert_cmd::cargo::cargo_bin("airseal");
    let dir = tempfile::tempdir().unwrap();
    let (user_community, _, canaries) = canary_values(dir.path());
    let plugin = repo().join("helm-plugin/airseal");
    let output = std::process::Command::new(plugin.join("airseal-helm.sh"))
        .args(["lint", "-f"])
        .arg(&user_community)
        .env("HELM_PLUGIN_DIR", &plugin)
        .env("AIRSEAL_BIN", &binary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("HLM001"), "{}", stdout(&output));
    assert_no_canary(&canaries, &stdout(&output), "lint output");
    // The post-renderer plugin, as Helm 4 runs it: `${HELM_PLUGIN_DIR}/airseal-helm.sh post-render`.
    let plugin = repo().join("helm-plugin/airseal-post-render");
    let input = std::fs::read(fixture("official-externalized.yaml")).unwrap();
    let mut child = std::process::Command::new(plugin.join("airseal-helm.sh"))
        .arg("post-render")
        .env("HELM_PLUGIN_DIR", &plugin)
        .env("AIRSEAL_BIN", &binary)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&input).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, input);
}
