use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::Rule;
use crate::entropy::shannon_entropy;
use crate::placeholder::looks_like_placeholder;

/// One secret a rule found: which rule, where the secret is, and where the whole match is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Index into [`DetectorSet::rules`].
    pub rule: usize,
    pub secret: Range<usize>,
    pub matched: Range<usize>,
}

/// Every rule compiled for searching: one keyword automaton for all rules, one regex per rule.
#[derive(Debug, Clone)]
pub struct DetectorSet {
    rules: Vec<Rule>,
    automaton: AhoCorasick,
    /// For each automaton pattern (a distinct lowercase keyword), the rules that list it.
    keyword_rules: Vec<Vec<u32>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DetectorSetError {
    #[error("rule code {code} is defined twice ({first} and {second})")]
    DuplicateCode {
        code: String,
        first: String,
        second: String,
    },
    #[error("rule name {name} is used by both {first} and {second}")]
    DuplicateName {
        name: String,
        first: String,
        second: String,
    },
    #[error("cannot build the keyword automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

impl DetectorSet {
    pub fn new(rules: Vec<Rule>) -> Result<Self, DetectorSetError> {
        let mut codes: HashMap<&str, &Rule> = HashMap::new();
        let mut names: HashMap<&str, &Rule> = HashMap::new();
        for rule in &rules {
            if let Some(first) = codes.insert(rule.meta.code.as_str(), rule) {
                return Err(DetectorSetError::DuplicateCode {
                    code: rule.meta.code.to_string(),
                    first: first.meta.origin.clone(),
                    second: rule.meta.origin.clone(),
                });
            }
            if let Some(first) = names.insert(rule.meta.name.as_str(), rule) {
                return Err(DetectorSetError::DuplicateName {
                    name: rule.meta.name.clone(),
                    first: first.meta.code.to_string(),
                    second: rule.meta.code.to_string(),
                });
            }
        }
        let mut keyword_ids: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<u32>> = Vec::new();
        for (rule_index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let lower = keyword.to_ascii_lowercase();
                let id = *keyword_ids.entry(lower.clone()).or_insert_with(|| {
                    keywords.push(lower);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                let rule_id = u32::try_from(rule_index).unwrap_or(u32::MAX);
                if !keyword_rules[id].contains(&rule_id) {
                    keyword_rules[id].push(rule_id);
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)?;
        Ok(DetectorSet {
            rules,
            automaton,
            keyword_rules,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every distinct keyword, lowercase (the prefilter's vocabulary; the benchmark greps for it).
    pub fn keywords(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Finds every secret in `text`, ordered by position. Generic rules yield to specific ones:
    /// a generic detection overlapping an earlier-kept detection is dropped.
    pub fn detect(&self, text: &[u8]) -> Vec<Detection> {
        let mut hits: Vec<(u32, usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(text) {
            for &rule in &self.keyword_rules[m.pattern().as_usize()] {
                hits.push((rule, m.start(), m.end()));
            }
        }
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_unstable();
        let mut found = Vec::new();
        let mut windows: Vec<Range<usize>> = Vec::new();
        for rule_hits in hits.chunk_by(|a, b| a.0 == b.0) {
            let rule_index = rule_hits[0].0 as usize;
            let rule = &self.rules[rule_index];
            windows.clear();
            collect_windows(text, rule, rule_hits, &mut windows);
            for window in &windows {
                self.match_in_window(text, rule_index, window.clone(), &mut found);
            }
        }
        self.resolve_overlaps(found)
    }

    fn match_in_window(
        &self,
        text: &[u8],
        rule_index: usize,
        window: Range<usize>,
        found: &mut Vec<Detection>,
    ) {
        let rule = &self.rules[rule_index];
        let haystack = &text[window.clone()];
        for caps in rule.regex.captures_iter(haystack) {
            let (Some(whole), Some(secret)) = (caps.get(0), caps.get(rule.secret_group)) else {
                continue;
            };
            let value = secret.as_bytes();
            if value.is_empty() {
                continue;
            }
            if let Some(min) = rule.min_entropy {
                if shannon_entropy(value) < min {
                    continue;
                }
            }
            if rule.filter_placeholders && looks_like_placeholder(value) {
                continue;
            }
            found.push(Detection {
                rule: rule_index,
                secret: window.start + secret.start()..window.start + secret.end(),
                matched: window.start + whole.start()..window.start + whole.end(),
            });
        }
    }

    fn resolve_overlaps(&self, mut found: Vec<Detection>) -> Vec<Detection> {
        // Specific rules first, then generic ones, each in rule order.
        found.sort_by_key(|d| (self.rules[d.rule].generic, d.rule, d.secret.start));
        let mut kept: Vec<Detection> = Vec::with_capacity(found.len());
        for detection in found {
            let generic = self.rules[detection.rule].generic;
            let shadowed = generic
                && kept.iter().any(|k| {
                    k.secret.start < detection.secret.end && detection.secret.start < k.secret.end
                });
            if !shadowed {
                kept.push(detection);
            }
        }
        kept.sort_by_key(|d| (d.secret.start, d.rule));
        kept
    }
}

/// Turns one rule's keyword hits (sorted by offset) into merged windows of whole lines.
///
/// Each hit's line is found once: hits on a line already covered are skipped, so a 100k-character
/// minified line with thousands of hits costs one pass, not one per hit.
fn collect_windows(
    text: &[u8],
    rule: &Rule,
    hits: &[(u32, usize, usize)],
    out: &mut Vec<Range<usize>>,
) {
    let mut covered_until = 0usize; // start of the line after the last hit's line
    let mut first = true;
    for &(_, start, end) in hits {
        if !first && start < covered_until {
            continue;
        }
        first = false;
        let line_start = match memchr::memrchr(b'\n', &text[covered_until..start]) {
            Some(i) => covered_until + i + 1,
            None => covered_until,
        };
        let line_end = match memchr::memchr(b'\n', &text[end..]) {
            Some(i) => end + i + 1,
            None => text.len(),
        };
        covered_until = line_end;
        let window_start = lines_back(text, line_start, rule.window.lines_before);
        let window_end = lines_forward(text, line_end, rule.window.lines_after);
        match out.last_mut() {
            Some(last) if window_start <= last.end => last.end = last.end.max(window_end),
            _ => out.push(window_start..window_end),
        }
    }
}

/// Start of the line `count` lines before the line starting at `line_start`.
fn lines_back(text: &[u8], mut line_start: usize, count: u32) -> usize {
    for _ in 0..count {
        if line_start == 0 {
            break;
        }
        line_start = memchr::memrchr(b'\n', &text[..line_start - 1]).map_or(0, |i| i + 1);
    }
    line_start
}

/// End (after the newline) of the line `count` lines after the line ending at `line_end`.
fn lines_forward(text: &[u8], mut line_end: usize, count: u32) -> usize {
    for _ in 0..count {
        if line_end >= text.len() {
            break;
        }
        line_end =
            memchr::memchr(b'\n', &text[line_end..]).map_or(text.len(), |i| line_end + i + 1);
    }
    line_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_rule_file;

    fn set(yaml: &str) -> DetectorSet {
        DetectorSet::new(parse_rule_file("test.yml", yaml, "test").unwrap()).unwrap()
    }

    const RULES: &str = r#"
rules:
  - id: TST001
    name: test-token
    title: Test token
    severity: high
    confidence: high
    keywords: [tok_]
    pattern: '\b(tok_[a-z0-9]{8})\b'
    description: d
    why: w
    fix: f
    examples: ['tok_abcd1234']
  - id: TST002
    name: test-generic
    title: Generic
    severity: low
    confidence: low
    generic: true
    filter_placeholders: true
    keywords: [secret]
    pattern: 'secret\s*=\s*"([^"]+)"'
    description: d
    why: w
    fix: f
    examples: ['secret = "hunter22"']
  - id: TST003
    name: test-block
    title: Block
    severity: high
    confidence: high
    keywords: ['BEGIN BLOCK']
    window: {lines_after: 3}
    pattern: '(?s)BEGIN BLOCK\n(.+?)\nEND BLOCK'
    description: d
    why: w
    fix: f
    examples: ["BEGIN BLOCK\nabc\nEND BLOCK"]
"#;

    #[test]
    fn finds_by_keyword_case_insensitively_and_reports_spans() {
        let set = set(RULES);
        let text = b"x\ny = 'tok_abcd1234'\n";
        let found = set.detect(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].secret.clone()], b"tok_abcd1234");
        assert!(
            set.detect(b"TOK_ABCD1234").is_empty(),
            "pattern itself is case-sensitive"
        );
    }

    #[test]
    fn generic_yields_to_specific_at_the_same_place() {
        let set = set(RULES);
        let found = set.detect(b"secret = \"tok_abcd1234\"\n");
        assert_eq!(found.len(), 1);
        assert_eq!(set.rules()[found[0].rule].meta.code.as_str(), "TST001");
    }

    #[test]
    fn placeholders_are_filtered_for_generic_rules() {
        let set = set(RULES);
        assert!(set.detect(b"secret = \"${SECRET}\"\n").is_empty());
        assert_eq!(set.detect(b"secret = \"Summer2024!\"\n").len(), 1);
    }

    #[test]
    fn windows_span_following_lines() {
        let set = set(RULES);
        let found = set.detect(b"x\nBEGIN BLOCK\nMIIxyz\nEND BLOCK\n");
        assert_eq!(found.len(), 1);
        assert!(
            set.detect(b"BEGIN BLOCK\n1\n2\n3\n4\nEND BLOCK\n")
                .is_empty()
        );
    }

    #[test]
    fn many_hits_on_one_long_line_are_one_window() {
        let set = set(RULES);
        let mut line = "tok_ ".repeat(50_000);
        line.push_str("tok_abcd1234");
        assert_eq!(set.detect(line.as_bytes()).len(), 1);
    }

    #[test]
    fn duplicate_codes_are_rejected() {
        let mut rules = parse_rule_file("a.yml", RULES, "a").unwrap();
        rules.extend(parse_rule_file("b.yml", RULES, "b").unwrap());
        let err = DetectorSet::new(rules).unwrap_err().to_string();
        assert!(err.contains("TST001"), "{err}");
    }
}
