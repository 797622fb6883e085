//! Credential detectors as data.
//!
//! Rules are YAML ([`spec`]), embedded at build time ([`builtin_rules`]) or loaded from user files
//! ([`load_rule_file`]). A [`DetectorSet`] compiles them into one Aho-Corasick keyword automaton
//! plus one regex per rule; a file is searched once for keywords, and each rule's regex runs only
//! on the lines around its keywords. [`check`] proves that every rule's `examples` are found and
//! its `negative_examples` are not — the same check for built-in rules (a test) and user rules
//! (`airseal rules check`).

mod check;
mod detector_set;
mod entropy;
mod error;
mod placeholder;
mod rule;
mod spec;

pub use check::{RuleProblem, check_rules};
pub use detector_set::{Detection, DetectorSet};
pub use entropy::shannon_entropy;
pub use error::RuleFileError;
pub use placeholder::looks_like_placeholder;
pub use rule::{Rule, Window};
pub use spec::{RuleFileSpec, RuleSpec};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The rule files compiled into airseal: `(file name, YAML text)`.
pub fn builtin_rule_files() -> &'static [(&'static str, &'static str)] {
    embedded::BUILTIN_RULE_FILES
}

/// Parses and compiles every built-in rule.
pub fn builtin_rules() -> Result<Vec<Rule>, RuleFileError> {
    let mut rules = Vec::new();
    for (name, text) in builtin_rule_files() {
        rules.extend(parse_rule_file(
            &format!("builtin:{name}"),
            text,
            "builtin",
        )?);
    }
    Ok(rules)
}

/// Reads and compiles a user rule file.
pub fn load_rule_file(path: &std::path::Path) -> Result<Vec<Rule>, RuleFileError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RuleFileError::Read {
        path: display.clone(),
        source,
    })?;
    parse_rule_file(&display, &text, &display)
}

/// Parses rule YAML; `path` names the file in errors, `origin` is recorded in each rule's metadata.
pub fn parse_rule_file(path: &str, text: &str, origin: &str) -> Result<Vec<Rule>, RuleFileError> {
    let spec: RuleFileSpec =
        serde_yaml_ng::from_str(text).map_err(|error| RuleFileError::Syntax {
            path: path.to_owned(),
            line: error.location().map(|l| l.line()),
            message: airseal_finding::without_quoted_values(&strip_location(&error.to_string())),
        })?;
    spec.rules
        .into_iter()
        .map(|rule_spec| {
            let line = spec::line_of_rule(text, &rule_spec.id);
            Rule::compile(rule_spec, origin).map_err(|message| RuleFileError::Invalid {
                path: path.to_owned(),
                line,
                message,
            })
        })
        .collect()
}

/// serde_yaml_ng appends " at line L column C"; the error type reports the line itself.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
