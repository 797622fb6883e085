//! `airseal watch export-sigma`: the CloudTrail detections as Sigma rules, for SIEMs.
//!
//! One rule file per detection (`logsource: {product: aws, service: cloudtrail}`), with the
//! scope written into the detection: prefixes become `startswith` on the name fields (with and
//! without a leading `/`) and `contains` of `:secret:PREFIX` / `:parameter/PREFIX` on ARNs;
//! principals (globs over ARNs) become Sigma wildcards on `userIdentity.arn` and
//! `userIdentity.sessionContext.sessionIssuer.arn`, a role ARN also its sessions
//! (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/*`); networks become `sourceIPAddress|cidr`.
//! AUD004 (a listing, then many distinct reads) becomes `value_count` and `temporal_ordered`
//! correlation rules.
//!
//! What Sigma cannot say exactly is named in the rule's `description` and reported with
//! `exact: false`. Some differences hold for every rule and are not counted (see
//! [`COMMON_DIFFERENCES`]).
//!
//! The YAML is written by hand: every string is quoted (single quotes, or double quotes with
//! escapes when it holds a line break or a control character).

use std::collections::BTreeMap;

use airseal_finding::{Severity, StaticRule};

use crate::cloudtrail::detections::{RULES, aud004_enumeration_then_bulk_read};
use crate::cloudtrail::scope::Scope;

/// `date` and `modified` of every exported rule (changed when the rules' logic changes).
pub const DATE: &str = "2026-12-03";
pub const MODIFIED: &str = "2026-12-03";

/// Differences from airseal that hold for every rule, so they do not make a rule inexact.
pub const COMMON_DIFFERENCES: &str = "Sigma compares values without regard to letter case, airseal as written. A name that starts with two or more `/` is Airflow's to airseal and not to this rule. Lists (`requestParameters.secretIdList`, `requestParameters.names`) are matched both element by element and as JSON text, `resources` only as JSON text (as Zircolite stores it); a SIEM that indexes `resources` as separate fields needs a field mapping for it.";

/// Each detection's fixed Sigma rule id.
const IDS: &[(&str, &str)] = &[
    ("AUD001", "3c7a5c2c-cde9-406b-914c-1d4326963e2e"),
    ("AUD002", "71953681-90b3-43e2-9af0-b2bbeda3d703"),
    ("AUD003", "4cd62ee0-d2a6-4771-a928-909f1427f268"),
    ("AUD004", "444a37c4-45ae-4dc0-818d-c809094f1130"),
    ("AUD005", "e9cf10f6-72d4-4e2c-8f0f-a280c05a6976"),
    ("AUD006", "9d8d02e7-2490-4a1b-863a-9bb69e7bebfe"),
    ("AUD007", "d59a8c07-36d2-4f1b-8192-033844a2d574"),
    ("AUD008", "0616710e-b2ed-4fb2-86fe-f6c870e141fe"),
];

/// AUD004's other documents: per service, the listing, the reads and the distinct-read count
/// (the final `temporal_ordered` of Secrets Manager has AUD004's own id).
const AUD004_SM_LISTING: &str = "9c54f757-05a5-4de0-aa05-a63a5bdd36a4";
const AUD004_SM_READS: &str = "32083d47-a0ec-47ad-b356-7d21cdc7062f";
const AUD004_SM_COUNT: &str = "c6ddc5d5-486f-4fee-8987-fbc244ad0c89";
const AUD004_SSM_LISTING: &str = "9aefcb1e-d5f4-4aed-a9c5-595841ecef55";
const AUD004_SSM_READS: &str = "7d8eee88-d0cb-4767-9d5f-965d931f13fc";
const AUD004_SSM_COUNT: &str = "0488770a-3034-42f8-8077-91fbb8d4fa2b";
const AUD004_SSM_SEQUENCE: &str = "4ea5332d-7b7e-4f7c-a38f-8db73179c726";
/// AUD004's second chain, per service: the calls that read a list of secrets, their count, and
/// the listing followed by that count.
const AUD004_SM_LIST_READ: &str = "910aa57a-6e1d-4a8a-8887-18afd386f30a";
const AUD004_SM_LIST_COUNT: &str = "b642055a-052a-42ca-98b6-3cf219217ad4";
const AUD004_SM_LIST_SEQUENCE: &str = "8ea50850-f70b-4cb5-a18b-859d5e5f5fdd";
const AUD004_SSM_LIST_READ: &str = "558675d7-0791-47ae-9ea5-a95dc57e5f68";
const AUD004_SSM_LIST_COUNT: &str = "23b787cc-7fc5-470f-93a9-0566d8cf7811";
const AUD004_SSM_LIST_SEQUENCE: &str = "dee5960a-d77b-4bfc-9492-333c530d7c5e";
/// The most secrets one call reads by list: `BatchGetSecretValue`'s `SecretIdList` holds at
/// most 20, `GetParameters` at most 10 names, and a `GetParametersByPath` page at most 10.
const SM_LIST_MAX: usize = 20;
const SSM_LIST_MAX: usize = 10;

/// One exported rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaRule {
    pub code: &'static str,
    /// `airseal_aud001_failed_access.yml`.
    pub file_name: String,
    /// The rule (AUD004: several YAML documents, separated by `---`).
    pub yaml: String,
    /// Whether the rule matches what airseal alerts on (up to [`COMMON_DIFFERENCES`]).
    pub exact: bool,
    /// What differs, when not exact (also in the description).
    pub differences: Vec<String>,
}

