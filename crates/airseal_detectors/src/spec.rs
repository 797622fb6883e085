//! The YAML shape of a rule file (docs/rule-format.md). Unknown keys are errors, so a typo such as
//! `negative_example:` cannot silently disable a check.
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: String,
    pub confidence: String,
    pub keywords: Vec<String>,
    pub pattern: String,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default)]
    pub filter_placeholders: bool,
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub window: Option<WindowSpec>,
    pub description: String,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    #[serde(default)]
    pub lines_before: u32,
    #[serde(default)]
    pub lines_after: u32,
}

/// 1-based line of `id: <id>` in the file, to point errors at the rule.
pub(crate) fn line_of_rule(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches("- ").trim_start();
            line.strip_prefix("id:")
                .map(|rest| rest.trim().trim_matches(['"', '\'']) == id)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}
