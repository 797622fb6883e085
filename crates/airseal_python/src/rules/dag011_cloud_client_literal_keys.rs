//! ## What it does
//! Finds cloud SDK clients built with literal credentials: `boto3.client(...)`,
//! `boto3.resource(...)`, `boto3.Session(...)` and botocore sessions with
//! `aws_secret_access_key=` / `aws_session_token=` constants, `botocore.credentials.Credentials`,
//! Google's `from_service_account_info({... "private_key": "..."})`, and Azure's
//! `ClientSecretCredential`, `UsernamePasswordCredential`, `StorageSharedKeyCredential`,
//! `AzureNamedKeyCredential`, `AzureKeyCredential` / `AzureSasCredential` and storage clients'
//! `credential=` / `from_connection_string(...)` with an account key.
//! ## Why is this bad?
//! A literal cloud key in a DAG is a long-lived credential with whatever the IAM user or
//! service principal may do, outside every control Airflow and the cloud provide: it is not
//! scoped to the task, not rotated by the platform, and not tied to the worker's identity
//! (IRSA, workload identity, managed identity), so the cloud's audit trail shows the key, not
//! the workload.
//! ## Example
//! ```python
//! s3 = boto3.client(
//!     "s3",
//!     aws_access_key_id="AKIAQYLPMN5HFIQR7Q2X",
//!     aws_secret_access_key="q4Z8cJ0vXn2Lr7Ty1Wb9Ke3Hs6Pm5Ud0Ag8Fi2Oe",
//! )
//! ```
//! ## How to fix
//! Use the provider's Airflow hook with a connection (`S3Hook(aws_conn_id="aws_default")`,
//! `GCSHook(gcp_conn_id=...)`, `WasbHook(wasb_conn_id=...)`), and give the worker its own
//! identity (IRSA / EKS Pod Identity, GKE workload identity, Azure workload identity) so the
//! connection needs no key at all. Revoke the exposed key.

use ruff_python_ast::{Expr, ExprCall};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::registry::RuleSpec;
use crate::rules::argument;
use crate::semantic::{self, last_segment};
use crate::strings::{ValueKind, classify_value, static_string};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG011",
    name: "cloud-client-literal-keys",
    summary: "Cloud SDK client or credential built with a literal key",
    severity: Severity::Critical,
    confidence: Confidence::High,
    overlap_rank: Some(50),
    references: &[
        "https://airflow.apache.org/docs/apache-airflow-providers-amazon/stable/connections/aws.html",
        "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html",
    ],
    source: include_str!("dag011_cloud_client_literal_keys.rs"),
};

const AWS_FIX: &str = "Use `S3Hook(aws_conn_id=...)` / `AwsBaseHook(aws_conn_id=...).get_client_type(...)` with a connection, and give the worker an IAM role (IRSA / EKS Pod Identity / instance profile) so no key is needed. Revoke this key.";
const GCP_FIX: &str = "Use a Google provider hook with `gcp_conn_id=` whose connection uses workload identity or a key kept in the secrets backend. Revoke this key.";
const AZURE_FIX: &str = "Use an Azure provider hook (`WasbHook(wasb_conn_id=...)`, `AzureDataLakeStorageV2Hook`) with a connection, or `DefaultAzureCredential` with workload / managed identity. Rotate this secret.";

fn literal(expr: &Expr) -> bool {
    static_string(expr).is_some_and(|v| classify_value(&v) == ValueKind::Credential)
}

fn report(checker: &mut Checker<'_>, value: &Expr, what: &str, fix: &str) {
    checker.report(
        &RULE,
        expr_span(value),
        what.to_owned(),
        fix.to_owned(),
        true,
    );
}

pub fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let candidate = checker.imports.last_name(&call.func).is_some_and(|last| {
        matches!(
            last,
            "client"
                | "resource"
                | "Session"
                | "create_client"
                | "set_credentials"
                | "Credentials"
                | "from_service_account_info"
                | "ClientSecretCredential"
                | "UsernamePasswordCredential"
                | "CertificateCredential"
                | "StorageSharedKeyCredential"
                | "AzureNamedKeyCredential"
                | "AzureKeyCredential"
                | "AzureSasCredential"
                | "from_connection_string"
        ) || last.ends_with("Client")
    });
    if !candidate {
        return;
    }
    let Some(qualified) = checker.imports.qualified(&call.func) else {
        return;
    };
    let last = last_segment(&qualified);
    let aws = qualified.starts_with("boto3")
        || qualified.starts_with("botocore")
        || matches!(
            last,
            "client" | "resource" | "Session" | "create_client" | "set_credentials"
        );
    if aws {
        for name in ["aws_secret_access_key", "aws_session_token"] {
            if let Some(value) = semantic::keyword(call, name)
                && literal(value)
            {
                report(
                    checker,
                    value,
                    &format!("AWS client built with a literal `{name}`"),
                    AWS_FIX,
                );
            }
        }
    }
    if (qualified == "botocore.credentials.Credentials" || last == "set_credentials")
        && let Some(secret) = argument(call, 1, "secret_key")
        && literal(secret)
    {
        report(
            checker,
            secret,
            "AWS credentials built from a literal secret key",
            AWS_FIX,
        );
    }
    if last == "from_service_account_info"
        && let Some(Expr::Dict(info)) = call.arguments.args.first()
    {
        for item in &info.items {
            if item.key.as_ref().and_then(static_string).as_deref() == Some("private_key")
                && literal(&item.value)
            {
                report(
                    checker,
                    &item.value,
                    "Google credentials built from a literal service-account private key",
                    GCP_FIX,
                );
            }
        }
    }
    let azure_secret = match last {
        "ClientSecretCredential" => argument(call, 2, "client_secret"),
        "UsernamePasswordCredential" => argument(call, 3, "password"),
        "CertificateCredential" => semantic::keyword(call, "password"),
        "StorageSharedKeyCredential" => argument(call, 1, "account_key"),
        "AzureNamedKeyCredential" => argument(call, 1, "key"),
        "AzureKeyCredential" => argument(call, 0, "key"),
        "AzureSasCredential" => argument(call, 0, "signature"),
        "from_connection_string" => call
            .arguments
            .args
            .first()
            .or_else(|| semantic::keyword(call, "conn_str"))
            .filter(|v| {
                static_string(v).is_some_and(|s| {
                    s.contains("AccountKey=")
                        || s.contains("SharedAccessSignature=")
                        || s.contains("SharedAccessKey=")
                })
            }),
        _ if qualified.starts_with("azure.") && last.ends_with("Client") => {
            semantic::keyword(call, "credential")
        }
        _ => None,
    };
    if let Some(secret) = azure_secret
        && literal(secret)
    {
        report(
            checker,
            secret,
            &format!("Azure `{last}` built with a literal secret"),
            AZURE_FIX,
        );
    }
}