/// The detections as Sigma rules for `scope`, in code order.
pub fn export(scope: &Scope) -> Vec<SigmaRule> {
    let parts = Parts::new(scope);
    RULES
        .iter()
        .map(|rule| {
            let built = match rule.code {
                "AUD001" => aud001(&parts),
                "AUD002" => aud002(&parts),
                "AUD003" => aud003(&parts, scope),
                "AUD004" => aud004(&parts, scope),
                "AUD005" => aud005(&parts),
                "AUD006" => aud006(&parts),
                "AUD007" => aud007(&parts),
                _ => aud008(&parts),
            };
            finish(rule, built, &parts.scope_text)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// YAML

/// A YAML node; strings are always written quoted.
#[derive(Debug, Clone)]
enum Y {
    Str(String),
    /// Written as is: booleans, numbers, dates, `null`.
    Plain(String),
    List(Vec<Y>),
    Map(Vec<(String, Y)>),
}

fn s(text: impl Into<String>) -> Y {
    Y::Str(text.into())
}

fn map(entries: Vec<(&str, Y)>) -> Y {
    Y::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// A quoted YAML scalar: single quotes (`'` doubled), or double quotes with escapes when the
/// text holds a character single quotes cannot carry (a line break, a control character).
fn quote(text: &str) -> String {
    if text.chars().all(|c| !c.is_control()) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Keys are field names with modifiers; anything else is quoted.
fn key(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with('-')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '|' | '-'));
    if plain { text.to_owned() } else { quote(text) }
}

fn scalar(node: &Y) -> Option<String> {
    match node {
        Y::Str(text) => Some(quote(text)),
        Y::Plain(text) => Some(text.clone()),
        Y::List(items) if items.is_empty() => Some("[]".to_owned()),
        Y::Map(entries) if entries.is_empty() => Some("{}".to_owned()),
        _ => None,
    }
}

fn emit_map(out: &mut String, entries: &[(String, Y)], indent: usize, first_inline: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if !(first_inline && i == 0) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key(k));
        out.push(':');
        match scalar(v) {
            Some(text) => {
                out.push(' ');
                out.push_str(&text);
                out.push('\n');
            }
            None => {
                out.push('\n');
                emit_block(out, v, indent + 4);
            }
        }
    }
}

fn emit_block(out: &mut String, node: &Y, indent: usize) {
    match node {
        Y::Map(entries) => emit_map(out, entries, indent, false),
        Y::List(items) => {
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                match (scalar(item), item) {
                    (Some(text), _) => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    (None, Y::Map(entries)) => emit_map(out, entries, indent + 2, true),
                    (None, nested) => {
                        out.push('\n');
                        emit_block(out, nested, indent + 4);
                    }
                }
            }
        }
        other => {
            out.push_str(&" ".repeat(indent));
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

fn document(node: &Y) -> String {
    let mut out = String::new();
    emit_block(&mut out, node, 0);
    out
}

// ---------------------------------------------------------------------------------------------
// Sigma values and selections

/// A value of a Sigma field condition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    /// A Sigma string (wildcards `*` `?` live, literal ones escaped with `\`).
    S(String),
    Bool(bool),
    Null,
}

/// `field|modifiers` and its values (any of them).
type Cond = (String, Vec<V>);
/// Conditions that must all hold.
type Group = Vec<Cond>;
/// Groups of which one must hold (a Sigma selection written as a list of maps).
type Selection = Vec<Group>;

/// A literal string as a Sigma string: `*`, `?` and `\` escaped.
fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A string as it appears inside JSON text (a list stored as JSON), without the quotes.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
}

fn cond(field: &str, values: Vec<String>) -> Cond {
    (field.to_owned(), values.into_iter().map(V::S).collect())
}

fn one(field: &str, value: &str) -> Selection {
    vec![vec![cond(field, vec![lit(value)])]]
}

fn any_of(field: &str, values: &[&str]) -> Selection {
    vec![vec![cond(field, values.iter().map(|v| lit(v)).collect())]]
}

fn selection_node(selection: &Selection) -> Y {
    let group_node = |group: &Group| {
        Y::Map(
            group
                .iter()
                .map(|(field, values)| {
                    let node = |v: &V| match v {
                        V::S(text) => Y::Str(text.clone()),
                        V::Bool(b) => Y::Plain(b.to_string()),
                        V::Null => Y::Plain("null".to_owned()),
                    };
                    let value = match values.as_slice() {
                        [single] => node(single),
                        many => Y::List(many.iter().map(node).collect()),
                    };
                    (field.clone(), value)
                })
                .collect(),
        )
    };
    match selection.as_slice() {
        [single] => group_node(single),
        many => Y::List(many.iter().map(group_node).collect()),
    }
}

// ---------------------------------------------------------------------------------------------
// Globs (principals, user agents) as Sigma wildcards

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Any,
    One,
}

/// A glob (globset syntax: `*`, `?`, `[...]`, `{a,b}`, `\` escapes) as token sequences, one
/// per alternative; `false` when a class (`[...]`) had to become `?`.
fn glob_alternatives(pattern: &str) -> (Vec<Vec<Tok>>, bool) {
    let mut exact = true;
    let mut alternatives: Vec<Vec<Tok>> = vec![Vec::new()];
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let push = |alternatives: &mut Vec<Vec<Tok>>, tok: Tok| {
        for alt in alternatives.iter_mut() {
            if !(tok == Tok::Any && alt.last() == Some(&Tok::Any)) {
                alt.push(tok.clone());
            }
        }
    };
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                push(&mut alternatives, Tok::Lit(chars[i + 1]));
                i += 2;
                continue;
            }
            '*' => push(&mut alternatives, Tok::Any),
            '?' => push(&mut alternatives, Tok::One),
            '[' => {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j], '!' | '^') {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                push(&mut alternatives, Tok::One);
                exact = false;
                i = j + 1;
                continue;
            }
            '{' => {
                let end = chars[i..].iter().position(|c| *c == '}').map(|p| i + p);
                if let Some(end) = end {
                    let inner: String = chars[i + 1..end].iter().collect();
                    let mut expanded = Vec::new();
                    for option in inner.split(',') {
                        let (subs, sub_exact) = glob_alternatives(option);
                        exact &= sub_exact;
                        for alt in &alternatives {
                            for sub in &subs {
                                let mut joined = alt.clone();
                                for tok in sub {
                                    if !(*tok == Tok::Any && joined.last() == Some(&Tok::Any)) {
                                        joined.push(tok.clone());
                                    }
                                }
                                expanded.push(joined);
                            }
                        }
                    }
                    alternatives = expanded;
                    i = end + 1;
                    continue;
                }
                push(&mut alternatives, Tok::Lit('{'));
            }
            c => push(&mut alternatives, Tok::Lit(c)),
        }
        i += 1;
    }
    (alternatives, exact)
}

/// A token sequence as a Sigma modifier (`""`, `|startswith`, `|endswith`, `|contains`) and
/// value; `None` for a sequence that matches anything.
fn sigma_of(tokens: &[Tok]) -> Option<(&'static str, String)> {
    let lead = tokens.first() == Some(&Tok::Any);
    let trail = tokens.len() > 1 && tokens.last() == Some(&Tok::Any);
    let start = usize::from(lead);
    let end = tokens.len() - usize::from(trail);
    let inner = &tokens[start..end.max(start)];
    if inner.is_empty() {
        return if lead || trail {
            None
        } else {
            Some(("", String::new()))
        };
    }
    let mut value = String::new();
    for tok in inner {
        match tok {
            Tok::Lit(c) => value.push_str(&lit(&c.to_string())),
            Tok::Any => value.push('*'),
            Tok::One => value.push('?'),
        }
    }
    let modifier = match (lead, trail) {
        (true, true) => "|contains",
        (true, false) => "|endswith",
        (false, true) => "|startswith",
        (false, false) => "",
    };
    Some((modifier, value))
}

/// Groups of `field<modifier>: values`, one per modifier, matching any of the sequences.
fn glob_selection(field: &str, sequences: &[Vec<Tok>]) -> Selection {
    let mut by_modifier: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut anything = false;
    for tokens in sequences {
        match sigma_of(tokens) {
            Some((modifier, value)) => by_modifier.entry(modifier).or_default().push(value),
            None => anything = true,
        }
    }
    if anything {
        return vec![vec![(format!("{field}|exists"), vec![V::Bool(true)])]];
    }
    by_modifier
        .into_iter()
        .map(|(modifier, mut values)| {
            values.dedup();
            vec![cond(&format!("{field}{modifier}"), values)]
        })
        .collect()
}

fn literal_tokens(text: &str) -> Vec<Tok> {
    text.chars().map(Tok::Lit).collect()
}

