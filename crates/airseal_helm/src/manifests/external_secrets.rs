//! External Secrets Operator: a `SecretStore` skeleton per provider (its auth through the
//! `<release>-airseal-reader` service account) and one `ExternalSecret` per Kubernetes Secret
//! the chart reads, `creationPolicy: Owner` so deleting the ExternalSecret deletes the Secret.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json, json};

use super::{metadata, reader_name, reader_service_account, setting, store_name};
use crate::{Options, Provider, Slot, target_secrets};

pub const API_VERSION: &str = "external-secrets.io/v1";

pub fn manifests(slots: &[Slot], options: &Options, notes: &mut Vec<String>) -> Vec<Json> {
    let providers: BTreeSet<Provider> = slots
        .iter()
        .filter(|s| s.target.is_some())
        .map(|s| s.remote.provider)
        .collect();
    let mut out = Vec::new();
    for provider in &providers {
        out.push(reader_service_account(options, *provider, notes));
        out.push(secret_store(options, *provider, notes));
    }
    for (name, slots) in target_secrets(slots) {
        out.push(external_secret(options, &name, &slots, notes));
    }
    out
}

fn secret_store(options: &Options, provider: Provider, notes: &mut Vec<String>) -> Json {
    let account = json!({ "name": reader_name(options) });
    let settings = &options.settings;
    let block = match provider {
        Provider::AwsSecretsManager | Provider::AwsParameterStore => json!({
            "aws": {
                "service": if provider == Provider::AwsSecretsManager { "SecretsManager" } else { "ParameterStore" },
                "region": setting(&settings.region, "<aws-region>", "--region", notes),
                "auth": {"jwt": {"serviceAccountRef": account}},
            }
        }),
        // `path` is the KV v2 mount; ESO appends `/data` itself and keys are relative to it.
        Provider::Vault => json!({
            "vault": {
                "server": setting(&settings.vault_addr, "<https://vault.example:8200>", "--vault-addr", notes),
                "path": vault_mount(options),
                "version": "v2",
                "auth": {"kubernetes": {
                    "mountPath": "kubernetes",
                    "role": setting(&settings.vault_role, "<vault-role>", "--vault-role", notes),
                    "serviceAccountRef": account,
                }},
            }
        }),
        Provider::AzureKeyVault => {
            let mut block = json!({
                "vaultUrl": setting(&settings.azure_vault_url, "<https://NAME.vault.azure.net>", "--azure-vault-url", notes),
                "authType": "WorkloadIdentity",
                "serviceAccountRef": account,
            });
            if let Some(tenant) = &settings.azure_tenant_id {
                block["tenantId"] = Json::from(tenant.as_str());
            }
            json!({ "azurekv": block })
        }
        Provider::GcpSecretManager => json!({
            "gcpsm": {
                "projectID": setting(&settings.gcp_project, "<gcp-project>", "--gcp-project", notes),
                "auth": {"workloadIdentity": {"serviceAccountRef": account}},
            }
        }),
    };
    json!({
        "apiVersion": API_VERSION,
        "kind": "SecretStore",
        "metadata": metadata(options, &store_name(options, provider)),
        "spec": {"provider": block},
    })
}

/// The Vault mount of the backend kwargs (`mount_point`, VaultBackend's default `secret`).
fn vault_mount(options: &Options) -> String {
    options
        .kwargs
        .get("mount_point")
        .and_then(Json::as_str)
        .unwrap_or("secret")
        .to_owned()
}

fn external_secret(
    options: &Options,
    name: &str,
    slots: &[&Slot],
    notes: &mut Vec<String>,
) -> Json {
    // The store of the first key; keys from another provider name theirs in `sourceRef`.
    let main = slots
        .first()
        .map_or(options.provider, |s| s.remote.provider);
    let mut data = Vec::new();
    let templated = slots.iter().any(|s| s.template.is_some());
    let mut template_data = Map::new();
    for slot in slots {
        let Some(target) = &slot.target else { continue };
        let mut remote = Map::new();
        let key = match slot.remote.provider {
            Provider::Vault => {
                let mount = vault_mount(options);
                match slot.remote.name.strip_prefix(&format!("{mount}/")) {
                    Some(relative) => relative.to_owned(),
                    None => {
                        notes.push(format!(
                            "{}: the Vault secret `{}` is not under the mount `{mount}` the SecretStore reads; add a SecretStore for its mount",
                            slot.path, slot.remote.name
                        ));
                        slot.remote.name.clone()
                    }
                }
            }
            _ => slot.remote.name.clone(),
        };
        remote.insert("key".to_owned(), Json::from(key));
        if let Some(property) = &slot.remote.property {
            remote.insert("property".to_owned(), Json::from(property.as_str()));
        }
        let mut entry = json!({ "secretKey": target.key, "remoteRef": remote });
        if slot.remote.provider != main {
            entry["sourceRef"] = json!({"storeRef": {
                "name": store_name(options, slot.remote.provider),
                "kind": "SecretStore",
            }});
        }
        data.push(entry);
        if templated {
            let variable = format!("index . {:?}", target.key);
            let text = match &slot.template {
                Some(template) => template.replace(".value", &variable),
                None => format!("{{{{ {variable} }}}}"),
            };
            template_data.insert(target.key.clone(), Json::from(text));
        }
    }
    let mut target = json!({ "name": name, "creationPolicy": "Owner" });
    if templated {
        target["template"] = json!({ "engineVersion": "v2", "data": template_data });
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": metadata(options, name),
        "spec": {
            "refreshInterval": options.refresh_interval,
            "secretStoreRef": { "name": store_name(options, main), "kind": "SecretStore" },
            "target": target,
            "data": data,
        },
    })
}
