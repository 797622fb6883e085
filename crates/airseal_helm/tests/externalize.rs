//! Golden files of the generated overlays and manifests (each chart × provider × method, on
//! the fixtures), CRD schema validation of every manifest, the official chart's values schema
//! on the merged values, and the overlay's promises — nothing but secrets changed, every
//! moved value gone from the merge — on every values file of the shared corpus.

use std::path::{Path, PathBuf};

use airseal_deployment::Chart;
use airseal_helm::{Externalized, Method, Options, Provider, ProviderSettings, values_tree};
use serde_json::Value as Json;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn options(chart: Chart, provider: Provider, method: Method, direct: bool) -> Options {
    Options {
        chart,
        provider,
        method,
        release: "airflow".to_owned(),
        namespace: Some("airflow".to_owned()),
        store: format!("airflow-{}", provider.code()),
        kwargs: provider.default_kwargs(),
        direct_backend: direct,
        settings: ProviderSettings {
            region: Some("eu-west-1".to_owned()),
            vault_addr: Some("https://vault.internal:8200".to_owned()),
            vault_role: Some("airflow".to_owned()),
            azure_vault_url: Some("https://airflow-kv.vault.azure.net".to_owned()),
            azure_tenant_id: Some("00000000-0000-0000-0000-000000000000".to_owned()),
            gcp_project: Some("airflow-prod".to_owned()),
            identity: Some(match provider {
                Provider::AzureKeyVault => "11111111-1111-1111-1111-111111111111".to_owned(),
                Provider::GcpSecretManager => {
                    "airflow@airflow-prod.iam.gserviceaccount.com".to_owned()
                }
                _ => "arn:aws:iam::123456789012:role/airflow-reader".to_owned(),
            }),
        },
        refresh_interval: "1h".to_owned(),
    }
}

fn run(
    path: &Path,
    chart: Option<Chart>,
    options_of: impl Fn(Chart) -> Options,
) -> (serde_yaml_ng::Value, Externalized) {
    let text = std::fs::read_to_string(path).expect("fixture");
    let display = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("values.yaml");
    let values = airseal_helm::parse_values(display, &text).expect("values parse");
    let chart = airseal_helm::chart_of(display, &text, chart).expect("a chart");
    let result = airseal_helm::externalize(display, &values, &options_of(chart));
    (values, result)
}

/// The CRD's OpenAPI schema of `kind` at `external-secrets.io/v1` / `secrets-store.csi.x-k8s.io/v1`.
fn crd_validator(kind: &str) -> Option<jsonschema::Validator> {
    let file = match kind {
        "ExternalSecret" => "external-secrets.io_externalsecrets.yaml",
        "SecretStore" => "external-secrets.io_secretstores.yaml",
        "SecretProviderClass" => "secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
        _ => return None,
    };
    let text = std::fs::read_to_string(shared().join("schemas/crds").join(file)).expect("CRD");
    let crd: Json = serde_yaml_ng::from_str(&text).expect("CRD YAML");
    let version = crd["spec"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "v1"))
        .expect("a v1 version");
    assert_eq!(version["served"], true, "{kind} v1 is served");
    Some(jsonschema::validator_for(&version["schema"]["openAPIV3Schema"]).expect("schema"))
}

fn assert_manifests_valid(result: &Externalized, context: &str) {
    for manifest in &result.manifests {
        let kind = manifest["kind"].as_str().unwrap_or_default();
        let Some(validator) = crd_validator(kind) else {
            assert_eq!(kind, "ServiceAccount", "{context}: unexpected kind");
            continue;
        };
        let errors: Vec<String> = validator
            .iter_errors(manifest)
            .map(|e| format!("{} {}", e.instance_path(), e))
            .collect();
        assert!(
            errors.is_empty(),
            "{context}: {kind} is not valid against its CRD: {errors:?}"
        );
    }
}

fn values_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(shared().join("schemas/airflow-chart-values.schema.json"))
        .expect("values schema");
    let schema: Json = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("schema")
}

