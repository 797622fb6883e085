//! AWS Secrets Manager and SSM Parameter Store through the official AWS SDK for Rust, named the
//! way Airflow's `SecretsManagerBackend` and `SystemsManagerParameterStoreBackend` look them up.
//!
//! Settings come the way every AWS tool takes them: the SDK's standard credential chain
//! (environment, profile, SSO, web identity, container and instance roles), `AWS_REGION`,
//! `AWS_PROFILE`, `AWS_ENDPOINT_URL` (moto in the tests). Throttling, 5xx and transient
//! network errors are retried by the SDK's standard retry strategy (exponential backoff with
//! jitter; `max_attempts` from [`AwsSettings`]). Expired or missing credentials and access
//! denials become one clear error naming the secret, never its value.
//!
//! Secrets Manager: a new secret is created with `managed-by=airseal` and `airseal-source`
//! tags and the optional KMS key; an existing one gets a new version (`PutSecretValue`), which
//! becomes `AWSCURRENT`. Both carry a `ClientRequestToken` derived from the name and value, so
//! a retried or re-run write of the same value never makes a second version.
//!
//! SSM: `SecureString` parameters (the optional KMS key as `KeyId`), the `Standard` tier up to
//! 4 KB and `Advanced` up to 8 KB; names are `/{prefix}/{id}` (the backend adds the leading
//! slash when the prefix lacks one).

mod ssm_rotation;

use std::future::Future;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_secretsmanager as sm;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_ssm as ssm;
use sha2::{Digest, Sha256};

use crate::naming::Naming;
use crate::{
    ConnectionForm, MANAGED_BY_TAG, SOURCE_TAG, SecretKind, SecretMetadata, SecretStore,
    SecretValue, StoreError, WriteContext, WriteOutcome, lookup_pattern_matches,
};

/// Secrets Manager's limit on `SecretString` (65,536 bytes).
pub const SECRETS_MANAGER_MAX_BYTES: usize = 65_536;
/// SSM's limits on a parameter value: Standard tier 4 KB, Advanced tier 8 KB.
pub const SSM_STANDARD_MAX_BYTES: usize = 4_096;
pub const SSM_ADVANCED_MAX_BYTES: usize = 8_192;

/// Ids per batch read: `BatchGetSecretValue` takes at most 20 secret ids, `GetParameters` 10.
const SECRETS_MANAGER_BATCH: usize = 20;
const SSM_BATCH: usize = 10;

/// What a create-or-put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Put {
    Written,
    /// A create found the name taken: nothing was written.
    NameTaken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsService {
    SecretsManager,
    ParameterStore,
}

/// What the SDK's environment does not say.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Overrides `AWS_REGION` / the profile's region.
    pub region: Option<String>,
    /// Overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Overrides `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// A KMS key id, ARN or alias for new secrets / parameters.
    pub kms_key_id: Option<String>,
    /// Attempts per request, first included (SDK standard retry). Default 5.
    pub max_attempts: Option<u32>,
}

enum Client {
    SecretsManager(sm::Client),
    ParameterStore(ssm::Client),
}

pub struct AwsStore {
    runtime: tokio::runtime::Runtime,
    client: Client,
    naming: Naming,
    form: ConnectionForm,
    kms_key_id: Option<String>,
    region: String,
}

/// One failed AWS call, described without any value.
struct CallError {
    code: Option<String>,
    message: String,
}

impl CallError {
    fn from_sdk<E, R>(error: &sm::error::SdkError<E, R>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match error.code() {
            Some(code) => CallError {
                code: Some(code.to_owned()),
                message: error.message().unwrap_or_default().to_owned(),
            },
            None => {
                // The first two links of the chain say what happened ("dispatch failure: io
                // error: connection refused"); the rest is the SDK's internals.
                let mut message = error.to_string();
                let mut source = std::error::Error::source(error);
                for _ in 0..2 {
                    let Some(cause) = source else { break };
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                CallError {
                    code: None,
                    message,
                }
            }
        }
    }

    fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl AwsStore {
    /// Loads the SDK configuration (credential chain, region, endpoint) for `service`.
    pub fn connect(
        service: AwsService,
        naming: Naming,
        form: ConnectionForm,
        settings: &AwsSettings,
    ) -> Result<AwsStore, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| StoreError::Io {
                path: "tokio runtime".into(),
                source,
            })?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
            RetryConfig::standard().with_max_attempts(settings.max_attempts.unwrap_or(5)),
        );
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let config = runtime.block_on(loader.load());
        let setup_error = |message: String| StoreError::Backend {
            kind: "store",
            id: "settings".to_owned(),
            store: "AWS".to_owned(),
            message,
        };
        let region = config.region().map(ToString::to_string).ok_or_else(|| {
            setup_error("no AWS region: set AWS_REGION, a profile region, or --region".to_owned())
        })?;
        // Credentials are resolved once, up front: a missing or expired credential is one
        // clear error before anything is read or written, not one per secret.
        let Some(provider) = config.credentials_provider() else {
            return Err(setup_error("no AWS credentials provider".to_owned()));
        };
        {
            use aws_sdk_secretsmanager::config::ProvideCredentials as _;
            let credentials = runtime.block_on(provider.provide_credentials());
            if let Err(error) = credentials {
                let mut message = error.to_string();
                if let Some(cause) = std::error::Error::source(&error) {
                    message = format!("{message}: {cause}");
                }
                return Err(setup_error(format!(
                    "no usable AWS credentials ({message}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
                )));
            }
        }

