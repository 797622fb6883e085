//! YAML documents as trees with exact byte spans and lines, for rules that must point at a value
//! (`environment:` in a compose file, `env:` in a pod spec, Helm values).
//!
//! Built on `saphyr-parser`'s events, which carry positions; serde-based YAML crates drop them.
//! Aliases are kept as [`Node::Alias`] and never expanded, so a "billion laughs" file costs what
//! its text costs; nesting deeper than [`MAX_DEPTH`] is refused with an error rather than
//! risking the stack.

use std::borrow::Cow;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Deeper nesting than this is refused.
pub const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar {
        value: String,
        /// Bytes of the value in the text (inside the quotes of a quoted scalar).
        span: Range<usize>,
        line: usize,
        quoted: bool,
    },
    Mapping {
        entries: Vec<(Node, Node)>,
        line: usize,
    },
    Sequence {
        items: Vec<Node>,
        line: usize,
    },
    /// `*anchor`: not expanded.
    Alias {
        line: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. }
            | Node::Mapping { line, .. }
            | Node::Sequence { line, .. }
            | Node::Alias { line } => *line,
        }
    }

    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Mapping { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match self {
            Node::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Sequence { items, .. } => items,
            _ => &[],
        }
    }
}

/// Character index → byte offset (saphyr's markers count characters).
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let starts = if ascii {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        Offsets {
            text,
            ascii,
            starts,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            char_index.min(self.text.len())
        } else {
            self.starts
                .get(char_index)
                .copied()
                .unwrap_or(self.text.len())
        }
    }
}

/// Every document of a (possibly multi-document) YAML text.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let offsets = Offsets::new(text);
    let parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut stack: Vec<Building> = Vec::new();
    for next in parser {
        let (event, span) = next.map_err(|e| YamlError {
            line: e.marker().line(),
            message: e.info().to_owned(),
        })?;
        let line = span.start.line();
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {
                continue;
            }
            Event::DocumentEnd => continue,
            Event::Alias(_) => Node::Alias { line },
            Event::Scalar(value, style, _, _) => scalar(text, &offsets, value, style, &span),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nested more than {MAX_DEPTH} levels deep"),
                    });
                }
                let mapping = matches!(event, Event::MappingStart(..));
                stack.push(Building {
                    mapping,
                    line,
                    nodes: Vec::new(),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(done) = stack.pop() else {
                    continue;
                };
                done.finish()
            }
        };
        match stack.last_mut() {
            Some(parent) => parent.nodes.push(node),
            None => documents.push(node),
        }
    }
    Ok(documents)
}

struct Building {
    mapping: bool,
    line: usize,
    nodes: Vec<Node>,
}

impl Building {
    fn finish(self) -> Node {
        if self.mapping {
            let mut entries = Vec::with_capacity(self.nodes.len() / 2);
            let mut nodes = self.nodes.into_iter();
            while let (Some(k), Some(v)) = (nodes.next(), nodes.next()) {
                entries.push((k, v));
            }
            Node::Mapping {
                entries,
                line: self.line,
            }
        } else {
            Node::Sequence {
                items: self.nodes,
                line: self.line,
            }
        }
    }
}

fn scalar(
    text: &str,
    offsets: &Offsets<'_>,
    value: Cow<'_, str>,
    style: ScalarStyle,
    span: &Span,
) -> Node {
    let mut start = offsets.byte(span.start.index());
    let mut end = offsets.byte(span.end.index()).max(start);
    let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
    if quoted {
        let raw = &text[start..end];
        if raw.len() >= 2 && (raw.starts_with(['"', '\'']) && raw.ends_with(['"', '\''])) {
            start += 1;
            end -= 1;
        }
    }
    Node::Scalar {
        value: value.into_owned(),
        span: start..end,
        line: span.start.line(),
        quoted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_lines_and_documents() {
        let text = "a: 1\nb:\n  - \"x é y\"\n  - {k: v}\n---\nc: plain\n";
        let docs = parse_documents(text).unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let b = docs[0].get("b").map(Node::items).unwrap_or_default();
        let Node::Scalar {
            value,
            span,
            line,
            quoted,
        } = &b[0]
        else {
            panic!("{b:?}");
        };
        assert_eq!(
            (value.as_str(), &text[span.clone()], *line, *quoted),
            ("x é y", "x é y", 3, true)
        );
        assert_eq!(docs[1].get("c").and_then(Node::as_str), Some("plain"));
    }

    #[test]
    fn a_billion_laughs_is_not_expanded() {
        let mut text = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..30 {
            let refs = vec![format!("*a{}", i - 1); 9].join(",");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let started = std::time::Instant::now();
        let docs = parse_documents(&text).unwrap_or_default();
        assert_eq!(docs[0].entries().len(), 30);
        assert!(started.elapsed().as_secs() < 1);
    }

    #[test]
    fn errors_name_a_line_and_deep_nesting_is_refused() {
        assert_eq!(
            parse_documents("a: [1, 2\nb: c\n").map_err(|e| e.line > 0),
            Err(true)
        );
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_DEPTH + 10),
            "]".repeat(MAX_DEPTH + 10)
        );
        assert!(parse_documents(&deep).is_err());
    }
}
