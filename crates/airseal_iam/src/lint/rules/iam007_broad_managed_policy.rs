//! ## What it does
//! Finds an AWS-managed policy that reads or writes every secret of the account, referenced by
//! its ARN where it is attached: CloudFormation and SAM templates (`ManagedPolicyArns:`,
//! `Policies:`), Terraform (`policy_arn = ...`, `managed_policy_arns = [...]`) and the output
//! of `aws iam list-attached-role-policies` (`"PolicyArn": ...`), in `*.json`, `*.yaml`,
//! `*.yml`, `*.tf` and `*.template` files. Severity is high for the policies that write or
//! administer (`AdministratorAccess`, `PowerUserAccess`, `IAMFullAccess`,
//! `SecretsManagerReadWrite`, `AmazonSSMFullAccess`) and medium for those that read every
//! secret or parameter (`ReadOnlyAccess`, `AmazonSSMReadOnlyAccess`,
//! `AWSSecretsManagerClientReadOnlyAccess`). Every partition is recognised (`arn:aws:`,
//! `arn:aws-cn:`, `arn:aws-us-gov:`, `arn:${AWS::Partition}:`); an ARN in a comment, in a
//! policy `Statement` or `Condition` (a guard that denies attaching it) or used as a
//! `PermissionsBoundary` (a limit, not a grant) is not reported.
//! ## Why is this bad?
//! Airflow's reader role needs one action on its own prefixes. These policies grant it on every
//! secret or parameter of the account — other applications' database masters, CI tokens —
//! and the write and admin ones let whoever gets a worker's credentials replace a
//! connection's password with their own, delete secrets, or grant themselves anything else.
//! ## Example
//! ```yaml
//! AirflowWorkerRole:
//!   Type: AWS::IAM::Role
//!   Properties:
//!     ManagedPolicyArns:
//!       - arn:aws:iam::aws:policy/SecretsManagerReadWrite
//! ```
//! ## How to fix
//! Detach it and attach a customer-managed policy with only the read on the backend's prefixes
//! instead (`airseal iam policy` prints it); give wider rights to a separate deployment role
//! that Airflow's workers cannot assume.

use std::ops::Range;

use airseal_finding::{Confidence, Severity, StaticRule};
use airseal_yaml::Node;

pub const RULE: StaticRule = StaticRule {
    code: "IAM007",
    name: "broad-managed-policy",
    summary: "AWS-managed policy attached that reads or writes every secret of the account",
    severity: Severity::High,
    confidence: Confidence::Medium,
    overlap_rank: None,
    references: &[
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-policies.html",
    ],
    source: include_str!("iam007_broad_managed_policy.rs"),
};

/// An AWS-managed policy the rule reports, by its path after `:policy/`.
#[derive(Debug, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub path: &'static str,
    pub severity: Severity,
    /// What it grants, completing "AWS-managed `X` attached: it ...".
    pub grants: &'static str,
}