fn find_literal(tokens: &[Tok], needle: &str) -> Option<usize> {
    let needle = literal_tokens(needle);
    tokens.windows(needle.len()).position(|w| w == needle)
}

/// The session ARNs a role pattern also matches: `…:iam::ACCT:role/ROLE` →
/// `…:sts::ACCT:assumed-role/ROLE/*` (what airseal derives from `assumed-role` ARNs).
fn session_tokens(tokens: &[Tok]) -> Option<Vec<Tok>> {
    let at = find_literal(tokens, ":role/")?;
    let mut head = tokens[..at].to_vec();
    if let Some(iam) = find_literal(&head, ":iam:") {
        head.splice(iam..iam + 5, literal_tokens(":sts:"));
    }
    let mut out = head;
    out.extend(literal_tokens(":assumed-role/"));
    out.extend(tokens[at + 6..].iter().cloned());
    out.push(Tok::Lit('/'));
    if out.last() != Some(&Tok::Any) {
        out.push(Tok::Any);
    }
    Some(out)
}

/// A set of principal patterns as a selection over the fields airseal matches them against,
/// and what is not exact about it.
fn principal_selection(patterns: &[String]) -> (Selection, Vec<String>) {
    let mut arns = Vec::new();
    let mut sessions = Vec::new();
    let mut notes = Vec::new();
    for pattern in patterns {
        let (alternatives, exact) = glob_alternatives(pattern);
        if !exact {
            notes.push(format!(
                "the character class in the principal pattern `{pattern}` is matched as any one character"
            ));
        }
        for tokens in alternatives {
            match session_tokens(&tokens) {
                Some(session) => sessions.push(session),
                None if tokens.contains(&Tok::Any) => notes.push(format!(
                    "sessions (`assumed-role` ARNs) of roles that the pattern `{pattern}` matches are matched through `userIdentity.sessionContext.sessionIssuer.arn` only, not through the role airseal derives from the session ARN"
                )),
                None => {}
            }
            arns.push(tokens);
        }
    }
    let mut selection = glob_selection("userIdentity.arn", &arns);
    selection.extend(glob_selection(
        "userIdentity.sessionContext.sessionIssuer.arn",
        &arns,
    ));
    if !sessions.is_empty() {
        selection.extend(glob_selection("userIdentity.arn", &sessions));
    }
    (selection, notes)
}

// ---------------------------------------------------------------------------------------------
// The scope's parts as selections

const SM_FIELDS: &[&str] = &[
    "requestParameters.secretId",
    "requestParameters.name",
    "additionalEventData.SecretId",
    "additionalEventData.secretId",
    "serviceEventDetails.SecretId",
    "serviceEventDetails.secretId",
];

/// The scope, as the selections the rules are made of.
struct Parts {
    sm_name: Selection,
    ssm_name: Selection,
    kms_name: Selection,
    kms_key: Option<Selection>,
    readers: Option<(Selection, Vec<String>)>,
    writers: Option<(Selection, Vec<String>)>,
    scope_text: String,
}