        let client = match service {
            AwsService::SecretsManager => Client::SecretsManager(sm::Client::new(&config)),
            AwsService::ParameterStore => Client::ParameterStore(ssm::Client::new(&config)),
        };
        Ok(AwsStore {
            runtime,
            client,
            naming,
            form,
            kms_key_id: settings.kms_key_id.clone(),
            region,
        })
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn name(&self, kind: SecretKind, id: &str) -> Result<String, StoreError> {
        let name = self
            .naming
            .name(kind, id, lookup_pattern_matches)
            .ok_or_else(|| StoreError::NotConfigured {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                reason: "the backend's prefix for this kind is off, or the id does not match its lookup pattern".to_owned(),
            })?;
        if let Some(reason) = self.name_problem(&name) {
            return Err(self.unrepresentable(kind, id, reason));
        }
        Ok(name)
    }

    /// Why AWS would refuse `name`, if it would.
    fn name_problem(&self, name: &str) -> Option<String> {
        match self.client {
            Client::SecretsManager(_) => {
                let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
                if name.is_empty() || name.len() > 512 {
                    Some(format!(
                        "Secrets Manager names are 1 to 512 characters; `{name}` has {}",
                        name.len()
                    ))
                } else if !name.chars().all(allowed) {
                    Some(format!(
                        "`{name}`: Secrets Manager names hold only ASCII letters, digits and /_+=.@-"
                    ))
                } else {
                    None
                }
            }
            Client::ParameterStore(_) => {
                let allowed = |c: char| c.is_ascii_alphanumeric() || "/_.-".contains(c);
                let first = name.trim_start_matches('/').to_ascii_lowercase();
                if name.len() > 1011 {
                    Some(format!(
                        "`{name}`: SSM parameter names are at most 1011 characters"
                    ))
                } else if !name.chars().all(allowed) {
                    Some(format!(
                        "`{name}`: SSM parameter names hold only ASCII letters, digits and /_.-"
                    ))
                } else if name.matches('/').count() > 15 {
                    Some(format!(
                        "`{name}`: SSM parameter names have at most 15 levels"
                    ))
                } else if first.starts_with("aws") || first.starts_with("ssm") {
                    Some(format!(
                        "`{name}`: SSM parameter names cannot begin with `aws` or `ssm`"
                    ))
                } else {
                    None
                }
            }
        }
    }

    fn unrepresentable(&self, kind: SecretKind, id: &str, reason: String) -> StoreError {
        StoreError::Unrepresentable {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            reason,
        }
    }

    /// A [`StoreError::Backend`] for a failed call; `value` is scrubbed from AWS's message in
    /// case a service ever echoes input.
    fn failed(
        &self,
        kind: SecretKind,
        id: &str,
        call: &str,
        error: CallError,
        value: Option<&str>,
    ) -> StoreError {
        let mut message = error.message;
        if let Some(value) = value.filter(|v| v.len() >= 4) {
            message = message.replace(value, "<redacted>");
        }
        let advice = match error.code.as_deref() {
            Some(
                "ExpiredTokenException" | "ExpiredToken" | "UnrecognizedClientException"
                | "InvalidClientTokenId" | "InvalidSignatureException" | "IncompleteSignature",
            ) => " (the AWS credentials are expired or invalid: refresh them, e.g. `aws sso login`, and re-run; nothing was written for this secret)".to_owned(),
            Some("AccessDeniedException" | "AccessDenied") => format!(
                " (the credentials lack permission for {call}: see `airseal iam policy`)"
            ),
            Some("ThrottlingException" | "TooManyUpdates" | "ThrottledException") => {
                " (still throttled after the retries: lower --concurrency)".to_owned()
            }
            None => " (the request did not complete after the retries)".to_owned(),
            _ => String::new(),
        };
        let code = error.code.map(|c| format!("{c}: ")).unwrap_or_default();
        StoreError::Backend {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            message: format!("{call} failed: {code}{message}{advice}"),
        }
    }

