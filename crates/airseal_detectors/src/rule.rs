use airseal_finding::{Confidence, RuleCode, RuleMeta, Severity};
use regex::bytes::{Regex, RegexBuilder};

use crate::spec::RuleSpec;

/// How far around a keyword's line a rule's match may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub lines_before: u32,
    pub lines_after: u32,
}

/// A compiled credential rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    pub keywords: Vec<String>,
    pub regex: Regex,
    /// Index of the capture group holding the secret.
    pub secret_group: usize,
    pub min_entropy: Option<f64>,
    pub filter_placeholders: bool,
    pub generic: bool,
    pub window: Window,
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
}

/// Keywords shorter than this make the prefilter useless (they match almost every file).
const MIN_KEYWORD_LEN: usize = 3;

/// Per-regex lazy DFA cache limit (the regex crate's default is 2 MiB).
const DFA_CACHE_BYTES: usize = 8 << 20;

impl Rule {
    /// Validates and compiles one rule spec; the error names the rule and the problem.
    pub fn compile(spec: RuleSpec, origin: &str) -> Result<Rule, String> {
        let id = spec.id.clone();
        let fail = |message: String| format!("rule {id}: {message}");
        let code = RuleCode::new(&spec.id).map_err(|e| fail(e.to_string()))?;
        if !is_kebab_case(&spec.name) {
            return Err(fail(format!(
                "name `{}` must be kebab-case (lowercase words joined by `-`)",
                spec.name
            )));
        }
        let severity: Severity = spec.severity.parse().map_err(|e| fail(format!("{e}")))?;
        let confidence: Confidence = spec.confidence.parse().map_err(|e| fail(format!("{e}")))?;
        if spec.keywords.is_empty() {
            return Err(fail("needs at least one keyword for the prefilter".into()));
        }
        if let Some(short) = spec.keywords.iter().find(|k| k.len() < MIN_KEYWORD_LEN) {
            return Err(fail(format!(
                "keyword `{short}` is shorter than {MIN_KEYWORD_LEN} bytes"
            )));
        }
        for (field, text) in [
            ("title", &spec.title),
            ("description", &spec.description),
            ("why", &spec.why),
            ("fix", &spec.fix),
        ] {
            if text.trim().is_empty() {
                return Err(fail(format!("`{field}` must not be empty")));
            }
        }
        if spec.examples.is_empty() {
            return Err(fail("needs at least one example".into()));
        }
        if let Some(entropy) = spec.min_entropy
            && !(0.0..=8.0).contains(&entropy)
        {
            return Err(fail(format!("min_entropy {entropy} is outside 0..=8")));
        }
        let regex = RegexBuilder::new(spec.pattern.trim())
            // ASCII semantics for \w, \b and (?i): faster, and secrets are ASCII.
            .unicode(false)
            // Room for the lazy DFA's cache: when it is too small for a rule with bounded
            // repetitions, the regex crate falls back to its PikeVM, 10-50x slower.
            .dfa_size_limit(DFA_CACHE_BYTES)
            .build()
            .map_err(|e| fail(format!("pattern does not compile: {e}")))?;
        let secret_group = secret_group(&regex).map_err(fail)?;
        let window = spec.window.unwrap_or_default();
        let meta = RuleMeta {
            code,
            name: spec.name,
            summary: spec.title.trim().to_owned(),
            severity,
            confidence,
            what_it_does: spec.description,
            why_bad: spec.why,
            how_to_fix: spec.fix,
            example: spec.examples[0].clone(),
            references: spec.references,
            origin: origin.to_owned(),
        };
        Ok(Rule {
            meta,
            keywords: spec.keywords,
            regex,
            secret_group,
            min_entropy: spec.min_entropy,
            filter_placeholders: spec.filter_placeholders,
            generic: spec.generic,
            window: Window {
                lines_before: window.lines_before,
                lines_after: window.lines_after,
            },
            examples: spec.examples,
            negative_examples: spec.negative_examples,
        })
    }
}

/// The group named `secret`, or the only capture group.
fn secret_group(regex: &Regex) -> Result<usize, String> {
    if let Some(index) = regex.capture_names().position(|n| n == Some("secret")) {
        return Ok(index);
    }
    match regex.captures_len() - 1 {
        1 => Ok(1),
        0 => Err("pattern needs one capture group for the secret".into()),
        n => Err(format!(
            "pattern has {n} capture groups; use (?:...) for the others or name the secret's group (?P<secret>...)"
        )),
    }
}

fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
