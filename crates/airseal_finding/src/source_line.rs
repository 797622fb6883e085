use std::ops::Range;

use crate::{LineIndex, redact};

/// The line a finding is on, as a code frame may show it: every secret on the line replaced by
/// its redacted form, and cut to a readable width around the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub line: usize,
    pub text: String,
    /// Character range of the finding's (redacted) secret within `text`, for the underline.
    pub highlight: Range<usize>,
}

/// Characters shown before and after the secret when a line is too long to show whole.
const CONTEXT_BEFORE: usize = 60;
const CONTEXT_AFTER: usize = 60;
const MAX_WIDTH: usize = 160;

impl SourceLine {
    /// Builds the line holding `secret` (a byte span of `text`), redacting every span in
    /// `all_secrets` that touches the line (the finding's own included).
    pub fn redacted(
        text: &[u8],
        index: &LineIndex,
        secret: Range<usize>,
        all_secrets: &[Range<usize>],
    ) -> SourceLine {
        let line = index.line(secret.start);
        let full = index.line_range(text, line);
        // Decode only what can be shown: enough bytes on each side for the character budget
        // (a character is at most four bytes), so a finding in a 5 MB minified line stays cheap.
        let budget = 4 * (MAX_WIDTH + CONTEXT_BEFORE + CONTEXT_AFTER);
        let range = full.start.max(secret.start.saturating_sub(budget))
            ..full
                .end
                .min(secret.end.saturating_add(budget))
                .max(full.start);
        let cut_before = range.start > full.start;
        let cut_after = range.end < full.end;
        let mut spans: Vec<Range<usize>> = all_secrets
            .iter()
            .filter(|s| s.start < range.end.max(range.start + 1) && s.end > range.start)
            .map(|s| s.start.max(range.start)..s.end.min(range.end))
            .collect();
        spans.sort_by_key(|s| s.start);
        let mut out = String::new();
        let mut cursor = range.start;
        // Where the finding's own span starts and ends in `out`, in characters. For a secret it
        // is its redaction; for a code span (a call, a template) it is mapped through the plain
        // text and any redactions inside it.
        let target = secret.start.max(range.start)..secret.end.min(range.end);
        let mut marks = Marks::default();
        for span in spans {
            if span.start < cursor {
                continue; // overlapping secrets: the first one's redaction covers both
            }
            push_plain(&mut out, text, cursor..span.start, &target, &mut marks);
            let start = out.chars().count();
            // Redact the whole secret, not only its part on this line.
            let whole = all_secrets
                .iter()
                .find(|s| s.start.max(range.start) == span.start)
                .cloned()
                .unwrap_or(span.clone());
            out.push_str(&redact(&text[whole]));
            let end = out.chars().count();
            if (span.start..span.end.max(span.start + 1)).contains(&target.start)
                && marks.start.is_none()
            {
                marks.start = Some(start);
            }
            if target.end > span.start && target.end <= span.end && marks.end.is_none() {
                marks.end = Some(end);
            }
            cursor = span.end;
        }
        push_plain(
            &mut out,
            text,
            cursor.min(range.end)..range.end,
            &target,
            &mut marks,
        );
        let highlight = match (marks.start, marks.end) {
            (Some(start), Some(end)) if end >= start => start..end,
            (Some(start), _) => start..out.chars().count(),
            _ => 0..0,
        };
        let mut shown = truncate_around(SourceLine {
            line,
            text: out,
            highlight,
        });
        if cut_before && !shown.text.starts_with('…') {
            shown.text.insert(0, '…');
            shown.highlight = shown.highlight.start + 1..shown.highlight.end + 1;
        }
        if cut_after && !shown.text.ends_with('…') {
            shown.text.push('…');
        }
        shown
    }
}

/// Character positions of the finding's span in the shown line.
#[derive(Default)]
struct Marks {
    start: Option<usize>,
    end: Option<usize>,
}

/// Pushes unredacted text, noting where the finding's span starts or ends inside it.
fn push_plain(
    out: &mut String,
    text: &[u8],
    plain: Range<usize>,
    target: &Range<usize>,
    marks: &mut Marks,
) {
    let mut from = plain.start;
    for (position, is_start) in [(target.start, true), (target.end, false)] {
        if position < from || position > plain.end {
            continue;
        }
        let already = if is_start {
            marks.start.is_some()
        } else {
            marks.end.is_some()
        };
        if already {
            continue;
        }
        push_lossy(out, &text[from..position]);
        from = position;
        let here = out.chars().count();
        if is_start {
            marks.start = Some(here);
        } else {
            marks.end = Some(here);
        }
    }
    push_lossy(out, &text[from..plain.end]);
}

fn push_lossy(out: &mut String, bytes: &[u8]) {
    for c in String::from_utf8_lossy(bytes).chars() {
        // Tabs become one space so the underline lines up; other controls are escaped.
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
}

fn truncate_around(line: SourceLine) -> SourceLine {
    let chars: Vec<char> = line.text.chars().collect();
    if chars.len() <= MAX_WIDTH {
        return line;
    }
    let start = line.highlight.start.saturating_sub(CONTEXT_BEFORE);
    let end = (line.highlight.end + CONTEXT_AFTER).min(chars.len());
    let mut text = String::new();
    let mut shift = 0;
    if start > 0 {
        text.push('…');
        shift = 1;
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push('…');
    }
    SourceLine {
        line: line.line,
        text,
        highlight: line.highlight.start - start + shift..line.highlight.end - start + shift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_is_highlighted_in_place_and_secrets_inside_it_stay_redacted() {
        let text = b"x = connect(password='AKIAQYLPMN5HFIQR7Q2X') # end\n";
        let index = LineIndex::new(text);
        // The code span is the whole call; the secret inside it is redacted.
        let secret = 22..42;
        let line = SourceLine::redacted(text, &index, 4..44, std::slice::from_ref(&secret));
        assert_eq!(line.text, "x = connect(password='AKIA…7Q2X') # end");
        let shown: String = line
            .text
            .chars()
            .skip(line.highlight.start)
            .take(line.highlight.len())
            .collect();
        assert_eq!(shown, "connect(password='AKIA…7Q2X')");
    }

    #[test]
    fn every_secret_on_the_line_is_redacted() {
        let text =
            b"a\nk = 'AKIAQYLPMN5HFIQR7Q2X'; s = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzK9a3b2c1d'\n";
        let index = LineIndex::new(text);
        let line = SourceLine::redacted(text, &index, 7..27, &[7..27, 35..75]);
        assert_eq!(line.line, 2);
        assert_eq!(line.text, "k = 'AKIA…7Q2X'; s = 'wJal…2c1d'");
        let shown: String = line
            .text
            .chars()
            .skip(line.highlight.start)
            .take(9)
            .collect();
        assert_eq!(shown, "AKIA…7Q2X");
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut source = "x".repeat(5000);
        source.push_str("ghp_R4nd0mV4lu3Th4tMu5tN0tL34k0000000");
        source.push_str(&"y".repeat(5000));
        let text = source.as_bytes();
        let index = LineIndex::new(text);
        let secret = 5000..5037;
        let line =
            SourceLine::redacted(text, &index, secret.clone(), std::slice::from_ref(&secret));
        assert!(line.text.chars().count() < 200, "{}", line.text.len());
        assert!(line.text.starts_with('…') && line.text.ends_with('…'));
        let shown: String = line
            .text
            .chars()
            .skip(line.highlight.start)
            .take(line.highlight.len())
            .collect();
        assert_eq!(shown, "ghp_…0000");
    }
}
