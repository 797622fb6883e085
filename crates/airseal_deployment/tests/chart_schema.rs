//! Every key path the `HLM###` rules read for the official chart exists in that chart's own
//! values schema (../shared/schemas/airflow-chart-values.schema.json, from apache/airflow) or in
//! its values.yaml of the Airflow 3.1.3 release (../shared/corpus/helm/official; the schema
//! copy predates some keys such as `createUserJob.enabled`): a renamed key would otherwise make
//! a rule silently blind. Keys of the bundled Bitnami PostgreSQL subchart are listed apart.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use airseal_deployment::helm::Chart;
use airseal_deployment::helm::secret_keys::{SECRET_KEYS, Unused};
use serde_json::Value;

/// The schema node of a path pattern (`a.b`, `list[]`, `map.*.key`).
fn schema_node<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = schema;
    for segment in path.split('.') {
        if segment == "*" {
            node = node.get("additionalProperties")?;
            continue;
        }
        let (key, list) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (segment, false),
        };
        node = node.get("properties")?.get(key)?;
        if list {
            node = node.get("items")?;
        }
    }
    Some(node)
}

/// Keys of the Bitnami PostgreSQL subchart the official chart bundles: in neither file.
const SUBCHART_KEYS: &[&str] = &["postgresql.auth.existingSecret"];

#[test]
fn official_chart_keys_exist_in_the_chart_schema() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let path = shared.join("schemas/airflow-chart-values.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let values_text = std::fs::read_to_string(
        shared.join("corpus/helm/official/values-chart-airflow-3.1.3.yaml"),
    )
    .unwrap();
    let values = airseal_yaml::parse_documents(&values_text).unwrap();
    let in_values = |pattern: &str| {
        // `*` segments stand for user-chosen names: only the part before them is checked.
        let fixed = pattern.split(".*").next().unwrap_or(pattern);
        !airseal_deployment::helm::resolve(&values[0], fixed).is_empty()
    };
    let mut paths: Vec<&str> = Vec::new();
    for key in SECRET_KEYS.iter().filter(|k| k.chart == Chart::Official) {
        paths.push(key.path);
        for unused in key.unused_when {
            match unused {
                Unused::Set(p) | Unused::False(p) => paths.push(p),
            }
        }
    }
    // Read by HLM003, HLM005, the environment and `config:` readers and the doctor.
    paths.extend([
        "webserver.webserverConfig",
        "apiServer.apiServerConfig",
        "airflowLocalSettings",
        "dags.gitSync.enabled",
        "dags.gitSync.sshKeySecret",
        "dags.gitSync.knownHosts",
        "env",
        "extraEnv",
        "config",
        "extraConfigMaps.*.data",
        "fernetKeySecretName",
        "webserverSecretKeySecretName",
        "apiSecretKeySecretName",
        "jwtSecretName",
        "redis.passwordSecretName",
        "flower.secretName",
        "elasticsearch.secretName",
        "registry.secretName",
    ]);
    let missing: Vec<&str> = paths
        .into_iter()
        .filter(|p| {
            schema_node(&schema, p).is_none() && !in_values(p) && !SUBCHART_KEYS.contains(p)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "not in the official chart's schema: {missing:?}"
    );
}