/// The promises of the overlay, checked on any result.
fn assert_overlay_promises(values: &serde_yaml_ng::Value, result: &Externalized, context: &str) {
    assert!(
        airseal_helm::unexpected_changes(values, result).is_empty(),
        "{context}: changed non-secret values: {:?}",
        airseal_helm::unexpected_changes(values, result)
    );
    // Merging the overlay is what Helm does; merging it twice changes nothing more.
    assert_eq!(
        values_tree::merge(&result.merged, &result.overlay),
        result.merged,
        "{context}"
    );
    // Every moved plain value is gone from the merged values.
    for slot in result.slots.iter().filter(|s| s.migrate.is_some()) {
        let before = values_tree::get(values, &slot.path);
        let after = values_tree::get(&result.merged, &slot.path);
        assert!(
            before != after || before.is_none(),
            "{context}: {} still holds its value",
            slot.path
        );
    }
    // No leaf of the merge holds a moved value, except where the original had that same
    // value at a key that is not a secret (a user name equal to a default password).
    let mut leaves = Vec::new();
    leaves_of(&result.merged, &values_tree::KeyPath::root(), &mut leaves);
    for slot in result.slots.iter().filter(|s| s.migrate.is_some()) {
        let Some(secret @ serde_yaml_ng::Value::String(_)) = values_tree::get(values, &slot.path)
        else {
            continue;
        };
        for (path, leaf) in &leaves {
            if leaf == secret {
                let kept = values_tree::get(values, path) == Some(secret)
                    && !result.slots.iter().any(|s| &s.path == path);
                assert!(
                    kept,
                    "{context}: {}'s value appears in the merge at {path}",
                    slot.path
                );
            }
        }
    }
}

fn leaves_of(
    value: &serde_yaml_ng::Value,
    at: &values_tree::KeyPath,
    out: &mut Vec<(values_tree::KeyPath, serde_yaml_ng::Value)>,
) {
    match value {
        serde_yaml_ng::Value::Mapping(map) => {
            for (k, v) in map {
                leaves_of(v, &at.key(&values_tree::key_text(k)), out);
            }
        }
        serde_yaml_ng::Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves_of(v, &at.index(i), out);
            }
        }
        other => out.push((at.clone(), other.clone())),
    }
}

fn golden(result: &Externalized) -> String {
    let mut out = String::from("# overlay\n");
    out.push_str(&serde_yaml_ng::to_string(&result.overlay).expect("YAML"));
    for manifest in &result.manifests {
        out.push_str("---\n");
        out.push_str(&serde_yaml_ng::to_string(manifest).expect("YAML"));
    }
    out.push_str("# problems\n");
    for problem in &result.problems {
        out.push_str(&format!("- {}: {}\n", problem.path, problem.message));
    }
    out.push_str("# notes\n");
    for note in &result.notes {
        out.push_str(&format!("- {note}\n"));
    }
    out.push_str("# store\n");
    for slot in &result.slots {
        out.push_str(&format!(
            "- {} -> {}{} ({})\n",
            slot.path,
            slot.remote.name,
            slot.remote
                .property
                .as_deref()
                .map(|p| format!("#{p}"))
                .unwrap_or_default(),
            if slot.migrate.is_some() {
                "migrated"
            } else {
                "reference"
            }
        ));
    }
    out
}

const PROVIDERS: [Provider; 5] = airseal_helm::provider::ALL;
const METHODS: [Method; 2] = [Method::ExternalSecrets, Method::Csi];

#[test]
fn fixtures_golden_per_chart_provider_method() {
    for (file, chart) in [
        ("user-community.yaml", Chart::UserCommunity),
        ("official.yaml", Chart::Official),
        ("official-bundled-redis.yaml", Chart::Official),
    ] {
        for provider in PROVIDERS {
            for method in METHODS {
                let (values, result) = run(&fixture(file), Some(chart), |c| {
                    options(c, provider, method, false)
                });
                let context = format!("{file} {} {}", provider.code(), method.code());
                assert!(!result.slots.is_empty(), "{context}: no slot");
                assert_manifests_valid(&result, &context);
                assert_overlay_promises(&values, &result, &context);
                if chart == Chart::Official {
                    let instance = serde_json::to_value(&result.merged).expect("JSON");
                    let errors: Vec<String> = values_validator()
                        .iter_errors(&instance)
                        .map(|e| format!("{}: {e}", e.instance_path()))
                        .collect();
                    assert!(
                        errors.is_empty(),
                        "{context}: merged values invalid: {errors:?}"
                    );
                }
                let name = format!(
                    "{}-{}-{}",
                    file.trim_end_matches(".yaml"),
                    provider.code(),
                    method.code()
                );
                insta::assert_snapshot!(name, golden(&result));
            }
        }
    }
}