    /// The value stored under `name`, as text, at `stage` (Secrets Manager; `AWSCURRENT`
    /// when `None`). `None` when absent.
    pub fn read_stage(
        &self,
        kind: SecretKind,
        id: &str,
        stage: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let name = self.name(kind, id)?;
        match &self.client {
            Client::SecretsManager(client) => {
                let result = self.block_on(
                    client
                        .get_secret_value()
                        .secret_id(&name)
                        .set_version_stage(stage.map(str::to_owned))
                        .send(),
                );
                match result {
                    Ok(output) => Ok(output.secret_string().map(str::to_owned)),
                    Err(error) => {
                        let error = CallError::from_sdk(&error);
                        if error.is("ResourceNotFoundException") {
                            Ok(None)
                        } else {
                            Err(self.failed(kind, id, "secretsmanager:GetSecretValue", error, None))
                        }
                    }
                }
            }
            Client::ParameterStore(client) => {
                let result = self.block_on(
                    client
                        .get_parameter()
                        .name(&name)
                        .with_decryption(true)
                        .send(),
                );
                match result {
                    Ok(output) => Ok(output
                        .parameter()
                        .and_then(|p| p.value())
                        .map(str::to_owned)),
                    Err(error) => {
                        let error = CallError::from_sdk(&error);
                        if error.is("ParameterNotFound") {
                            Ok(None)
                        } else {
                            Err(self.failed(kind, id, "ssm:GetParameter", error, None))
                        }
                    }
                }
            }
        }
    }

    fn undecodable(
        &self,
        kind: SecretKind,
        id: &str,
        error: &airseal_connection::CodecError,
    ) -> StoreError {
        StoreError::Backend {
            kind: kind.name(),
            id: id.to_owned(),
            store: self.describe(),
            message: format!("the stored value is not a connection Airflow can read: {error}"),
        }
    }

    /// The current text of each id (`None` when absent), by batch reads: Secrets Manager's
    /// `BatchGetSecretValue` (20 ids a call), SSM's `GetParameters` (10, decrypted). A batch
    /// the service refuses as a whole (a role without `secretsmanager:BatchGetSecretValue`, an
    /// emulator without the call) is read one id at a time instead, so the answer never
    /// depends on the batch call being allowed.
    fn read_texts(
        &self,
        kind: SecretKind,
        ids: &[&str],
    ) -> Vec<Result<Option<String>, StoreError>> {
        let names: Vec<Result<String, StoreError>> =
            ids.iter().map(|id| self.name(kind, id)).collect();
        let wanted: Vec<String> = names
            .iter()
            .filter_map(|n| n.as_ref().ok().cloned())
            .collect();
        let one_by_one = |names: Vec<Result<String, StoreError>>| {
            ids.iter()
                .zip(names)
                .map(|(id, name)| name.and_then(|_| self.read_stage(kind, id, None)))
                .collect()
        };
        if wanted.is_empty() {
            return one_by_one(names);
        }
        // name -> Some(text) when found, None when the service said it is absent.
        let mut found: std::collections::HashMap<String, Option<String>> =
            std::collections::HashMap::new();
        match &self.client {
            Client::SecretsManager(client) => {
                let mut next_token: Option<String> = None;
                loop {
                    let result = self.block_on(
                        client
                            .batch_get_secret_value()
                            .set_secret_id_list(Some(wanted.clone()))
                            .set_next_token(next_token.clone())
                            .send(),
                    );
                    let Ok(output) = result else {
                        return one_by_one(names);
                    };
                    for entry in output.secret_values() {
                        if let Some(name) = entry.name() {
                            found.insert(name.to_owned(), entry.secret_string().map(str::to_owned));
                        }
                    }
                    for error in output.errors() {
                        if error.error_code() == Some("ResourceNotFoundException")
                            && let Some(name) = error.secret_id()
                        {
                            found.insert(name.to_owned(), None);
                        }
                    }
                    next_token = output.next_token().map(str::to_owned);
                    if next_token.is_none() {
                        break;
                    }
                }
            }
            Client::ParameterStore(client) => {
                let result = self.block_on(
                    client
                        .get_parameters()
                        .set_names(Some(wanted.clone()))
                        .with_decryption(true)
                        .send(),
                );
                let Ok(output) = result else {
                    return one_by_one(names);
                };
                for parameter in output.parameters() {
                    if let Some(name) = parameter.name() {
                        found.insert(name.to_owned(), parameter.value().map(str::to_owned));
                    }
                }
                for name in output.invalid_parameters() {
                    found.insert(name.clone(), None);
                }
            }
        }
        // Whatever the batch answer left out (an entry-level error other than "not found")
        // is read on its own, which reports that error for that id.
        ids.iter()
            .zip(names)
            .map(|(id, name)| {
                let name = name?;
                match found.remove(&name) {
                    Some(text) => Ok(text),
                    None => self.read_stage(kind, id, None),
                }
            })
            .collect()
    }