/// Only policies that grant reading or writing secrets beyond a prefix. Left out on purpose:
/// `AmazonSSMManagedInstanceCore` and the deprecated `service-role/AmazonEC2RoleforSSM` (both
/// allow `ssm:GetParameter(s)` on `*`, but they are what the SSM agent on every EC2 instance
/// needs, so reporting them would bury the findings that matter), `ViewOnlyAccess` and
/// `SecurityAudit` (list secrets' names, never their values).
pub const POLICIES: &[ManagedPolicy] = &[
    // `*` on `*`.
    ManagedPolicy {
        path: "AdministratorAccess",
        severity: Severity::High,
        grants: "allows every action on every resource, so every secret and parameter can be read, overwritten or deleted",
    },
    // `NotAction` iam/organizations/account on `*`: includes `secretsmanager:*`, `ssm:*`, `kms:*`.
    ManagedPolicy {
        path: "PowerUserAccess",
        severity: Severity::High,
        grants: "allows every action outside IAM, including `secretsmanager:*`, `ssm:*` and `kms:*` on every resource",
    },
    // `iam:*` on `*`: the role can attach `AdministratorAccess` to itself.
    ManagedPolicy {
        path: "IAMFullAccess",
        severity: Severity::High,
        grants: "allows `iam:*`, so the role can grant itself every secret (or anything else) by attaching another policy",
    },
    // `secretsmanager:*` on `*`.
    ManagedPolicy {
        path: "SecretsManagerReadWrite",
        severity: Severity::High,
        grants: "allows `secretsmanager:*` on every secret: reading, overwriting, deleting and changing their resource policies",
    },
    // `ssm:*` on `*`.
    ManagedPolicy {
        path: "AmazonSSMFullAccess",
        severity: Severity::High,
        grants: "allows `ssm:*` on every parameter: reading, overwriting and deleting them",
    },
    // `ssm:Get*`, `ssm:Describe*`, `ssm:List*` on `*`.
    ManagedPolicy {
        path: "AmazonSSMReadOnlyAccess",
        severity: Severity::Medium,
        grants: "allows `ssm:Get*` on every parameter: every SecureString under the default `aws/ssm` key can be read",
    },
    // Includes `ssm:Get*` on `*` and `secretsmanager:List*` / `Describe*` on `*`.
    ManagedPolicy {
        path: "ReadOnlyAccess",
        severity: Severity::Medium,
        grants: "allows `ssm:Get*` on every parameter and lists every secret's name and metadata",
    },
    // `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:*:*:secret:*` plus the
    // matching `kms:Decrypt` through Secrets Manager.
    ManagedPolicy {
        path: "AWSSecretsManagerClientReadOnlyAccess",
        severity: Severity::Medium,
        grants: "allows `secretsmanager:GetSecretValue` on every secret in every region, and decrypting them",
    },
];

const ANCHOR: &str = ":iam::aws:policy/";

/// A finding before placement: severity, span of the ARN, message, fix.
pub type TextReport = (Severity, Range<usize>, String, String);

/// The reported policy ARNs of a file's text; `structured` when it is JSON or YAML (read as a
/// tree for context), otherwise Terraform (read by its assignments).
pub fn check_text(text: &str, structured: bool) -> Vec<TextReport> {
    let found = find(text);
    if found.is_empty() {
        return Vec::new();
    }
    let tree = if structured {
        airseal_yaml::parse_documents(text).ok()
    } else {
        None
    };
    let scalars = tree.map(|documents| {
        let mut scalars = Vec::new();
        for document in &documents {
            collect_scalars(document, false, &mut scalars);
        }
        scalars
    });
    found
        .into_iter()
        .filter(|(span, _)| match &scalars {
            // In a tree: only ARNs in a value (not a comment) outside the excluded keys.
            Some(scalars) => scalars
                .iter()
                .any(|(s, excluded)| s.start <= span.start && span.end <= s.end && !excluded),
            None => attached_by_assignment(text, span.start),
        })
        .map(|(span, policy)| {
            let path = policy.path;
            (
                policy.severity,
                span,
                format!("AWS-managed `{path}` attached: it {}", policy.grants),
                format!(
                    "Detach `{path}`; attach a customer-managed policy with only the read on the backend's prefixes (`airseal iam policy` prints it), and give wider rights to a role Airflow's workers cannot assume."
                ),
            )
        })
        .collect()
}

/// Every `arn:<partition>:iam::aws:policy/<path>` of a listed policy, with the span from `arn:`
/// (or from `:iam::` when the partition is joined in separately, as in `Fn::Join`) to the end of
/// the path.
pub fn find(text: &str) -> Vec<(Range<usize>, &'static ManagedPolicy)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (anchor, _) in text.match_indices(ANCHOR) {
        let path_start = anchor + ANCHOR.len();
        let mut end = path_start;
        while end < bytes.len() && is_path_byte(bytes[end]) {
            end += 1;
        }
        // A sentence's full stop or a list's comma is not part of the name.
        while end > path_start && matches!(bytes[end - 1], b'.' | b',' | b'/') {
            end -= 1;
        }
        let path = &text[path_start..end];
        let Some(policy) = POLICIES.iter().find(|p| p.path == path) else {
            continue;
        };
        found.push((arn_start(text, anchor)..end, policy));
    }
    found
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b',' | b'.' | b'@' | b'_' | b'-' | b'/')
}

