//! Kubernetes objects that materialise the slots' Secrets: [`external_secrets`] (External
//! Secrets Operator, `external-secrets.io/v1`) or [`csi`] (Secrets Store CSI driver,
//! `secrets-store.csi.x-k8s.io/v1`). Both are checked against the CRDs' OpenAPI schemas by the
//! crate's tests.

pub mod csi;
pub mod external_secrets;

use serde_json::{Map, Value as Json, json};

use crate::{Options, Provider};

/// The `SecretStore` / `SecretProviderClass` for `provider`: `--store` for the main provider,
/// `<release>-<provider>` for one only references name.
pub fn store_name(options: &Options, provider: Provider) -> String {
    if provider == options.provider {
        options.store.clone()
    } else {
        format!("{}-{}", options.release, provider.code())
    }
}

/// `metadata` with the name, the namespace when given, and airseal's label.
pub fn metadata(options: &Options, name: &str) -> Json {
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), Json::from(name));
    if let Some(namespace) = &options.namespace {
        metadata.insert("namespace".to_owned(), Json::from(namespace.as_str()));
    }
    metadata.insert(
        "labels".to_owned(),
        json!({"app.kubernetes.io/managed-by": "airseal", "app.kubernetes.io/part-of": options.release}),
    );
    Json::Object(metadata)
}

/// A setting, or a `<...>` placeholder with a note saying which flag fills it.
pub fn setting(
    value: &Option<String>,
    placeholder: &str,
    flag: &str,
    notes: &mut Vec<String>,
) -> String {
    match value {
        Some(value) => value.clone(),
        None => {
            notes.push(format!(
                "fill `{placeholder}` in the manifests, or pass {flag}"
            ));
            placeholder.to_owned()
        }
    }
}

/// The service account the operator or driver authenticates as (`<release>-airseal-reader`),
/// annotated with the cloud identity (IRSA role, Azure client id, Google service account).
pub fn reader_service_account(
    options: &Options,
    provider: Provider,
    notes: &mut Vec<String>,
) -> Json {
    let name = reader_name(options);
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(options, &name),
    });
    if let Some(annotation) = provider.identity_annotation() {
        let identity = setting(
            &options.settings.identity,
            match provider {
                Provider::AzureKeyVault => "<azure-client-id>",
                Provider::GcpSecretManager => "<gsa-name>@<project>.iam.gserviceaccount.com",
                _ => "arn:aws:iam::<account>:role/<reader-role>",
            },
            "--identity",
            notes,
        );
        object["metadata"]["annotations"] = json!({ annotation: identity });
    }
    object
}

pub fn reader_name(options: &Options) -> String {
    format!("{}-airseal-reader", options.release)
}
