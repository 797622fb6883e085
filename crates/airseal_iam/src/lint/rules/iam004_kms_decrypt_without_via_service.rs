//! ## What it does
//! Finds an `Allow` of `kms:Decrypt` without a `kms:ViaService` condition.
//! ## Why is this bad?
//! Without the condition the role can decrypt anything encrypted under the key by calling KMS
//! directly — other applications' data, snapshots, exported ciphertext — not only the secrets
//! Secrets Manager or Parameter Store decrypt on its behalf.
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
//! ```
//! ## How to fix
//! Add `"Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.<region>.amazonaws.com"}}`
//! (or `ssm.<region>.amazonaws.com`); `airseal iam policy --kms-key ARN` writes it.

use airseal_finding::{Confidence, Severity, StaticRule};

use crate::lint::{Report, Statement};

pub const RULE: StaticRule = StaticRule {
    code: "IAM004",
    name: "kms-decrypt-without-via-service",
    summary: "`kms:Decrypt` allowed without a `kms:ViaService` condition",
    severity: Severity::Medium,
    confidence: Confidence::High,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service",
    ],
    source: include_str!("iam004_kms_decrypt_without_via_service.rs"),
};

pub fn check(statements: &[Statement<'_>], reports: &mut Vec<Report>) {
    for statement in statements.iter().filter(|s| s.allow) {
        let via_service = statement.node.get("Condition").is_some_and(|condition| {
            condition.entries().iter().any(|(_, operands)| {
                operands.entries().iter().any(|(k, _)| {
                    k.as_str()
                        .is_some_and(|k| k.eq_ignore_ascii_case("kms:ViaService"))
                })
            })
        });
        if via_service {
            continue;
        }
        for (action, span) in &statement.actions {
            if action.eq_ignore_ascii_case("kms:Decrypt") {
                reports.push((
                    &RULE,
                    span.clone(),
                    "`kms:Decrypt` is allowed without `kms:ViaService`: the key decrypts anything, not only the secrets".to_owned(),
                    "Add a `kms:ViaService` condition naming secretsmanager.<region>.amazonaws.com (or ssm.<region>.amazonaws.com).".to_owned(),
                ));
            }
        }
    }
}