/// Where the ARN ending in `:iam::` at `anchor` starts: at its `arn:` when the partition is a
/// name (`aws`, `aws-us-gov`) or a `${...}` variable, otherwise at the anchor.
fn arn_start(text: &str, anchor: usize) -> usize {
    let before = &text[..anchor];
    let partition_start = if before.ends_with('}') {
        before.rfind("${")
    } else {
        let name = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'-')
            .count();
        (name > 0).then(|| anchor - name)
    };
    match partition_start {
        Some(p) if text[..p].ends_with("arn:") => p - "arn:".len(),
        _ => anchor,
    }
}

/// Keys under which a managed policy's ARN is not an attachment: policy documents (where it is
/// the resource or condition of a guard on attaching it), trust policies, and permissions
/// boundaries. Compared without case and `_`.
const NOT_ATTACHED_UNDER: &[&str] = &[
    "statement",
    "condition",
    "policydocument",
    "assumerolepolicydocument",
    "assumerolepolicy",
    "permissionsboundary",
];

fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every scalar's span, and whether it is under a key that does not attach.
fn collect_scalars(node: &Node, excluded: bool, out: &mut Vec<(Range<usize>, bool)>) {
    match node {
        Node::Scalar { span, .. } => out.push((span.clone(), excluded)),
        Node::Mapping { entries, .. } => {
            for (key, value) in entries {
                let key = key.as_str().unwrap_or_default();
                // `"Arn"` lists policies without attaching them (`aws iam list-policies`,
                // `get-account-authorization-details`); Terraform's `arn` is kept.
                let listing = key == "Arn" && matches!(value, Node::Scalar { .. });
                let under = NOT_ATTACHED_UNDER.contains(&normalized(key).as_str());
                collect_scalars(value, excluded || under || listing, out);
            }
        }
        Node::Sequence { items, .. } => {
            for item in items {
                collect_scalars(item, excluded, out);
            }
        }
        Node::Alias { .. } => {}
    }
}

/// Keys of a Terraform assignment whose value does not attach the policy: the statement and
/// condition of an `aws_iam_policy_document` or `jsonencode` policy, and boundaries.
const NOT_ATTACHED_BY: &[&str] = &[
    "resources",
    "resource",
    "notresources",
    "notresource",
    "values",
    "condition",
    "permissionsboundary",
];

/// Whether the ARN at `start` of a Terraform (or unparsable) file is attached: not in a comment,
/// and not the value of a key in [`NOT_ATTACHED_BY`] or of a condition key (`"iam:PolicyARN"`).
fn attached_by_assignment(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..start].trim_start();
    if before.starts_with('#') || before.starts_with("//") {
        return false;
    }
    match assigned_key(text, start) {
        Some(key) => !(key.contains(':') || NOT_ATTACHED_BY.contains(&normalized(key).as_str())),
        None => true,
    }
}

/// The key whose value holds the ARN at `start`: reading backwards over the list brackets and
/// other strings around it to the nearest `=` (HCL) or `:` (YAML, JSON), then the name or
/// quoted string before it. `None` at the start of a block or after 4 KiB.
fn assigned_key(text: &str, start: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let floor = start.saturating_sub(4096);
    let mut i = start;
    // Step over the ARN's own opening quote.
    if i > 0 && matches!(bytes[i - 1], b'"' | b'\'') {
        i -= 1;
    }
    let mut depth = 0usize;
    while i > floor {
        i -= 1;
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                // Skip the string that ends here.
                i = text[floor..i].rfind(char::from(quote)).map(|q| floor + q)?;
            }
            b']' | b')' | b'}' => depth += 1,
            b'[' | b'(' => depth = depth.saturating_sub(1),
            b'{' if depth > 0 => depth -= 1,
            b'{' => return None,
            b'=' | b':' if depth == 0 => {
                let operator = i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>');
                if bytes[i] == b'=' && (operator || bytes.get(i + 1) == Some(&b'=')) {
                    continue;
                }
                return key_before(text, i);
            }
            _ => {}
        }
    }
    None
}

