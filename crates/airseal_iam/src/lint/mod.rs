//! `IAM###`: lint rules over IAM policy documents (`*.json` with `Version` and `Statement`), as
//! an analyzer of the scan: `airseal scan` finds them in a repository, `airseal iam lint FILE`
//! runs only them. The policy is read with `airseal_yaml` (JSON is YAML) for exact lines.
//! `IAM007` also reads templates, Terraform and `aws iam` output for attached AWS-managed
//! policies' ARNs.

mod rules;

use std::ops::Range;

use airseal_discovery::SourceFile;
use airseal_engine::{Analyzer, FileAnalysis};
use airseal_finding::{RuleMeta, StaticRule};
use airseal_yaml::Node;

pub use rules::RULES;

/// One `Statement` entry, flattened for the rules.
pub struct Statement<'a> {
    pub node: &'a Node,
    pub allow: bool,
    /// (action, its span) from `Action`.
    pub actions: Vec<(String, Range<usize>)>,
    pub resources: Vec<(String, Range<usize>)>,
    pub has_not_action: bool,
    pub has_not_resource: bool,
    /// Span of the statement's first line (its `Effect` or first key) for findings about it.
    pub span: Range<usize>,
}

/// The AWS backend and prefixes a project configures (read by `airseal doctor`), for `IAM008`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredScope {
    /// SSM Parameter Store rather than Secrets Manager.
    pub parameter_store: bool,
    pub prefixes: Vec<String>,
    /// Where they were read, for messages (`deploy/`).
    pub source: String,
}

#[derive(Debug, Default)]
pub struct IamAnalyzer {
    scope: Option<ConfiguredScope>,
}

impl IamAnalyzer {
    pub fn new() -> Self {
        IamAnalyzer::default()
    }

    /// Also check that policies let Airflow read these configured prefixes (`IAM008`).
    pub fn with_scope(scope: Option<ConfiguredScope>) -> Self {
        IamAnalyzer { scope }
    }

    pub fn codes() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.code)
    }
}

impl Analyzer for IamAnalyzer {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn rules(&self) -> Vec<RuleMeta> {
        RULES.iter().map(|r| r.meta()).collect()
    }

    fn analyze(&self, file: &SourceFile<'_>, out: &mut FileAnalysis<'_>) {
        let extension = file
            .path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if TEXT_EXTENSIONS.contains(&extension.as_str())
            && contains(file.bytes, b":policy/")
            && let Ok(text) = std::str::from_utf8(file.bytes)
        {
            let rule = rules::MANAGED_POLICY_RULE;
            for (severity, span, message, fix) in rules::managed_policies(text, extension != "tf") {
                out.report(rule.finding(severity, message, fix, false), span);
            }
        }
        if extension != "json"
            || !contains(file.bytes, b"\"Statement\"")
            || !contains(file.bytes, b"\"Version\"")
        {
            return;
        }
        let Ok(text) = std::str::from_utf8(file.bytes) else {
            return;
        };
        let Ok(documents) = airseal_yaml::parse_documents(text) else {
            out.warn(None, "looks like an IAM policy but is not valid JSON");
            return;
        };
        for document in &documents {
            let statements = statements(document);
            let mut reports = Vec::new();
            for check in rules::CHECKS {
                check(&statements, &mut reports);
            }
            if let Some(scope) = &self.scope {
                rules::iam008_reader_misses_configured_prefix::check(
                    &statements,
                    scope,
                    &mut reports,
                );
            }
            for (rule, span, message, fix) in reports {
                let builder = rule.finding(rule.severity, message, fix, false);
                out.report(builder, span);
            }
        }
    }
}

/// Files where an attached AWS-managed policy's ARN is looked for (`IAM007`): JSON (also
/// `*.tf.json` and `aws iam` output), YAML, CloudFormation `*.template`, Terraform.
const TEXT_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template", "tf"];

/// A finding before placement: rule, span, message, fix.
pub type Report = (&'static StaticRule, Range<usize>, String, String);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn strings(node: Option<&Node>) -> Vec<(String, Range<usize>)> {
    let one = |n: &Node| match n {
        Node::Scalar { value, span, .. } => Some((value.clone(), span.clone())),
        _ => None,
    };
    match node {
        Some(Node::Sequence { items, .. }) => items.iter().filter_map(one).collect(),
        Some(n) => one(n).into_iter().collect(),
        None => Vec::new(),
    }
}

fn statements(document: &Node) -> Vec<Statement<'_>> {
    let list: Vec<&Node> = match document.get("Statement") {
        Some(Node::Sequence { items, .. }) => items.iter().collect(),
        Some(single @ Node::Mapping { .. }) => vec![single],
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|node| {
            let effect = node.get("Effect");
            let span = match effect {
                Some(Node::Scalar { span, .. }) => span.clone(),
                _ => node
                    .entries()
                    .first()
                    .and_then(|(k, _)| match k {
                        Node::Scalar { span, .. } => Some(span.clone()),
                        _ => None,
                    })
                    .unwrap_or(0..0),
            };
            Statement {
                node,
                allow: effect.and_then(Node::as_str) == Some("Allow"),
                actions: strings(node.get("Action")),
                resources: strings(node.get("Resource")),
                has_not_action: node.get("NotAction").is_some(),
                has_not_resource: node.get("NotResource").is_some(),
                span,
            }
        })
        .collect()
}