impl Parts {
    fn new(scope: &Scope) -> Parts {
        let names: Vec<String> = scope
            .prefixes
            .iter()
            .flat_map(|p| [p.clone(), format!("/{p}")])
            .collect();
        let starts: Vec<String> = names.iter().map(|n| lit(n)).collect();
        let arn_forms = |marker: &str| -> Vec<String> {
            names.iter().map(|n| lit(&format!("{marker}{n}"))).collect()
        };
        let secret_arns = arn_forms(":secret:");
        let parameter_arns: Vec<String> = scope
            .prefixes
            .iter()
            .map(|p| lit(&format!(":parameter/{p}")))
            .collect();
        // A list stored as JSON text: an element starts right after a quote.
        let json_starts: Vec<String> = names
            .iter()
            .map(|n| lit(&format!("\"{}", json_inner(n))))
            .collect();
        let json_of = |values: &[String], marker: &str| -> Vec<String> {
            values
                .iter()
                .map(|n| lit(&json_inner(&format!("{marker}{n}"))))
                .collect()
        };
        let arn_group = |field: &str, forms: &[String]| -> Group {
            vec![
                cond(&format!("{field}|startswith"), vec!["arn:".to_owned()]),
                cond(&format!("{field}|contains"), forms.to_vec()),
            ]
        };
        let mut sm_name: Selection = Vec::new();
        for field in SM_FIELDS {
            sm_name.push(vec![cond(&format!("{field}|startswith"), starts.clone())]);
            sm_name.push(arn_group(field, &secret_arns));
        }
        let list = "requestParameters.secretIdList";
        sm_name.push(vec![cond(&format!("{list}|startswith"), starts.clone())]);
        sm_name.push(arn_group(list, &secret_arns));
        let mut json_values = json_starts.clone();
        json_values.extend(json_of(&names, ":secret:"));
        sm_name.push(vec![cond(&format!("{list}|contains"), json_values)]);
        sm_name.push(vec![cond(
            "resources|contains",
            json_of(&names, ":secret:"),
        )]);

        let mut ssm_name: Selection = Vec::new();
        for field in ["requestParameters.name", "requestParameters.names"] {
            ssm_name.push(vec![cond(&format!("{field}|startswith"), starts.clone())]);
            ssm_name.push(arn_group(field, &parameter_arns));
        }
        let mut json_values = json_starts.clone();
        json_values.extend(json_of(&scope.prefixes, ":parameter/"));
        ssm_name.push(vec![cond("requestParameters.names|contains", json_values)]);
        ssm_name.push(vec![cond(
            "resources|contains",
            json_of(&scope.prefixes, ":parameter/"),
        )]);
        // GetParametersByPath: a path under a prefix, or a folder a prefix is under.
        ssm_name.push(vec![cond(
            "requestParameters.path|startswith",
            starts.clone(),
        )]);
        let mut folders: Vec<String> = Vec::new();
        for prefix in &scope.prefixes {
            for (at, _) in prefix.match_indices('/') {
                let folder = prefix[..at].trim_matches('/');
                if folder.is_empty() {
                    continue;
                }
                for form in [
                    folder.to_owned(),
                    format!("/{folder}"),
                    format!("{folder}/"),
                    format!("/{folder}/"),
                ] {
                    let form = lit(&form);
                    if !folders.contains(&form) {
                        folders.push(form);
                    }
                }
            }
        }
        if !folders.is_empty() {
            ssm_name.push(vec![cond("requestParameters.path", folders)]);
        }

        let kms_name: Selection = vec![
            vec![cond(
                "requestParameters.encryptionContext.SecretARN|startswith",
                starts.clone(),
            )],
            arn_group(
                "requestParameters.encryptionContext.SecretARN",
                &secret_arns,
            ),
            vec![cond(
                "requestParameters.encryptionContext.PARAMETER_ARN|startswith",
                starts.clone(),
            )],
            arn_group(
                "requestParameters.encryptionContext.PARAMETER_ARN",
                &parameter_arns,
            ),
        ];
        let kms_key = (!scope.kms_keys.is_empty()).then(|| {
            // airseal: the key is one of Airflow's when equal, when it ends in `/KEY`, or when
            // one of Airflow's ends in `/` and it (a key id for a key ARN, `x` for `alias/x`).
            let mut equal: Vec<String> = Vec::new();
            let mut ends: Vec<String> = Vec::new();
            let mut text: Vec<String> = Vec::new();
            for k in &scope.kms_keys {
                equal.push(lit(k));
                ends.push(lit(&format!("/{k}")));
                text.push(lit(&format!("\"{}\"", json_inner(k))));
                text.push(lit(&format!("/{}\"", json_inner(k))));
                for (at, _) in k.match_indices('/') {
                    let tail = &k[at + 1..];
                    if !tail.is_empty() {
                        equal.push(lit(tail));
                        text.push(lit(&format!("\"{}\"", json_inner(tail))));
                    }
                }
            }
            equal.dedup();
            text.dedup();
            vec![
                vec![cond("requestParameters.keyId", equal)],
                vec![cond("requestParameters.keyId|endswith", ends)],
                vec![cond("resources|contains", text)],
            ]
        });
        let principals =
            |patterns: &[String]| (!patterns.is_empty()).then(|| principal_selection(patterns));
        let list_text = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut scope_text = format!(
            "Scope: Airflow's names start with {}; readers {}; writers {}",
            list_text(&scope.prefixes),
            list_text(scope.readers.patterns()),
            list_text(scope.writers.patterns()),
        );
        if !scope.kms_keys.is_empty() {
            scope_text.push_str(&format!("; KMS keys {}", list_text(&scope.kms_keys)));
        }
        scope_text.push('.');
        Parts {
            sm_name,
            ssm_name,
            kms_name,
            kms_key,
            readers: principals(scope.readers.patterns()),
            writers: principals(scope.writers.patterns()),
            scope_text,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The rules

/// One Sigma document's detection: named selections and a condition.
struct Detection {
    selections: Vec<(String, Selection)>,
    condition: String,
}

impl Detection {
    fn new() -> Detection {
        Detection {
            selections: Vec::new(),
            condition: String::new(),
        }
    }

    fn add(&mut self, name: &str, selection: Selection) -> &mut Detection {
        self.selections.push((name.to_owned(), selection));
        self
    }

    fn node(&self) -> Y {
        let mut entries: Vec<(String, Y)> = self
            .selections
            .iter()
            .map(|(name, sel)| (name.clone(), selection_node(sel)))
            .collect();
        entries.push(("condition".to_owned(), s(self.condition.clone())));
        Y::Map(entries)
    }
}

/// A detection, before its metadata is added.
struct Built {
    documents: Vec<Document>,
    differences: Vec<String>,
    false_positives: Vec<&'static str>,
}

struct Document {
    id: &'static str,
    /// Empty: the rule's own title.
    title: String,
    /// `name:` (referenced by correlations).
    name: Option<String>,
    body: Body,
}

enum Body {
    Detection(Detection),
    Correlation(Y),
}

fn rule_id(code: &str) -> &'static str {
    IDS.iter()
        .find(|(c, _)| *c == code)
        .map_or("00000000-0000-4000-8000-000000000000", |(_, id)| *id)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// The services' selections.
fn services(d: &mut Detection) {
    d.add("sm", one("eventSource", "secretsmanager.amazonaws.com"));
    d.add("ssm", one("eventSource", "ssm.amazonaws.com"));
}

fn succeeded() -> Selection {
    vec![
        vec![("errorCode".to_owned(), vec![V::Null])],
        vec![cond("errorCode", vec![String::new()])],
    ]
}

const SM_READS: &[&str] = &["GetSecretValue", "BatchGetSecretValue"];
const SSM_READS: &[&str] = &[
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "GetParameterHistory",
];

/// `read`: a read of one of Airflow's secrets (selections `sm`, `ssm`, `sm_read`, `ssm_read`,
/// `sm_name`, `ssm_name`).
fn reads(d: &mut Detection, parts: &Parts) -> &'static str {
    services(d);
    d.add("sm_read", any_of("eventName", SM_READS));
    d.add("ssm_read", any_of("eventName", SSM_READS));
    d.add("sm_name", parts.sm_name.clone());
    d.add("ssm_name", parts.ssm_name.clone());
    "((sm and sm_read and sm_name) or (ssm and ssm_read and ssm_name))"
}

/// ` and not (reader or writer)` for whichever is configured, adding the selections.
fn not_airflows(d: &mut Detection, parts: &Parts, readers: bool) -> String {
    let mut names = Vec::new();
    if readers && let Some((sel, _)) = &parts.readers {
        d.add("reader", sel.clone());
        names.push("reader");
    }
    if let Some((sel, _)) = &parts.writers {
        d.add("writer", sel.clone());
        names.push("writer");
    }
    match names.as_slice() {
        [] => String::new(),
        [one] => format!(" and not {one}"),
        many => format!(" and not ({})", many.join(" or ")),
    }
}

fn principal_notes(parts: &Parts, readers: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if readers && let Some((_, n)) = &parts.readers {
        notes.extend(n.iter().cloned());
    }
    if let Some((_, n)) = &parts.writers {
        notes.extend(n.iter().cloned());
    }
    notes
}

fn single(code: &str, d: Detection, differences: Vec<String>, fp: Vec<&'static str>) -> Built {
    Built {
        documents: vec![Document {
            id: rule_id(code),
            title: String::new(),
            name: None,
            body: Body::Detection(d),
        }],
        differences,
        false_positives: fp,
    }
}

fn aud001(parts: &Parts) -> Built {
    let mut d = Detection::new();
    services(&mut d);
    d.add("kms", one("eventSource", "kms.amazonaws.com"));
    d.add("succeeded", succeeded());
    d.add("sm_name", parts.sm_name.clone());
    d.add("ssm_name", parts.ssm_name.clone());
    d.add("kms_name", parts.kms_name.clone());
    let kms = match &parts.kms_key {
        Some(key) => {
            d.add("kms_key", key.clone());
            "(kms and (kms_name or kms_key))"
        }
        None => "(kms and kms_name)",
    };
    d.add(
        "lookup_miss",
        any_of(
            "errorCode",
            &[
                "ResourceNotFoundException",
                "ParameterNotFound",
                "ParameterVersionNotFound",
            ],
        ),
    );
    let mut condition =
        format!("not succeeded and ((sm and sm_name) or (ssm and ssm_name) or {kms})");
    if parts.readers.is_some() {
        let mut airflows = Vec::new();
        if let Some((sel, _)) = &parts.readers {
            d.add("reader", sel.clone());
            airflows.push("reader");
        }
        if let Some((sel, _)) = &parts.writers {
            d.add("writer", sel.clone());
            airflows.push("writer");
        }
        condition.push_str(&format!(
            " and not (lookup_miss and ({}))",
            airflows.join(" or ")
        ));
    } else {
        condition.push_str(" and not lookup_miss");
    }
    d.condition = condition;
    single(
        "AUD001",
        d,
        principal_notes(parts, true),
        vec![
            "A new deployment whose policy does not grant Airflow's role the read yet",
            "A secret referenced before it is created (ResourceNotFoundException from a principal outside Airflow's)",
        ],
    )
}

fn aud002(parts: &Parts) -> Built {
    let mut d = Detection::new();
    d.add("succeeded", succeeded());
    let read = reads(&mut d, parts);
    let mut differences = principal_notes(parts, true);
    if parts.readers.is_none() {
        differences.push("no readers were given (`[watch] readers`, `--principal`): airseal does not run AUD002 then, and this rule matches every read of Airflow's secrets by a principal outside the writers; export again with the readers to narrow it".to_owned());
    }
    let not = not_airflows(&mut d, parts, true);
    d.condition = format!("succeeded and {read}{not}");
    single(
        "AUD002",
        d,
        differences,
        vec![
            "A workload of Airflow's that runs under a role not listed as a reader",
            "An operator reading a connection to debug it",
        ],
    )
}

fn aud003(parts: &Parts, scope: &Scope) -> Built {
    let mut d = Detection::new();
    d.add("succeeded", succeeded());
    let read = reads(&mut d, parts);
    let mut outside = Vec::new();
    let mut differences = Vec::new();
    if !scope.source_networks.is_empty() {
        d.add(
            "source_is_address",
            vec![
                vec![cond(
                    "sourceIPAddress|re",
                    vec![r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$".to_owned()],
                )],
                vec![cond("sourceIPAddress|contains", vec![":".to_owned()])],
            ],
        );
        let networks: Vec<String> = scope
            .source_networks
            .iter()
            .map(|n| n.trunc().to_string())
            .collect();
        d.add(
            "source_allowed",
            vec![vec![cond("sourceIPAddress|cidr", networks)]],
        );
        outside.push("(source_is_address and not source_allowed)");
        differences.push("airseal checks the network of a `sourceIPAddress` that parses as an IP address; this rule of one that looks like one (four dot-separated groups of 1 to 3 digits, or any value with a `:`), so a value such as `999.1.1.1` is checked too (and never in an allowed network)".to_owned());
    }
    if !scope.regions.is_empty() {
        d.add(
            "region_present",
            vec![vec![("awsRegion|exists".to_owned(), vec![V::Bool(true)])]],
        );
        d.add(
            "region_allowed",
            vec![vec![cond(
                "awsRegion",
                scope.regions.iter().map(|r| lit(r)).collect(),
            )]],
        );
        outside.push("(region_present and not region_allowed)");
    }
    if !scope.user_agent_patterns().is_empty() {
        d.add(
            "agent_present",
            vec![vec![("userAgent|exists".to_owned(), vec![V::Bool(true)])]],
        );
        let mut sequences = Vec::new();
        for pattern in scope.user_agent_patterns() {
            let (alternatives, exact) = glob_alternatives(pattern);
            if !exact {
                differences.push(format!(
                    "the character class in the user-agent pattern `{pattern}` is matched as any one character"
                ));
            }
            sequences.extend(alternatives);
        }
        d.add("agent_allowed", glob_selection("userAgent", &sequences));
        outside.push("(agent_present and not agent_allowed)");
    }
    if outside.is_empty() {
        differences.push("no allowed networks, regions or user agents were given (`[watch] source-networks`, `regions`, `user-agents`): airseal does not raise AUD003 then, and this rule matches every successful read of Airflow's secrets; export again with them to narrow it".to_owned());
        d.condition = format!("succeeded and {read}");
    } else {
        d.condition = format!("succeeded and {read} and ({})", outside.join(" or "));
    }
    single(
        "AUD003",
        d,
        differences,
        vec![
            "A new subnet, region or SDK of Airflow's not yet in the allowed sets",
            "AWS services calling on a principal's behalf from their own addresses",
        ],
    )
}

/// A correlation over `rules`, grouped by principal within `window`; `condition` for counts.
fn correlation(kind: &str, rules: &[String], window: &str, condition: Option<Y>) -> Body {
    let mut entries = vec![
        ("type", s(kind)),
        ("rules", Y::List(rules.iter().map(s).collect())),
        ("group-by", Y::List(vec![s("userIdentity.arn")])),
        ("timespan", s(window)),
    ];
    entries.extend(condition.map(|c| ("condition", c)));
    Body::Correlation(map(entries))
}

fn aud004(parts: &Parts, scope: &Scope) -> Built {
    let window = format!("{}s", scope.bulk_read_window_seconds);
    let threshold = scope.bulk_read_threshold;
    let mut documents = Vec::new();
    for (service, source, listing_id, reads_id, count_id, sequence_id, list_ids) in [
        (
            "secretsmanager",
            "secretsmanager.amazonaws.com",
            AUD004_SM_LISTING,
            AUD004_SM_READS,
            AUD004_SM_COUNT,
            rule_id("AUD004"),
            [
                AUD004_SM_LIST_READ,
                AUD004_SM_LIST_COUNT,
                AUD004_SM_LIST_SEQUENCE,
            ],
        ),
        (
            "ssm",
            "ssm.amazonaws.com",
            AUD004_SSM_LISTING,
            AUD004_SSM_READS,
            AUD004_SSM_COUNT,
            AUD004_SSM_SEQUENCE,
            [
                AUD004_SSM_LIST_READ,
                AUD004_SSM_LIST_COUNT,
                AUD004_SSM_LIST_SEQUENCE,
            ],
        ),
    ] {
        let sm = service == "secretsmanager";
        let (name_field, label) = if sm {
            ("requestParameters.secretId", "Secrets Manager")
        } else {
            ("requestParameters.name", "SSM Parameter Store")
        };
        let base = format!("airseal_aud004_{service}");
        let mut listing = Detection::new();
        listing.add("service", one("eventSource", source));
        listing.add("succeeded", succeeded());
        if sm {
            listing.add(
                "listing",
                vec![
                    vec![cond(
                        "eventName",
                        vec![lit("ListSecrets"), lit("ListSecretVersionIds")],
                    )],
                    vec![
                        cond("eventName", vec![lit("BatchGetSecretValue")]),
                        (
                            "requestParameters.filters|exists".to_owned(),
                            vec![V::Bool(true)],
                        ),
                        ("requestParameters.secretIdList".to_owned(), vec![V::Null]),
                    ],
                ],
            );
        } else {
            listing.add("listing", one("eventName", "DescribeParameters"));
        }
        let not = not_airflows(&mut listing, parts, false);
        listing.condition = format!("service and listing and succeeded{not}");
        let mut read = Detection::new();
        read.add("service", one("eventSource", source));
        read.add("succeeded", succeeded());
        if sm {
            read.add("read", any_of("eventName", SM_READS));
            read.add("name", parts.sm_name.clone());
        } else {
            read.add("read", any_of("eventName", SSM_READS));
            read.add("name", parts.ssm_name.clone());
        }
        let not = not_airflows(&mut read, parts, false);
        read.condition = format!("service and read and name and succeeded{not}");
        // The second chain: a value count cannot count the elements of a list, so calls that
        // read a list of secrets are counted as calls. N distinct secrets take at least
        // ceil(N / most-per-call) such calls, so this chain raises whenever airseal does on
        // list reads alone (and, at the default threshold, on any burst with a list read).
        let list_max = if sm { SM_LIST_MAX } else { SSM_LIST_MAX };
        let list_threshold = threshold.div_ceil(list_max).max(1);
        let mut list_read = Detection::new();
        list_read.add("service", one("eventSource", source));
        list_read.add("succeeded", succeeded());
        if sm {
            list_read.add(
                "list_read",
                vec![vec![
                    cond("eventName", vec![lit("BatchGetSecretValue")]),
                    (
                        "requestParameters.secretIdList|exists".to_owned(),
                        vec![V::Bool(true)],
                    ),
                ]],
            );
            list_read.add("name", parts.sm_name.clone());
        } else {
            list_read.add(
                "list_read",
                any_of("eventName", &["GetParameters", "GetParametersByPath"]),
            );
            list_read.add("name", parts.ssm_name.clone());
        }
        let not = not_airflows(&mut list_read, parts, false);
        list_read.condition = format!("service and list_read and name and succeeded{not}");
        documents.push(Document {
            id: listing_id,
            title: format!("{label} secrets listed (airseal AUD004, part 1)"),
            name: Some(format!("{base}_listing")),
            body: Body::Detection(listing),
        });
        documents.push(Document {
            id: reads_id,
            title: format!("{label} read of an Airflow secret (airseal AUD004, part 2)"),
            name: Some(format!("{base}_read")),
            body: Body::Detection(read),
        });
        documents.push(Document {
            id: count_id,
            title: format!(
                "{label}: {threshold} distinct Airflow secrets read by one principal (airseal AUD004, part 3)"
            ),
            name: Some(format!("{base}_distinct_reads")),
            body: correlation(
                "value_count",
                &[format!("{base}_read")],
                &window,
                Some(map(vec![
                    ("gte", Y::Plain(threshold.to_string())),
                    ("field", s(name_field)),
                ])),
            ),
        });
        documents.push(Document {
            id: sequence_id,
            title: if sm {
                String::new()
            } else {
                format!(
                    "{} ({label})",
                    aud004_enumeration_then_bulk_read::RULE.summary
                )
            },
            name: Some(format!("{base}_listing_then_bulk_read")),
            body: correlation(
                "temporal_ordered",
                &[format!("{base}_listing"), format!("{base}_distinct_reads")],
                &window,
                None,
            ),
        });
        let [list_read_id, list_count_id, list_sequence_id] = list_ids;
        documents.push(Document {
            id: list_read_id,
            title: format!("{label} read of a list of Airflow secrets (airseal AUD004, part 4)"),
            name: Some(format!("{base}_list_read")),
            body: Body::Detection(list_read),
        });
        documents.push(Document {
            id: list_count_id,
            title: format!(
                "{label}: {list_threshold} reads of lists of Airflow secrets by one principal (airseal AUD004, part 5)"
            ),
            name: Some(format!("{base}_list_reads")),
            body: correlation(
                "event_count",
                &[format!("{base}_list_read")],
                &window,
                Some(map(vec![("gte", Y::Plain(list_threshold.to_string()))])),
            ),
        });
        documents.push(Document {
            id: list_sequence_id,
            title: format!(
                "{} by lists ({label})",
                aud004_enumeration_then_bulk_read::RULE.summary
            ),
            name: Some(format!("{base}_listing_then_list_reads")),
            body: correlation(
                "temporal_ordered",
                &[format!("{base}_listing"), format!("{base}_list_reads")],
                &window,
                None,
            ),
        });
    }
    let minutes = scope.bulk_read_window_seconds / 60;
    let mut differences = vec![
        format!("a principal (grouped by `userIdentity.arn`) lists, then reads at least {threshold} distinct Airflow secrets (distinct values of `requestParameters.secretId` for Secrets Manager, `requestParameters.name` for SSM) within {}: the correlations count the reads in the {} before the last of them, where airseal counts those after the listing, so reads shortly before a listing count too", if minutes > 0 { format!("{minutes} min") } else { window.clone() }, window),
        format!("a value count cannot count the elements of a list, so calls that read several secrets at once (`BatchGetSecretValue` with `secretIdList`, `GetParameters`, `GetParametersByPath`) are counted by a second chain as calls: a listing followed by at least {} such calls for Secrets Manager ({} secrets at most each), {} for SSM ({} at most each) — which raises on every burst of airseal's made of list reads, and on some smaller ones; a burst that mixes single and list reads is raised when either chain reaches its count (always at thresholds up to {}); one read by name and one by ARN count as two values", threshold.div_ceil(SM_LIST_MAX).max(1), SM_LIST_MAX, threshold.div_ceil(SSM_LIST_MAX).max(1), SSM_LIST_MAX, SSM_LIST_MAX),
        "principals without `userIdentity.arn` (an AWS service acting) are not grouped, where airseal groups them by `invokedBy` or `principalId`; there is one correlation alert per read that completes a window, where airseal raises one per listing".to_owned(),
    ];
    differences.extend(principal_notes(parts, false));
    Built {
        documents,
        differences,
        false_positives: vec![
            "A migration or audit tool that lists and then reads every secret, run by a principal not listed as a writer",
        ],
    }
}

fn aud005(parts: &Parts) -> Built {
    let mut d = Detection::new();
    services(&mut d);
    d.add("kms", one("eventSource", "kms.amazonaws.com"));
    d.add("succeeded", succeeded());
    d.add("service_event", one("eventType", "AwsServiceEvent"));
    d.add(
        "sm_weakening",
        vec![
            vec![cond(
                "eventName",
                [
                    "PutResourcePolicy",
                    "DeleteResourcePolicy",
                    "DeleteSecret",
                    "RemoveRegionsFromReplication",
                    "StopReplicationToReplica",
                    "CancelRotateSecret",
                ]
                .iter()
                .map(|n| lit(n))
                .collect(),
            )],
            vec![
                cond("eventName", vec![lit("UpdateSecret")]),
                (
                    "requestParameters.kmsKeyId|exists".to_owned(),
                    vec![V::Bool(true)],
                ),
            ],
        ],
    );
    d.add(
        "ssm_weakening",
        any_of("eventName", &["DeleteParameter", "DeleteParameters"]),
    );
    d.add("sm_name", parts.sm_name.clone());
    d.add("ssm_name", parts.ssm_name.clone());
    let mut branches = vec![
        "(sm and sm_weakening and sm_name)",
        "(ssm and ssm_weakening and ssm_name)",
    ];
    if let Some(key) = &parts.kms_key {
        d.add(
            "kms_weakening",
            any_of(
                "eventName",
                &[
                    "ScheduleKeyDeletion",
                    "DisableKey",
                    "PutKeyPolicy",
                    "CreateGrant",
                    "DisableKeyRotation",
                ],
            ),
        );
        d.add("kms_key", key.clone());
        branches.push("(kms and kms_weakening and kms_key)");
    }
    d.condition = format!(
        "succeeded and not service_event and ({})",
        branches.join(" or ")
    );
    single(
        "AUD005",
        d,
        Vec::new(),
        vec![
            "A planned change of the resource policy, replication or KMS key by the deployment",
            "Secrets deleted when a deployment is torn down",
        ],
    )
}

fn aud006(parts: &Parts) -> Built {
    let mut d = Detection::new();
    d.add("sm", one("eventSource", "secretsmanager.amazonaws.com"));
    d.add(
        "rotation",
        any_of("eventName", &["RotationFailed", "RotationAbandoned"]),
    );
    d.add("sm_name", parts.sm_name.clone());
    d.condition = "sm and rotation and sm_name".to_owned();
    single(
        "AUD006",
        d,
        Vec::new(),
        vec!["A rotation Lambda being set up or tested"],
    )
}

fn aud007(parts: &Parts) -> Built {
    let mut d = Detection::new();
    services(&mut d);
    d.add("succeeded", succeeded());
    d.add("service_event", one("eventType", "AwsServiceEvent"));
    d.add("aws_service", one("userIdentity.type", "AWSService"));
    d.add(
        "sm_write",
        any_of(
            "eventName",
            &[
                "CreateSecret",
                "PutSecretValue",
                "UpdateSecret",
                "UpdateSecretVersionStage",
                "RestoreSecret",
                "DeleteSecret",
                "RotateSecret",
                "TagResource",
                "UntagResource",
                "ReplicateSecretToRegions",
            ],
        ),
    );
    d.add(
        "ssm_write",
        any_of(
            "eventName",
            &[
                "PutParameter",
                "DeleteParameter",
                "DeleteParameters",
                "LabelParameterVersion",
                "UnlabelParameterVersion",
                "AddTagsToResource",
                "RemoveTagsFromResource",
            ],
        ),
    );
    d.add("sm_name", parts.sm_name.clone());
    d.add("ssm_name", parts.ssm_name.clone());
    let mut differences = principal_notes(parts, false);
    if parts.writers.is_none() {
        differences.push("no writers were given (`[watch] writers`, `--writer`): airseal does not run AUD007 then, and this rule matches every write to Airflow's secrets; export again with the writers to narrow it".to_owned());
    }
    let not = not_airflows(&mut d, parts, false);
    d.condition = format!(
        "succeeded and not service_event and not aws_service and ((sm and sm_write and sm_name) or (ssm and ssm_write and ssm_name)){not}"
    );
    single(
        "AUD007",
        d,
        differences,
        vec![
            "A one-off change by an administrator outside the deployment",
            "A new deployment or rotation role not yet listed as a writer",
        ],
    )
}

fn aud008(parts: &Parts) -> Built {
    let mut d = Detection::new();
    d.add("sm", one("eventSource", "secretsmanager.amazonaws.com"));
    d.add("read", one("eventName", "GetSecretValue"));
    d.add("succeeded", succeeded());
    d.add(
        "previous",
        one("requestParameters.versionStage", "AWSPREVIOUS"),
    );
    d.add("sm_name", parts.sm_name.clone());
    let differences = principal_notes(parts, false);
    let not = not_airflows(&mut d, parts, false);
    d.condition = format!("sm and read and succeeded and previous and sm_name{not}");
    single(
        "AUD008",
        d,
        differences,
        vec!["A recovery from a failed rotation by an operator"],
    )
}

/// The metadata, then the detection or correlation, of each document.
fn finish(rule: &'static StaticRule, built: Built, scope_text: &str) -> SigmaRule {
    let meta = rule.meta();
    let exact = built.differences.is_empty();
    let flatten = |text: &str| {
        text.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned()
    };
    let description = format!(
        "airseal {} ({}). {}\n\n{scope_text}\n\n{}",
        rule.code,
        rule.name,
        flatten(&meta.what_it_does),
        exactness_text(&built, rule)
    );
    let mut references: Vec<String> = Vec::new();
    for r in rule.references {
        if !references.iter().any(|x| x == r) {
            references.push((*r).to_owned());
        }
    }
    let count = built.documents.len();
    let mut yaml = String::new();
    for (i, doc) in built.documents.iter().enumerate() {
        let title = if doc.title.is_empty() {
            format!("{} (airseal {})", rule.summary, rule.code)
        } else {
            doc.title.clone()
        };
        let mut entries: Vec<(&str, Y)> = vec![("title", s(title)), ("id", s(doc.id))];
        if let Some(name) = &doc.name {
            entries.push(("name", s(name.clone())));
        }
        entries.push(("status", Y::Plain("experimental".to_owned())));
        let this_description = if doc.title.is_empty() || i + 1 == count {
            description.clone()
        } else {
            format!(
                "Part of airseal {} ({}), referenced by its correlation rules in this file.",
                rule.code, rule.name
            )
        };
        entries.push(("description", s(this_description)));
        entries.push((
            "references",
            Y::List(references.iter().map(|r| s(r.clone())).collect()),
        ));
        entries.push(("author", s("airseal")));
        entries.push(("date", Y::Plain(DATE.to_owned())));
        entries.push(("modified", Y::Plain(MODIFIED.to_owned())));
        match &doc.body {
            Body::Detection(d) => {
                entries.push((
                    "logsource",
                    map(vec![("product", s("aws")), ("service", s("cloudtrail"))]),
                ));
                entries.push(("detection", d.node()));
            }
            Body::Correlation(c) => entries.push(("correlation", c.clone())),
        }
        entries.push((
            "falsepositives",
            Y::List(built.false_positives.iter().map(|f| s(*f)).collect()),
        ));
        entries.push(("level", Y::Plain(level(rule.severity).to_owned())));
        if i > 0 {
            yaml.push_str("---\n");
        }
        yaml.push_str(&document(&map(entries)));
    }
    let file_name = format!(
        "airseal_{}_{}.yml",
        rule.code.to_ascii_lowercase(),
        rule.name.replace('-', "_")
    );
    SigmaRule {
        code: rule.code,
        file_name,
        yaml,
        exact,
        differences: built.differences,
    }
}

fn exactness_text(built: &Built, rule: &StaticRule) -> String {
    let severity_note = match rule.code {
        "AUD001" => {
            " airseal raises it at high (a principal outside Airflow's), medium (one of Airflow's) or low (throttling); the level here is the highest."
        }
        "AUD005" => {
            " airseal raises it at critical when the principal is not one of the writers, high otherwise; the level here is the rule's."
        }
        _ => "",
    };
    let exactness = if built.differences.is_empty() {
        "Same logic as airseal for this scope.".to_owned()
    } else {
        format!("Differs from airseal: {}.", built.differences.join("; "))
    };
    format!("{exactness}{severity_note} {COMMON_DIFFERENCES}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScopeSpec;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn scope(spec: ScopeSpec) -> Scope {
        Scope::new(spec).unwrap_or_else(|e| panic!("{e}"))
    }

    fn fixtures_scope() -> Scope {
        scope(ScopeSpec {
            readers: strings(&["arn:aws:iam::111122223333:role/airflow-worker"]),
            writers: strings(&["arn:aws:iam::111122223333:role/airflow-deployer"]),
            source_networks: strings(&["10.0.0.0/8"]),
            regions: strings(&["eu-west-1"]),
            user_agents: strings(&["*Boto3*"]),
            kms_keys: strings(&[
                "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-2222-bbbb-3333-cccc4444dddd",
            ]),
            ..ScopeSpec::default()
        })
    }

    fn documents(rule: &SigmaRule) -> Vec<serde_yaml_ng::Value> {
        use serde::Deserialize;
        serde_yaml_ng::Deserializer::from_str(&rule.yaml)
            .map(|doc| {
                serde_yaml_ng::Value::deserialize(doc)
                    .unwrap_or_else(|e| panic!("{}: {e}\n{}", rule.file_name, rule.yaml))
            })
            .collect()
    }

    fn uuid_shaped(id: &str) -> bool {
        let groups: Vec<&str> = id.split('-').collect();
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| {
                g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    }

    #[test]
    fn every_detection_is_exported_with_a_unique_uuid() {
        let rules = export(&fixtures_scope());
        let codes: Vec<&str> = rules.iter().map(|r| r.code).collect();
        let expected: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(codes, expected);
        let mut ids = Vec::new();
        let mut titles = Vec::new();
        for rule in &rules {
            assert!(rule.file_name.ends_with(".yml"));
            assert!(
                (10..=90).contains(&rule.file_name.len()),
                "{}",
                rule.file_name
            );
            for doc in documents(rule) {
                let id = doc["id"].as_str().unwrap_or_default().to_owned();
                assert!(uuid_shaped(&id), "{id}");
                ids.push(id);
                titles.push(doc["title"].as_str().unwrap_or_default().to_owned());
                assert_eq!(doc["status"].as_str(), Some("experimental"));
                assert_eq!(doc["author"].as_str(), Some("airseal"));
                assert!(doc["falsepositives"].is_sequence());
                assert!(doc.get("tags").is_none());
                assert!(
                    doc.get("detection").is_some() || doc.get("correlation").is_some(),
                    "{}",
                    rule.yaml
                );
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        titles.sort();
        titles.dedup();
        assert_eq!(ids.len(), count, "ids are unique");
        assert_eq!(titles.len(), count, "titles are unique");
        // The ids do not depend on the scope.
        let other = export(&scope(ScopeSpec::default()));
        for (a, b) in rules.iter().zip(&other) {
            assert_eq!(documents(a)[0]["id"], documents(b)[0]["id"]);
        }
    }

    #[test]
    fn the_scope_is_in_the_rules() {
        let rules = export(&fixtures_scope());
        let yaml = |code: &str| {
            rules
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.yaml.clone())
                .unwrap_or_default()
        };
        assert!(yaml("AUD002").contains("'/airflow/connections/'"));
        assert!(yaml("AUD002").contains("':secret:airflow/variables/'"));
        assert!(yaml("AUD002").contains(
            "userIdentity.arn|startswith: 'arn:aws:sts::111122223333:assumed-role/airflow-worker/'"
        ));
        assert!(yaml("AUD002").contains(
            "userIdentity.sessionContext.sessionIssuer.arn: 'arn:aws:iam::111122223333:role/airflow-deployer'"
        ));
        assert!(yaml("AUD003").contains("sourceIPAddress|cidr: '10.0.0.0/8'"));
        assert!(yaml("AUD003").contains("awsRegion: 'eu-west-1'"));
        assert!(yaml("AUD003").contains("userAgent|contains: 'Boto3'"));
        assert!(yaml("AUD005").contains("'1111aaaa-2222-bbbb-3333-cccc4444dddd'"));
        assert!(yaml("AUD004").contains("timespan: '600s'"));
        assert!(yaml("AUD004").contains("gte: 10"));
        let exact: Vec<&str> = rules.iter().filter(|r| r.exact).map(|r| r.code).collect();
        assert_eq!(
            exact,
            ["AUD001", "AUD002", "AUD005", "AUD006", "AUD007", "AUD008"]
        );
        for rule in rules.iter().filter(|r| !r.exact) {
            assert!(!rule.differences.is_empty());
            let description = documents(rule)
                .last()
                .and_then(|d| d["description"].as_str().map(str::to_owned))
                .unwrap_or_default();
            assert!(
                description.contains("Differs from airseal"),
                "{description}"
            );
        }
    }

    #[test]
    fn detections_that_are_off_say_so() {
        let rules = export(&scope(ScopeSpec::default()));
        let inexact: Vec<&str> = rules.iter().filter(|r| !r.exact).map(|r| r.code).collect();
        assert_eq!(inexact, ["AUD002", "AUD003", "AUD004", "AUD007"]);
    }

    #[test]
    fn special_characters_are_quoted_and_escaped() {
        let prefix = "team's/a*b?c\\d\"e: #x [y] {z}, & |%_/";
        let rules = export(&scope(ScopeSpec {
            prefixes: strings(&[prefix]),
            readers: strings(&["arn:aws:iam::1:role/it's-{a,b}"]),
            ..ScopeSpec::default()
        }));
        for rule in &rules {
            // Every file parses, whatever the prefix holds.
            assert!(!documents(rule).is_empty());
        }
        let aud002 = &rules[1];
        let docs = documents(aud002);
        let names = &docs[0]["detection"]["sm_name"][0]["requestParameters.secretId|startswith"];
        assert_eq!(
            names[0].as_str(),
            Some("team's/a\\*b\\?c\\\\d\"e: #x [y] {z}, & |%_/")
        );
        // The brace alternation of a principal pattern becomes two values.
        let reader = &docs[0]["detection"]["reader"][0]["userIdentity.arn"];
        assert_eq!(
            reader.as_sequence().map(Vec::len),
            Some(2),
            "{}",
            aud002.yaml
        );
    }

    #[test]
    fn quoting_survives_control_characters() {
        for text in [
            "plain",
            "it's",
            "line\nbreak",
            "tab\there",
            "\"quoted\"",
            "back\\slash",
        ] {
            let yaml = format!("key: {}\n", quote(text));
            let value: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(value["key"].as_str(), Some(text), "{yaml}");
        }
    }

    #[test]
    fn globs_become_sigma_wildcards() {
        let (alts, exact) = glob_alternatives("arn:aws:iam::*:role/air?low-{a,b}");
        assert!(exact);
        assert_eq!(alts.len(), 2);
        assert_eq!(
            sigma_of(&alts[0]),
            Some(("", "arn:aws:iam::*:role/air?low-a".to_owned()))
        );
        assert_eq!(
            session_tokens(&alts[0]).and_then(|t| sigma_of(&t)),
            Some((
                "|startswith",
                "arn:aws:sts::*:assumed-role/air?low-a/".to_owned()
            ))
        );
        let (alts, exact) = glob_alternatives("*Boto3*");
        assert!(exact);
        assert_eq!(sigma_of(&alts[0]), Some(("|contains", "Boto3".to_owned())));
        let (alts, exact) = glob_alternatives("a[0-9]\\*");
        assert!(!exact);
        assert_eq!(sigma_of(&alts[0]), Some(("", "a?\\*".to_owned())));
    }
}