/// The name or quoted string that ends just before `at` (spaces skipped).
fn key_before(text: &str, at: usize) -> Option<&str> {
    let head = text[..at].trim_end_matches([' ', '\t']);
    if let Some(quoted) = head.strip_suffix('"') {
        let open = quoted.rfind('"')?;
        return Some(&quoted[open + 1..]);
    }
    let name_len = head
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    (name_len > 0).then(|| &head[head.len() - name_len..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str, structured: bool) -> Vec<(String, Severity)> {
        check_text(text, structured)
            .into_iter()
            .map(|(severity, span, ..)| (text[span].to_owned(), severity))
            .collect()
    }

    #[test]
    fn arns_are_found_in_every_partition_and_spanned_exactly() {
        let text = r#"a = "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"
b = "arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"
c = ":iam::aws:policy/PowerUserAccess"
d = "arn:aws:iam::aws:policy/AdministratorAccess-Amplify"
e = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
f = "arn:aws:iam::123456789012:policy/AdministratorAccess""#;
        let found: Vec<&str> = find(text).into_iter().map(|(s, _)| &text[s]).collect();
        assert_eq!(
            found,
            [
                "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
                "arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess",
                ":iam::aws:policy/PowerUserAccess",
            ]
        );
    }

    #[test]
    fn cli_output_is_reported_and_policy_listings_are_not() {
        let attached = r#"{"AttachedPolicies": [
  {"PolicyName": "SecretsManagerReadWrite", "PolicyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"},
  {"PolicyName": "AmazonSSMReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"}
]}"#;
        assert_eq!(
            paths(attached, true),
            [
                (
                    "arn:aws:iam::aws:policy/SecretsManagerReadWrite".to_owned(),
                    Severity::High
                ),
                (
                    "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess".to_owned(),
                    Severity::Medium
                ),
            ]
        );
        let listed = r#"{"Policies": [{"PolicyName": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "AttachmentCount": 0}]}"#;
        assert_eq!(paths(listed, true), []);
    }

    #[test]
    fn terraform_keys_decide() {
        let text = r#"
policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonSSMFullAccess"]
permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
  # policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
values = ["arn:aws:iam::aws:policy/SecretsManagerReadWrite", "arn:aws:iam::aws:policy/AdministratorAccess"]
Condition = { ArnEquals = { "iam:PolicyARN" = "arn:aws:iam::aws:policy/AdministratorAccess" } }
policies = { admin = "arn:aws:iam::aws:policy/AdministratorAccess" }
"#;
        let found: Vec<String> = paths(text, false).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            found,
            [
                "arn:aws:iam::aws:policy/IAMFullAccess",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/AmazonSSMFullAccess",
                "arn:aws:iam::aws:policy/AdministratorAccess",
            ]
        );
    }

    #[test]
    fn yaml_comments_boundaries_and_statements_are_not_attachments() {
        let text = "# - arn:aws:iam::aws:policy/AdministratorAccess\nRole:\n  ManagedPolicyArns:\n    - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonSSMFullAccess\n  PermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess\n  Policies:\n    - PolicyDocument:\n        Statement:\n          - Effect: Deny\n            Resource: arn:aws:iam::aws:policy/AdministratorAccess\n";
        let found: Vec<String> = paths(text, true).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            found,
            ["arn:${AWS::Partition}:iam::aws:policy/AmazonSSMFullAccess"]
        );
    }

    #[test]
    fn every_listed_policy_is_unique_and_graded() {
        for (i, policy) in POLICIES.iter().enumerate() {
            assert!(POLICIES[..i].iter().all(|p| p.path != policy.path));
            assert!(matches!(policy.severity, Severity::High | Severity::Medium));
        }
    }
}
