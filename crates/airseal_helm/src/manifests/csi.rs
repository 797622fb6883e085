//! Secrets Store CSI driver: one `SecretProviderClass` per provider, listing every remote
//! object in the provider's own `parameters` format and syncing them into the Kubernetes
//! Secrets the chart reads (`secretObjects`). The sync only happens while a pod mounts the
//! CSI volume, so the overlay also mounts it into every Airflow container.
//!
//! Provider formats (each provider's README): AWS `objects` with `jmesPath` for JSON keys;
//! Vault `objects` with `secretPath` (KV v2: `<mount>/data/<path>`) and `secretKey`; Azure
//! `objects` as `array:` of YAML strings, whole secrets only; Google `secrets` with
//! `resourceName` and `path`, whole secrets only. A slot a provider cannot express (a JSON
//! key on Azure or Google, a template anywhere) is a problem, not a wrong manifest.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use super::{metadata, setting, store_name};
use crate::{Options, Problem, Provider, Slot, target_secrets};

pub const API_VERSION: &str = "secrets-store.csi.x-k8s.io/v1";
pub const DRIVER: &str = "secrets-store.csi.k8s.io";

/// The file (object alias) one slot's value is mounted as.
fn alias(slot: &Slot) -> String {
    let mut text = slot.remote.name.clone();
    if let Some(property) = &slot.remote.property {
        text.push('-');
        text.push_str(property);
    }
    let cleaned: String = text
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.trim_matches('-').to_owned()
}

