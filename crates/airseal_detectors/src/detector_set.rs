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
        let keyword_rules = close_over_overlaps(&keywords, keyword_rules);
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
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
        if self.rules.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u32, usize, usize)> = Vec::new();
        for m in self.automaton.find_iter(text) {
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
        // The lazy DFA finds match bounds quickly on any window; capture groups are then resolved
        // on the matched bytes only, where the regex crate can use its bounded backtracker instead
        // of the much slower PikeVM that a whole window (many lines, a large NFA) would need.
        // Re-running on the match alone is sound: the match already satisfied `\b` and anchors in
        // context, and the same bytes satisfy them at the ends of a haystack.
        for whole in rule.regex.find_iter(haystack) {
            let matched = &haystack[whole.range()];
            let Some(caps) = rule.regex.captures(matched) else {
                continue;
            };
            let Some(secret) = caps.get(rule.secret_group) else {
                continue;
            };
            let value = secret.as_bytes();
            if value.is_empty() {
                continue;
            }
            if rule
                .min_entropy
                .is_some_and(|min| shannon_entropy(value) < min)
            {
                continue;
            }
            if rule.filter_placeholders && looks_like_placeholder(value) {
                continue;
            }
            let base = window.start + whole.start();
            found.push(Detection {
                rule: rule_index,
                secret: base + secret.start()..base + secret.end(),
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

/// Makes a non-overlapping keyword search as complete as an overlapping one.
///
/// A leftmost-longest search reports match M and resumes after it, so an occurrence of keyword K
/// is skipped only when it starts inside M: then K is contained in M, or a suffix of M is a
/// prefix of K. Giving M's keyword the rules of every such K means each rule still sees a hit on
/// every line where one of its keywords occurs (a hit may run a rule whose keyword turns out
/// absent, which costs a regex scan of one line and finds nothing). The non-overlapping search
/// is several times faster than the overlapping one on code full of common keywords.
fn close_over_overlaps(keywords: &[String], direct: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    let mut closed = direct.clone();
    for (m, outer) in keywords.iter().enumerate() {
        for (k, inner) in keywords.iter().enumerate() {
            if m == k {
                continue;
            }
            let contained = outer.contains(inner.as_str());
            let straddles = (1..outer.len().min(inner.len()))
                .any(|n| outer.as_bytes()[outer.len() - n..] == inner.as_bytes()[..n]);
            if contained || straddles {
                for &rule in &direct[k] {
                    if !closed[m].contains(&rule) {
                        closed[m].push(rule);
                    }
                }
            }
        }
    }
    closed
}

/// How far from its keyword a single-line match may reach. Secrets sit within a few hundred bytes
/// of the name or prefix that identifies them; without this cap, a keyword in a multi-megabyte
/// minified bundle would make a rule scan the whole bundle line.
const REACH_BYTES: usize = 1024;
/// Reach of rules whose matches span lines (PEM blocks, service-account JSON), per line allowed.
const REACH_BYTES_PER_LINE: usize = 2048;

/// Turns one rule's keyword hits (sorted by offset) into merged windows: the hit's line, extended
/// by the rule's `window` lines, cut to the rule's reach around the hit.
///
/// Each line's bounds are found once however many hits it has, so a 100k-character minified line
/// with thousands of hits costs one pass, not one per hit.
fn collect_windows(
    text: &[u8],
    rule: &Rule,
    hits: &[(u32, usize, usize)],
    out: &mut Vec<Range<usize>>,
) {
    let window = rule.window;
    let reach =
        REACH_BYTES + REACH_BYTES_PER_LINE * window.lines_before.max(window.lines_after) as usize;
    // Bounds of the line holding the previous hit; lines are disjoint and hits sorted, so a new
    // line's start is searched for only between the previous line's end and the hit.
    let mut line = 0..0;
    let mut have_line = false;
    for &(_, start, end) in hits {
        if !have_line || start >= line.end {
            let from = if have_line { line.end } else { 0 };
            let line_start =
                memchr::memrchr(b'\n', &text[from..start]).map_or(from, |i| from + i + 1);
            let line_end = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |i| end + i + 1);
            line = line_start..line_end;
            have_line = true;
        }
        let lines_start = lines_back(text, line.start, window.lines_before);
        let lines_end = lines_forward(text, line.end, window.lines_after);
        let window_start = lines_start.max(start.saturating_sub(reach));
        let window_end = lines_end.min(end.saturating_add(reach));
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
    fn overlapping_keywords_of_different_rules_are_all_seen() {
        let yaml = r#"
rules:
  - id: TST101
    name: abc-rule
    title: t
    severity: low
    confidence: low
    keywords: [abc]
    pattern: '(abc\d)'
    description: d
    why: w
    fix: f
    examples: ['abc1']
  - id: TST102
    name: cde-rule
    title: t
    severity: low
    confidence: low
    keywords: [cdef]
    pattern: '(cdef\d)'
    description: d
    why: w
    fix: f
    examples: ['cdef2']
  - id: TST103
    name: bc-rule
    title: t
    severity: low
    confidence: low
    keywords: [bc]
    pattern: '(bc\w)'
    description: d
    why: w
    fix: f
    examples: ['bcx']
"#;
        let set = set(&yaml.replace("[bc]", "[bcx]"));
        // "abcdef2": abc straddles cdef; bcx is not present; "abc" then "cdef" must both fire.
        let found = set.detect(b"abcdef2 abc1 bcx\n");
        let codes: Vec<&str> = found
            .iter()
            .map(|d| set.rules()[d.rule].meta.code.as_str())
            .collect();
        assert!(codes.contains(&"TST102"), "{codes:?}");
        assert!(codes.contains(&"TST101"), "{codes:?}");
        assert!(codes.contains(&"TST103"), "{codes:?}");
    }

    #[test]
    fn duplicate_codes_are_rejected() {
        let mut rules = parse_rule_file("a.yml", RULES, "a").unwrap();
        rules.extend(parse_rule_file("b.yml", RULES, "b").unwrap());
        let err = DetectorSet::new(rules).unwrap_err().to_string();
        assert!(err.contains("TST001"), "{err}");
    }
}