#[test]
fn direct_backend_golden() {
    for (file, chart) in [
        ("user-community.yaml", Chart::UserCommunity),
        ("official.yaml", Chart::Official),
    ] {
        for provider in [Provider::AwsSecretsManager, Provider::Vault] {
            let (values, result) = run(&fixture(file), Some(chart), |c| {
                options(c, provider, Method::ExternalSecrets, true)
            });
            let context = format!("{file} direct {}", provider.code());
            assert_manifests_valid(&result, &context);
            assert_overlay_promises(&values, &result, &context);
            let name = format!(
                "{}-{}-direct-backend",
                file.trim_end_matches(".yaml"),
                provider.code()
            );
            insta::assert_snapshot!(name, golden(&result));
        }
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for chart in ["official", "user-community"] {
        let dir = shared().join("corpus/helm").join(chart);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        entries.sort();
        files.extend(entries);
    }
    files
}

#[test]
fn corpus_every_provider_and_method() {
    let files = corpus_files();
    assert!(files.len() >= 10, "the shared corpus has its values files");
    let schema = values_validator();
    let mut schema_checked = 0;
    for path in &files {
        let chart = chart_of_dir(path);
        for provider in PROVIDERS {
            for method in METHODS {
                let (values, result) =
                    run(path, Some(chart), |c| options(c, provider, method, false));
                let context = format!("{} {} {}", path.display(), provider.code(), method.code());
                assert_manifests_valid(&result, &context);
                assert_overlay_promises(&values, &result, &context);
                if chart == Chart::Official {
                    let original = serde_json::to_value(&values).expect("JSON");
                    let merged = serde_json::to_value(&result.merged).expect("JSON");
                    let before: Vec<String> = schema
                        .iter_errors(&original)
                        .map(|e| e.to_string())
                        .collect();
                    let after: Vec<String> =
                        schema.iter_errors(&merged).map(|e| e.to_string()).collect();
                    // The merge adds no schema error to the chart's own values.
                    assert!(
                        after.iter().all(|e| before.contains(e)),
                        "{context}: merged values invalid: {after:?}"
                    );
                    schema_checked += 1;
                }
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("values");
                let chart_code = if chart == Chart::Official {
                    "official"
                } else {
                    "user-community"
                };
                let name = format!(
                    "corpus-{chart_code}-{stem}-{}-{}",
                    provider.code(),
                    method.code()
                );
                insta::assert_snapshot!(name, golden(&result));
            }
        }
    }
    assert!(
        schema_checked >= 20,
        "both official values files were schema-checked for every combination"
    );
}

/// The corpus keeps each chart's values in a folder named for it.
fn chart_of_dir(path: &Path) -> Chart {
    if path.parent().is_some_and(|p| p.ends_with("official")) {
        Chart::Official
    } else {
        Chart::UserCommunity
    }
}

#[test]
fn malformed_references_name_the_key_path() {
    let (_, result) = run(
        &fixture("malformed-references.yaml"),
        Some(Chart::UserCommunity),
        |c| {
            options(
                c,
                Provider::AwsSecretsManager,
                Method::ExternalSecrets,
                false,
            )
        },
    );
    let problems: Vec<(String, String)> = result
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    let path_of = |needle: &str| {
        problems
            .iter()
            .find(|(_, m)| m.contains(needle))
            .map(|(p, _)| p.as_str())
    };
    assert_eq!(
        path_of("unknown provider `keepass`"),
        Some("airflow.fernetKey")
    );
    assert_eq!(
        path_of("empty secret name"),
        Some("airflow.webserverSecretKey")
    );
    assert_eq!(
        path_of("Azure Key Vault cannot hold"),
        Some("airflow.connections[0].password")
    );
    assert_eq!(
        path_of("empty property"),
        Some("airflow.connections[1].password")
    );
    assert_eq!(
        path_of("without a provider"),
        Some("externalDatabase.password")
    );
    assert!(result.slots.is_empty(), "nothing malformed becomes a slot");
}

#[test]
fn malformed_values_are_errors_with_a_line() {
    let error =
        airseal_helm::parse_values("bad.yaml", "airflow:\n  fernetKey: [unclosed\n  x: 1\n")
            .expect_err("invalid YAML");
    let text = error.to_string();
    assert!(
        text.starts_with("bad.yaml: not valid YAML (line "),
        "{text}"
    );
    assert!(
        !text.contains("unclosed"),
        "the message does not quote the file: {text}"
    );
    assert!(matches!(
        airseal_helm::parse_values("list.yaml", "- a\n- b\n"),
        Err(airseal_helm::ExternalizeError::NotAMapping(_))
    ));
    assert!(matches!(
        airseal_helm::chart_of("other.yaml", "foo: 1\n", None),
        Err(airseal_helm::ExternalizeError::UnknownChart(_))
    ));
}