pub fn manifests(
    slots: &[Slot],
    options: &Options,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Vec<Json> {
    // Slots each provider can serve.
    let mut usable: BTreeMap<Provider, Vec<&Slot>> = BTreeMap::new();
    for slot in slots.iter().filter(|s| s.target.is_some()) {
        let provider = slot.remote.provider;
        if slot.template.is_some() {
            problems.push(Problem {
                path: slot.path.to_string(),
                message: "the CSI driver cannot build a value from a template (a URI around a referenced password): reference the whole value, or use --method external-secrets".to_owned(),
            });
            continue;
        }
        if slot.remote.property.is_some()
            && matches!(
                provider,
                Provider::AzureKeyVault | Provider::GcpSecretManager
            )
        {
            problems.push(Problem {
                path: slot.path.to_string(),
                message: format!(
                    "the {} CSI provider mounts whole secrets only and this value is a key of a JSON secret: store it as its own secret, or use --method external-secrets",
                    provider.title()
                ),
            });
            continue;
        }
        usable.entry(provider).or_default().push(slot);
    }
    let mut out = Vec::new();
    for (provider, slots) in &usable {
        let owned: Vec<Slot> = slots.iter().map(|s| (*s).clone()).collect();
        let mut secret_objects = Vec::new();
        for (name, keyed) in target_secrets(&owned) {
            let data: Vec<Json> = keyed
                .iter()
                .filter_map(|s| {
                    let target = s.target.as_ref()?;
                    Some(json!({"objectName": alias(s), "key": target.key}))
                })
                .collect();
            secret_objects.push(json!({
                "secretName": name,
                "type": "Opaque",
                "labels": {"app.kubernetes.io/managed-by": "airseal"},
                "data": data,
            }));
        }
        out.push(json!({
            "apiVersion": API_VERSION,
            "kind": "SecretProviderClass",
            "metadata": metadata(options, &store_name(options, *provider)),
            "spec": {
                "provider": provider.csi_provider(),
                "parameters": parameters(*provider, slots, options, notes),
                "secretObjects": secret_objects,
            },
        }));
    }
    out
}

/// `spec.parameters`: a map of strings, some of which hold YAML.
fn parameters(
    provider: Provider,
    slots: &[&Slot],
    options: &Options,
    notes: &mut Vec<String>,
) -> Json {
    let settings = &options.settings;
    let yaml = |value: Json| serde_yaml_ng::to_string(&value).unwrap_or_default();
    match provider {
        Provider::AwsSecretsManager | Provider::AwsParameterStore => {
            let object_type = if provider == Provider::AwsSecretsManager {
                "secretsmanager"
            } else {
                "ssmparameter"
            };
            // One object per remote name; JSON keys as jmesPath entries under it.
            let mut objects: BTreeMap<&str, Vec<&Slot>> = BTreeMap::new();
            for slot in slots {
                objects
                    .entry(slot.remote.name.as_str())
                    .or_default()
                    .push(slot);
            }
            let list: Vec<Json> = objects
                .iter()
                .map(|(name, slots)| {
                    let whole = slots.iter().find(|s| s.remote.property.is_none());
                    let base_alias =
                        whole.map_or_else(|| format!("{}-json", alias_of_name(name)), |s| alias(s));
                    let mut object = json!({
                        "objectName": name,
                        "objectType": object_type,
                        "objectAlias": base_alias,
                    });
                    let paths: BTreeSet<(String, String)> = slots
                        .iter()
                        .filter_map(|s| Some((s.remote.property.clone()?, alias(s))))
                        .collect();
                    if !paths.is_empty() {
                        object["jmesPath"] = Json::Array(
                            paths
                                .into_iter()
                                .map(|(path, alias)| json!({"path": path, "objectAlias": alias}))
                                .collect(),
                        );
                    }
                    object
                })
                .collect();
            json!({
                "region": setting(&settings.region, "<aws-region>", "--region", notes),
                "objects": yaml(Json::Array(list)),
            })
        }
        Provider::Vault => {
            let list: BTreeSet<(String, String, String)> = slots
                .iter()
                .map(|s| {
                    let (mount, path) = s
                        .remote
                        .name
                        .split_once('/')
                        .unwrap_or((&s.remote.name, ""));
                    (
                        alias(s),
                        format!("{mount}/data/{path}"),
                        s.remote
                            .property
                            .clone()
                            .unwrap_or_else(|| "value".to_owned()),
                    )
                })
                .collect();
            let list: Vec<Json> = list
                .into_iter()
                .map(|(alias, path, key)| json!({"objectName": alias, "secretPath": path, "secretKey": key}))
                .collect();
            json!({
                "roleName": setting(&settings.vault_role, "<vault-role>", "--vault-role", notes),
                "vaultAddress": setting(&settings.vault_addr, "<https://vault.example:8200>", "--vault-addr", notes),
                "objects": yaml(Json::Array(list)),
            })
        }
        Provider::AzureKeyVault => {
            let items: BTreeSet<(String, String)> = slots
                .iter()
                .map(|s| (s.remote.name.clone(), alias(s)))
                .collect();
            let array: Vec<Json> = items
                .into_iter()
                .map(|(name, alias)| {
                    Json::from(yaml(
                        json!({"objectName": name, "objectType": "secret", "objectAlias": alias}),
                    ))
                })
                .collect();
            let vault_url = setting(
                &settings.azure_vault_url,
                "<https://NAME.vault.azure.net>",
                "--azure-vault-url",
                notes,
            );
            let keyvault_name = vault_url
                .trim_start_matches("https://")
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned();
            json!({
                "usePodIdentity": "false",
                "clientID": setting(&settings.identity, "<azure-client-id>", "--identity", notes),
                "keyvaultName": keyvault_name,
                "tenantId": setting(&settings.azure_tenant_id, "<azure-tenant-id>", "--azure-tenant-id", notes),
                "objects": yaml(json!({"array": array})),
            })
        }
        Provider::GcpSecretManager => {
            let project = setting(
                &settings.gcp_project,
                "<gcp-project>",
                "--gcp-project",
                notes,
            );
            let list: BTreeSet<(String, String)> = slots
                .iter()
                .map(|s| (s.remote.name.clone(), alias(s)))
                .collect();
            let list: Vec<Json> = list
                .into_iter()
                .map(|(name, alias)| {
                    json!({
                        "resourceName": format!("projects/{project}/secrets/{name}/versions/latest"),
                        "path": alias,
                    })
                })
                .collect();
            json!({ "secrets": yaml(Json::Array(list)) })
        }
    }
}

fn alias_of_name(name: &str) -> String {
    name.trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The CSI volume, its mount, and the names the overlay gives them.
pub fn volume(class: &str) -> (Json, Json) {
    let name = format!("airseal-{class}");
    (
        json!({
            "name": name,
            "csi": {
                "driver": DRIVER,
                "readOnly": true,
                "volumeAttributes": {"secretProviderClass": class},
            },
        }),
        json!({"name": name, "mountPath": format!("/mnt/secrets-store/{class}"), "readOnly": true}),
    )
}

/// The classes [`manifests`] made, for the overlay's volumes.
pub fn class_names(manifests: &[Json]) -> Vec<String> {
    manifests
        .iter()
        .filter(|m| m["kind"] == "SecretProviderClass")
        .filter_map(|m| m["metadata"]["name"].as_str().map(str::to_owned))
        .collect()
}
