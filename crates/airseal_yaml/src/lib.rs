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
        /// A literal block scalar (`|`): its value is the file's lines minus the indentation,
        /// so offsets inside it can be mapped back with [`LiteralBlock`].
        literal: bool,
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
    parse_counted(text).map(|parsed| parsed.documents)
}

/// Past this many nodes with aliases expanded, a file is called a YAML bomb.
pub const EXPANSION_LIMIT: u64 = 1_000_000;

/// Documents, and how many nodes they would have with every alias expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub documents: Vec<Node>,
    /// Saturating: a "billion laughs" file reports its billion without building it.
    pub expanded_nodes: u64,
}

impl Parsed {
    /// The warning to give when aliases would expand past [`EXPANSION_LIMIT`] nodes.
    pub fn bomb_warning(&self) -> Option<String> {
        (self.expanded_nodes > EXPANSION_LIMIT).then(|| {
            format!(
                "aliases would expand to more than {EXPANSION_LIMIT} nodes (a YAML bomb?); they were not expanded, and keys reached only through them were not checked"
            )
        })
    }
}

/// [`parse_documents`], counting the expanded size from the anchors' sizes (never expanding).
pub fn parse_counted(text: &str) -> Result<Parsed, YamlError> {
    let mut anchor_sizes: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    let mut expanded_nodes: u64 = 0;
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
        let (node, size) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {
                continue;
            }
            Event::DocumentEnd => continue,
            Event::Alias(id) => (
                Node::Alias { line },
                anchor_sizes.get(&id).copied().unwrap_or(1),
            ),
            Event::Scalar(value, style, anchor, _) => {
                if anchor > 0 {
                    anchor_sizes.insert(anchor, 1);
                }
                (scalar(text, &offsets, value, style, &span), 1)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
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
                    anchor,
                    size: 1,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(done) = stack.pop() else {
                    continue;
                };
                if done.anchor > 0 {
                    anchor_sizes.insert(done.anchor, done.size);
                }
                let size = done.size;
                (done.finish(), size)
            }
        };
        match stack.last_mut() {
            Some(parent) => {
                parent.size = parent.size.saturating_add(size);
                parent.nodes.push(node);
            }
            None => {
                expanded_nodes = expanded_nodes.saturating_add(size);
                documents.push(node);
            }
        }
    }
    Ok(Parsed {
        documents,
        expanded_nodes,
    })
}

struct Building {
    mapping: bool,
    line: usize,
    nodes: Vec<Node>,
    /// saphyr's anchor id, 0 for none.
    anchor: usize,
    /// Nodes in this subtree with aliases expanded.
    size: u64,
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
    let literal = matches!(style, ScalarStyle::Literal);
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
        literal,
    }
}

/// Offsets inside a literal block scalar's value (`extraEnv: |` holding more YAML, a
/// `webserver_config.py` in `stringOverride: |`) mapped back to the file, so a finding inside
/// embedded text points at its exact bytes and line.
#[derive(Debug, Clone)]
pub struct LiteralBlock {
    /// Start of every line of the value, in the value.
    value_line_starts: Vec<usize>,
    /// Where that line's content starts in the file.
    file_line_starts: Vec<usize>,
    /// 1-based file line of the value's first line.
    pub first_line: usize,
}

impl LiteralBlock {
    /// The mapper of a [`Node::Scalar`] with `literal: true`; `None` for anything else.
    pub fn of(text: &str, node: &Node) -> Option<LiteralBlock> {
        let Node::Scalar {
            value,
            span,
            line,
            literal: true,
            ..
        } = node
        else {
            return None;
        };
        let line_start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = span.start - line_start;
        let mut value_line_starts = Vec::new();
        let mut file_line_starts = Vec::new();
        let mut file_line = line_start;
        let mut offset = 0;
        for value_line in value.split_inclusive('\n') {
            let file_rest = text.get(file_line..)?;
            let file_line_len = file_rest.find('\n').map_or(file_rest.len(), |i| i + 1);
            value_line_starts.push(offset);
            file_line_starts.push(file_line + indent.min(file_line_len.saturating_sub(1)));
            offset += value_line.len();
            file_line += file_line_len;
            if file_line >= text.len() {
                break;
            }
        }
        Some(LiteralBlock {
            value_line_starts,
            file_line_starts,
            first_line: *line,
        })
    }

    /// The file range of `range` inside the value, if both ends lie on lines that were mapped
    /// and the bytes agree.
    pub fn map(&self, text: &str, value: &str, range: Range<usize>) -> Option<Range<usize>> {
        let start = self.map_offset(range.start)?;
        let end = start + range.len();
        (text.get(start..end)? == value.get(range)?).then_some(start..end)
    }

    /// 1-based file line of an offset inside the value.
    pub fn line_of(&self, offset: usize) -> usize {
        let index = self
            .value_line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        self.first_line + index
    }

    fn map_offset(&self, offset: usize) -> Option<usize> {
        let index = self
            .value_line_starts
            .partition_point(|&start| start <= offset)
            .checked_sub(1)?;
        Some(self.file_line_starts.get(index)? + (offset - self.value_line_starts.get(index)?))
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
            ..
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
    fn literal_blocks_map_back_to_the_file() {
        let text = "a:\n  b: |\n    - name: X\n      value: \"y\"\n\n    end\n  c: 1\n";
        let docs = parse_documents(text).unwrap_or_default();
        let b = docs[0].get("a").and_then(|a| a.get("b")).cloned();
        let Some(b) = b else { panic!("no b") };
        let block = LiteralBlock::of(text, &b);
        let Some(block) = block else {
            panic!("not literal")
        };
        let value = b.as_str().unwrap_or_default();
        let y = value.find('y').unwrap_or_default();
        let mapped = block.map(text, value, y..y + 1).unwrap_or_default();
        assert_eq!(&text[mapped.clone()], "y");
        assert_eq!(block.line_of(y), 4);
        let end = value.find("end").unwrap_or_default();
        assert_eq!(
            block.map(text, value, end..end + 3).map(|r| &text[r]),
            Some("end")
        );
        assert_eq!(block.line_of(end), 6);
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
        let parsed = parse_counted(&text);
        let Ok(parsed) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(parsed.documents[0].entries().len(), 30);
        assert!(started.elapsed().as_secs() < 1);
        assert!(parsed.expanded_nodes > EXPANSION_LIMIT);
        assert!(parsed.bomb_warning().is_some());
        let small = parse_counted("a: &x [1, 2]\nb: *x\n").map(|p| p.expanded_nodes);
        // mapping + 2 keys + list(3) + alias(3)
        assert_eq!(small, Ok(9));
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