    /// Names under `prefix` (Secrets Manager `ListSecrets` with a name filter; SSM
    /// `GetParametersByPath`, recursive), every page.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let failed = |call: &str, error: CallError| StoreError::Backend {
            kind: "secret",
            id: format!("{prefix}*"),
            store: self.describe(),
            message: format!(
                "{call} failed: {}{}",
                error.code.map(|c| format!("{c}: ")).unwrap_or_default(),
                error.message
            ),
        };
        let mut names = Vec::new();
        match &self.client {
            Client::SecretsManager(client) => {
                let mut token: Option<String> = None;
                loop {
                    let filter = sm::types::Filter::builder()
                        .key(sm::types::FilterNameStringType::Name)
                        .values(prefix)
                        .build();
                    let page = self
                        .block_on(
                            client
                                .list_secrets()
                                .filters(filter)
                                .set_next_token(token.take())
                                .max_results(100)
                                .send(),
                        )
                        .map_err(|e| {
                            failed("secretsmanager:ListSecrets", CallError::from_sdk(&e))
                        })?;
                    names.extend(
                        page.secret_list()
                            .iter()
                            .filter_map(|s| s.name())
                            .filter(|n| n.starts_with(prefix))
                            .map(str::to_owned),
                    );
                    token = page.next_token().map(str::to_owned);
                    if token.is_none() {
                        break;
                    }
                }
            }
            Client::ParameterStore(client) => {
                let mut token: Option<String> = None;
                let path = prefix.trim_end_matches('/');
                loop {
                    let page = self
                        .block_on(
                            client
                                .get_parameters_by_path()
                                .path(if path.is_empty() { "/" } else { path })
                                .recursive(true)
                                .with_decryption(false)
                                .set_next_token(token.take())
                                .send(),
                        )
                        .map_err(|e| failed("ssm:GetParametersByPath", CallError::from_sdk(&e)))?;
                    names.extend(
                        page.parameters()
                            .iter()
                            .filter_map(|p| p.name())
                            .map(str::to_owned),
                    );
                    token = page.next_token().map(str::to_owned);
                    if token.is_none() {
                        break;
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Adds tags to an existing secret or parameter.
    pub fn tag(
        &self,
        kind: SecretKind,
        id: &str,
        tags: &[(String, String)],
    ) -> Result<(), StoreError> {
        let name = self.name(kind, id)?;
        match &self.client {
            Client::SecretsManager(client) => {
                let tags: Vec<sm::types::Tag> = tags
                    .iter()
                    .map(|(k, v)| sm::types::Tag::builder().key(k).value(v).build())
                    .collect();
                self.block_on(
                    client
                        .tag_resource()
                        .secret_id(&name)
                        .set_tags(Some(tags))
                        .send(),
                )
                .map(|_| ())
                .map_err(|e| {
                    self.failed(
                        kind,
                        id,
                        "secretsmanager:TagResource",
                        CallError::from_sdk(&e),
                        None,
                    )
                })
            }
            Client::ParameterStore(client) => {
                let tags =
                    ssm_tags(tags).map_err(|reason| self.unrepresentable(kind, id, reason))?;
                self.block_on(
                    client
                        .add_tags_to_resource()
                        .resource_type(ssm::types::ResourceTypeForTagging::Parameter)
                        .resource_id(&name)
                        .set_tags(Some(tags))
                        .send(),
                )
                .map(|_| ())
                .map_err(|e| {
                    self.failed(
                        kind,
                        id,
                        "ssm:AddTagsToResource",
                        CallError::from_sdk(&e),
                        None,
                    )
                })
            }
        }
    }

    fn tags(context: &WriteContext) -> Vec<(String, String)> {
        let mut tags = vec![(MANAGED_BY_TAG.0.to_owned(), MANAGED_BY_TAG.1.to_owned())];
        if let Some(source) = &context.source {
            tags.push((SOURCE_TAG.to_owned(), tag_value(source)));
        }
        tags
    }

    /// Writes `text` under `name`: a new version of an existing secret when `exists`, else a
    /// new secret, which the service refuses when the name is taken ([`Put::NameTaken`]).
    fn put(
        &self,
        kind: SecretKind,
        id: &str,
        name: &str,
        text: &str,
        exists: bool,
        context: &WriteContext,
    ) -> Result<Put, StoreError> {
        match &self.client {
            Client::SecretsManager(client) => {
                if text.len() > SECRETS_MANAGER_MAX_BYTES {
                    return Err(self.unrepresentable(kind, id, format!("the value is {} bytes; Secrets Manager holds at most {SECRETS_MANAGER_MAX_BYTES}", text.len())));
                }
                let token = request_token(name, text);
                if exists {
                    self.block_on(
                        client
                            .put_secret_value()
                            .secret_id(name)
                            .secret_string(text)
                            .client_request_token(token)
                            .send(),
                    )
                    .map(|_| Put::Written)
                    .map_err(|e| {
                        self.failed(
                            kind,
                            id,
                            "secretsmanager:PutSecretValue",
                            CallError::from_sdk(&e),
                            Some(text),
                        )
                    })
                } else {
                    let tags: Vec<sm::types::Tag> = Self::tags(context)
                        .into_iter()
                        .map(|(k, v)| sm::types::Tag::builder().key(k).value(v).build())
                        .collect();
                    let result = self.block_on(
                        client
                            .create_secret()
                            .name(name)
                            .secret_string(text)
                            .client_request_token(token)
                            .set_kms_key_id(self.kms_key_id.clone())
                            .description(format!(
                                "Airflow {} `{id}`, written by airseal",
                                kind.name()
                            ))
                            .set_tags(Some(tags))
                            .send(),
                    );
                    match result {
                        Ok(_) => Ok(Put::Written),
                        Err(error) => {
                            let error = CallError::from_sdk(&error);
                            if error.is("ResourceExistsException") {
                                return Ok(Put::NameTaken);
                            }
                            if error.is("InvalidRequestException")
                                && error.message.contains("deletion")
                            {
                                return Err(StoreError::Backend {
                                    kind: kind.name(),
                                    id: id.to_owned(),
                                    store: self.describe(),
                                    message: format!(
                                        "`{name}` is scheduled for deletion: restore it (`aws secretsmanager restore-secret`) or wait, then re-run"
                                    ),
                                });
                            }
                            Err(self.failed(
                                kind,
                                id,
                                "secretsmanager:CreateSecret",
                                error,
                                Some(text),
                            ))
                        }
                    }
                }
            }
            Client::ParameterStore(client) => {
                let Some(tier) = ssm_tier(text) else {
                    return Err(self.unrepresentable(kind, id, format!("the value is {} bytes; an SSM parameter holds at most {SSM_ADVANCED_MAX_BYTES} (Advanced tier)", text.len())));
                };
                let mut request = client
                    .put_parameter()
                    .name(name)
                    .value(text)
                    .r#type(ssm::types::ParameterType::SecureString)
                    .tier(tier)
                    .set_key_id(self.kms_key_id.clone())
                    .description(format!(
                        "Airflow {} `{id}`, written by airseal",
                        kind.name()
                    ));
                if exists {
                    // SSM refuses tags together with Overwrite; the parameter keeps its tags.
                    request = request.overwrite(true);
                } else {
                    let tags = ssm_tags(&Self::tags(context))
                        .map_err(|reason| self.unrepresentable(kind, id, reason))?;
                    request = request.set_tags(Some(tags));
                }
                match self.block_on(request.send()) {
                    Ok(_) => Ok(Put::Written),
                    Err(error) => {
                        let error = CallError::from_sdk(&error);
                        if !exists && error.is("ParameterAlreadyExists") {
                            return Ok(Put::NameTaken);
                        }
                        Err(self.failed(kind, id, "ssm:PutParameter", error, Some(text)))
                    }
                }
            }
        }
    }

    fn aws_aliases(&self) -> bool {
        matches!(self.client, Client::SecretsManager(_))
    }
}

/// A `ClientRequestToken` (32–64 characters) that is the same for the same name and value:
/// Secrets Manager treats a repeated token with the same value as the same request, so a
/// retry or a re-run never adds a version.
fn request_token(name: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Tag values allow letters, digits, spaces and `_.:/=+-@` (256 characters at most): other
/// characters of a source path become `_`.
fn tag_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    cleaned
        .chars()
        .rev()
        .take(256)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// The smallest SSM tier that holds `text`; `None` when none does.
fn ssm_tier(text: &str) -> Option<ssm::types::ParameterTier> {
    if text.len() <= SSM_STANDARD_MAX_BYTES {
        Some(ssm::types::ParameterTier::Standard)
    } else if text.len() <= SSM_ADVANCED_MAX_BYTES {
        Some(ssm::types::ParameterTier::Advanced)
    } else {
        None
    }
}

fn ssm_tags(tags: &[(String, String)]) -> Result<Vec<ssm::types::Tag>, String> {
    tags.iter()
        .map(|(k, v)| {
            ssm::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| format!("tag `{k}`: {e}"))
        })
        .collect()
}

impl SecretStore for AwsStore {
    fn describe(&self) -> String {
        match self.client {
            Client::SecretsManager(_) => format!("AWS Secrets Manager ({})", self.region),
            Client::ParameterStore(_) => format!("AWS SSM Parameter Store ({})", self.region),
        }
    }

    fn name_of(&self, kind: SecretKind, id: &str) -> Option<String> {
        self.naming.name(kind, id, lookup_pattern_matches)
    }

    fn read_back(&self, kind: SecretKind, value: &SecretValue) -> SecretValue {
        SecretValue::from_stored_text(kind, &value.stored_text(self.form), self.aws_aliases())
            .unwrap_or_else(|_| value.clone())
    }

    fn read(&self, kind: SecretKind, id: &str) -> Result<Option<SecretValue>, StoreError> {
        let Some(text) = self.read_stage(kind, id, None)? else {
            return Ok(None);
        };
        SecretValue::from_stored_text(kind, &text, self.aws_aliases())
            .map(Some)
            .map_err(|e| self.undecodable(kind, id, &e))
    }

    fn write(
        &self,
        kind: SecretKind,
        id: &str,
        value: &SecretValue,
        overwrite: bool,
        context: &WriteContext,
    ) -> Result<WriteOutcome, StoreError> {
        let name = self.name(kind, id)?;
        let text = value.stored_text(self.form);
        // Create first when the plan saw nothing: the service itself refuses a taken name,
        // and only then is the stored value read and compared below.
        if context.absent_at_plan
            && self.put(kind, id, &name, &text, false, context)? == Put::Written
        {
            return Ok(WriteOutcome::Created);
        }
        let existing = self.read_stage(kind, id, None)?;
        let outcome = match existing {
            Some(stored) => {
                let same = SecretValue::from_stored_text(kind, &stored, self.aws_aliases())
                    .is_ok_and(|stored| stored.same_as(&self.read_back(kind, value)));
                if same {
                    return Ok(WriteOutcome::Unchanged);
                }
                if !overwrite {
                    return Err(StoreError::Conflict {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: format!("{} as `{name}`", self.describe()),
                    });
                }
                WriteOutcome::Updated
            }
            None => WriteOutcome::Created,
        };
        match self.put(
            kind,
            id,
            &name,
            &text,
            outcome == WriteOutcome::Updated,
            context,
        )? {
            Put::Written => Ok(outcome),
            Put::NameTaken => Err(StoreError::Backend {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: format!(
                    "`{name}` was created by another writer while airseal wrote it: re-run to compare"
                ),
            }),
        }
    }

    fn staged(&self) -> Option<&dyn crate::staged::StagedStore> {
        Some(self)
    }

    fn list_ids(&self, kind: SecretKind) -> Result<Option<Vec<String>>, StoreError> {
        const MARK: &str = "\u{1}";
        let Some(template) = self.naming.name(kind, MARK, |_, _| true) else {
            return Ok(Some(Vec::new()));
        };
        let prefix = template.split(MARK).next().unwrap_or_default();
        let names = self.list(prefix)?;
        Ok(Some(
            names
                .iter()
                .filter_map(|name| self.naming.id_of(kind, name, lookup_pattern_matches))
                .collect(),
        ))
    }

    fn read_batch_size(&self) -> usize {
        match self.client {
            Client::SecretsManager(_) => SECRETS_MANAGER_BATCH,
            Client::ParameterStore(_) => SSM_BATCH,
        }
    }

    fn read_many(
        &self,
        kind: SecretKind,
        ids: &[&str],
    ) -> Vec<Result<Option<SecretValue>, StoreError>> {
        let texts = self.read_texts(kind, ids);
        ids.iter()
            .zip(texts)
            .map(|(id, text)| {
                let Some(text) = text? else { return Ok(None) };
                SecretValue::from_stored_text(kind, &text, self.aws_aliases())
                    .map(Some)
                    .map_err(|e| self.undecodable(kind, id, &e))
            })
            .collect()
    }

    fn metadata(&self, kind: SecretKind, id: &str) -> Result<Option<SecretMetadata>, StoreError> {
        let name = self.name(kind, id)?;
        let time = |t: Option<&sm::primitives::DateTime>| {
            t.and_then(|t| t.fmt(sm::primitives::DateTimeFormat::DateTime).ok())
        };
        match &self.client {
            Client::SecretsManager(client) => {
                let output = match self.block_on(client.describe_secret().secret_id(&name).send()) {
                    Ok(output) => output,
                    Err(error) => {
                        let error = CallError::from_sdk(&error);
                        if error.is("ResourceNotFoundException") {
                            return Ok(None);
                        }
                        return Err(self.failed(
                            kind,
                            id,
                            "secretsmanager:DescribeSecret",
                            error,
                            None,
                        ));
                    }
                };
                let version = output.version_ids_to_stages().and_then(|versions| {
                    versions
                        .iter()
                        .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                        .map(|(version, _)| version.clone())
                });
                Ok(Some(SecretMetadata {
                    name,
                    last_changed: time(output.last_changed_date()),
                    last_rotated: time(output.last_rotated_date()),
                    last_accessed: time(output.last_accessed_date()),
                    version,
                    kms_key: output.kms_key_id().map(str::to_owned),
                    created: time(output.created_date()),
                    rotation_enabled: Some(output.rotation_enabled().unwrap_or(false)),
                    rotation_lambda: output.rotation_lambda_arn().map(str::to_owned),
                    next_rotation: time(output.next_rotation_date()),
                    tags: output
                        .tags()
                        .iter()
                        .map(|t| {
                            (
                                t.key().unwrap_or_default().to_owned(),
                                t.value().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect(),
                }))
            }
            Client::ParameterStore(client) => {
                let output = match self.block_on(
                    client
                        .get_parameter()
                        .name(&name)
                        .with_decryption(false)
                        .send(),
                ) {
                    Ok(output) => output,
                    Err(error) => {
                        let error = CallError::from_sdk(&error);
                        if error.is("ParameterNotFound") {
                            return Ok(None);
                        }
                        return Err(self.failed(kind, id, "ssm:GetParameter", error, None));
                    }
                };
                let parameter = output.parameter();
                let tags = self
                    .block_on(
                        client
                            .list_tags_for_resource()
                            .resource_type(ssm::types::ResourceTypeForTagging::Parameter)
                            .resource_id(&name)
                            .send(),
                    )
                    .map_err(|e| {
                        self.failed(
                            kind,
                            id,
                            "ssm:ListTagsForResource",
                            CallError::from_sdk(&e),
                            None,
                        )
                    })?;
                Ok(Some(SecretMetadata {
                    name,
                    last_changed: time(parameter.and_then(|p| p.last_modified_date())),
                    version: parameter.map(|p| p.version().to_string()),
                    kms_key: self.kms_key_id.clone(),
                    tags: tags
                        .tag_list()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect(),
                    ..SecretMetadata::default()
                }))
            }
        }
    }
}

/// Secrets Manager's staging labels.
const AWSCURRENT: &str = "AWSCURRENT";
const AWSPENDING: &str = "AWSPENDING";
const AWSPREVIOUS: &str = "AWSPREVIOUS";

impl AwsStore {
    fn secrets_manager(&self, id: &str) -> Result<&sm::Client, StoreError> {
        match &self.client {
            Client::SecretsManager(client) => Ok(client),
            Client::ParameterStore(_) => Err(StoreError::NotConfigured {
                kind: "connection",
                id: id.to_owned(),
                store: self.describe(),
                reason: "only Secrets Manager does this; SSM Parameter Store does not".to_owned(),
            }),
        }
    }

    /// The text and `VersionId` at `stage`; `None` when the secret or the stage is absent.
    fn stage_version(&self, id: &str, stage: &str) -> Result<Option<(String, String)>, StoreError> {
        let kind = SecretKind::Connection;
        let name = self.name(kind, id)?;
        let client = self.secrets_manager(id)?;
        let result = self.block_on(
            client
                .get_secret_value()
                .secret_id(&name)
                .version_stage(stage)
                .send(),
        );
        match result {
            Ok(output) => Ok(output.secret_string().map(|text| {
                (
                    text.to_owned(),
                    output.version_id().unwrap_or_default().to_owned(),
                )
            })),
            Err(error) => {
                let error = CallError::from_sdk(&error);
                if error.is("ResourceNotFoundException") {
                    Ok(None)
                } else {
                    Err(self.failed(kind, id, "secretsmanager:GetSecretValue", error, None))
                }
            }
        }
    }

    fn staged_at(
        &self,
        id: &str,
        stage: &str,
    ) -> Result<Option<crate::staged::StagedVersion>, StoreError> {
        let Some((text, version)) = self.stage_version(id, stage)? else {
            return Ok(None);
        };
        match SecretValue::from_stored_text(SecretKind::Connection, &text, true) {
            Ok(SecretValue::Connection(connection)) => Ok(Some(crate::staged::StagedVersion {
                connection,
                version: Some(version),
            })),
            Ok(SecretValue::Text(_)) => Ok(None),
            Err(error) => Err(self.undecodable(SecretKind::Connection, id, &error)),
        }
    }

    /// Each version id with its staging labels.
    fn versions(&self, id: &str) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let name = self.name(SecretKind::Connection, id)?;
        let client = self.secrets_manager(id)?;
        let output = self
            .block_on(client.describe_secret().secret_id(&name).send())
            .map_err(|e| {
                self.failed(
                    SecretKind::Connection,
                    id,
                    "secretsmanager:DescribeSecret",
                    CallError::from_sdk(&e),
                    None,
                )
            })?;
        Ok(output
            .version_ids_to_stages()
            .map(|versions| {
                versions
                    .iter()
                    .map(|(version, stages)| (version.clone(), stages.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn move_stage(
        &self,
        id: &str,
        stage: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), StoreError> {
        let name = self.name(SecretKind::Connection, id)?;
        let client = self.secrets_manager(id)?;
        self.block_on(
            client
                .update_secret_version_stage()
                .secret_id(&name)
                .version_stage(stage)
                .set_move_to_version_id(to.map(str::to_owned))
                .set_remove_from_version_id(from.map(str::to_owned))
                .send(),
        )
        .map(|_| ())
        .map_err(|e| {
            self.failed(
                SecretKind::Connection,
                id,
                "secretsmanager:UpdateSecretVersionStage",
                CallError::from_sdk(&e),
                None,
            )
        })
    }
}

impl crate::staged::StagedStore for AwsStore {
    fn describe_staged(&self) -> String {
        self.describe()
    }

    fn current(&self, id: &str) -> Result<Option<crate::staged::StagedVersion>, StoreError> {
        if !self.aws_aliases() {
            return self.ssm_staged_current(id);
        }
        self.staged_at(id, AWSCURRENT)
    }

    fn pending(&self, id: &str) -> Result<Option<crate::staged::StagedVersion>, StoreError> {
        if !self.aws_aliases() {
            return self.ssm_staged_pending(id);
        }
        // A pending label left on the current version (a rotation finished by another tool
        // that did not remove it) is no pending version.
        let pending = self.staged_at(id, AWSPENDING)?;
        let Some(pending) = pending else {
            return Ok(None);
        };
        let current = self.stage_version(id, AWSCURRENT)?.map(|(_, v)| v);
        Ok((pending.version != current).then_some(pending))
    }

    fn previous(&self, id: &str) -> Result<Option<crate::staged::StagedVersion>, StoreError> {
        if !self.aws_aliases() {
            return self.ssm_staged_previous(id);
        }
        self.staged_at(id, AWSPREVIOUS)
    }

    fn put_pending(
        &self,
        id: &str,
        connection: &airseal_connection::Connection,
        token: &str,
    ) -> Result<(), StoreError> {
        if !self.aws_aliases() {
            return self.ssm_put_pending(id, connection, token);
        }
        let kind = SecretKind::Connection;
        let name = self.name(kind, id)?;
        let client = self.secrets_manager(id)?;
        let Some((current_text, _)) = self.stage_version(id, AWSCURRENT)? else {
            return Err(StoreError::Backend {
                kind: kind.name(),
                id: id.to_owned(),
                store: self.describe(),
                message: "no current version to rotate".to_owned(),
            });
        };
        let text = airseal_connection::with_credentials(
            &current_text,
            connection,
            true,
            airseal_connection::Dialect::Airflow3,
        );
        let result = self.block_on(
            client
                .put_secret_value()
                .secret_id(&name)
                .client_request_token(token)
                .secret_string(&text)
                .version_stages(AWSPENDING)
                .send(),
        );
        match result {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = CallError::from_sdk(&error);
                // The same token again: Secrets Manager answers `ResourceExistsException` when
                // the value differs, and succeeds when it is the same.
                if error.is("ResourceExistsException") {
                    return Err(StoreError::Conflict {
                        kind: kind.name(),
                        id: id.to_owned(),
                        store: format!("{} (version {token})", self.describe()),
                    });
                }
                Err(self.failed(
                    kind,
                    id,
                    "secretsmanager:PutSecretValue",
                    error,
                    Some(&text),
                ))
            }
        }
    }

    fn promote(&self, id: &str, token: &str) -> Result<(), StoreError> {
        if !self.aws_aliases() {
            return self.ssm_promote(id, token);
        }
        let versions = self.versions(id)?;
        let has = |version: &str, stage: &str| {
            versions
                .iter()
                .any(|(v, stages)| v == version && stages.iter().any(|s| s == stage))
        };
        if !versions.iter().any(|(v, _)| v == token) {
            return Err(StoreError::Backend {
                kind: "connection",
                id: id.to_owned(),
                store: self.describe(),
                message: format!("no version {token} to promote"),
            });
        }
        let current = versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == AWSCURRENT))
            .map(|(v, _)| v.clone());
        if current.as_deref() != Some(token) {
            // Moving AWSCURRENT makes Secrets Manager put AWSPREVIOUS on the old current.
            self.move_stage(id, AWSCURRENT, Some(token), current.as_deref())?;
        }
        if has(token, AWSPENDING) {
            self.move_stage(id, AWSPENDING, None, Some(token))?;
        }
        Ok(())
    }

    fn record_rotation(
        &self,
        id: &str,
        record: &crate::staged::RotationRecord,
    ) -> Result<(), StoreError> {
        let tags: Vec<(String, String)> = record
            .tags()
            .into_iter()
            .map(|(k, v)| (k, tag_value(&v)))
            .collect();
        self.tag(SecretKind::Connection, id, &tags)
    }

    fn enable_native_rotation(
        &self,
        id: &str,
        rotation: &crate::staged::NativeRotation,
    ) -> Result<(), StoreError> {
        let name = self.name(SecretKind::Connection, id)?;
        let client = self.secrets_manager(id)?;
        let rules = sm::types::RotationRulesType::builder()
            .set_automatically_after_days(rotation.after_days)
            .set_schedule_expression(rotation.schedule_expression.clone())
            .set_duration(rotation.window.clone())
            .build();
        self.block_on(
            client
                .rotate_secret()
                .secret_id(&name)
                .rotation_lambda_arn(&rotation.lambda_arn)
                .rotation_rules(rules)
                .rotate_immediately(rotation.rotate_immediately)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| {
            self.failed(
                SecretKind::Connection,
                id,
                "secretsmanager:RotateSecret",
                CallError::from_sdk(&e),
                None,
            )
        })
    }

    fn last_rotation(&self, id: &str) -> Result<Option<crate::staged::RotationRecord>, StoreError> {
        let Some(metadata) = SecretStore::metadata(self, SecretKind::Connection, id)? else {
            return Ok(None);
        };
        let tag = |key: &str| {
            metadata
                .tags
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        Ok(
            tag(crate::staged::ROTATED_AT_TAG).map(|rotated_at| crate::staged::RotationRecord {
                rotated_at,
                version: tag(crate::staged::ROTATION_VERSION_TAG).unwrap_or_default(),
                strategy: tag(crate::staged::ROTATION_STRATEGY_TAG).unwrap_or_default(),
                user: tag(crate::staged::ROTATION_USER_TAG).unwrap_or_default(),
            }),
        )
    }
}
