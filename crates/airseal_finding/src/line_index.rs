/// Maps byte offsets in a file to 1-based line and column numbers.
///
/// Columns count characters (Unicode scalar values, invalid UTF-8 bytes counting one each), the
/// convention of editors and of ruff. The index is built only for files that have findings.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_iter_newlines(text).map(|i| i + 1));
        LineIndex { line_starts }
    }

    /// 1-based line number holding `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Byte offset where the 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line.saturating_sub(1).min(self.line_starts.len() - 1)]
    }

    /// Byte range of the 1-based `line`, without its line terminator.
    pub fn line_range(&self, text: &[u8], line: usize) -> std::ops::Range<usize> {
        let start = self.line_start(line).min(text.len());
        let mut end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        while end > start && matches!(text[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }

    /// 1-based (line, column) of `offset`.
    pub fn line_column(&self, text: &[u8], offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line(offset);
        let start = self.line_start(line);
        (line, count_chars(&text[start..offset]) + 1)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn memchr_iter_newlines(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    text.iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// Characters in `bytes`, counting each invalid UTF-8 byte as one character.
fn count_chars(bytes: &[u8]) -> usize {
    let mut count = 0;
    for chunk in bytes.utf8_chunks() {
        count += chunk.valid().chars().count() + chunk.invalid().len();
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "ab\ncdé\nfg".as_bytes();
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 0), (1, 1));
        assert_eq!(index.line_column(text, 3), (2, 1));
        // After "cdé" (é is two bytes) the column is 4.
        assert_eq!(index.line_column(text, 7), (2, 4));
        assert_eq!(index.line_column(text, 8), (3, 1));
        assert_eq!(index.line_range(text, 2), 3..7);
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn crlf_is_not_part_of_the_line() {
        let text = b"a=1\r\nb=2\r\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, 1), 0..3);
    }

    #[test]
    fn invalid_utf8_counts_one_column_per_byte() {
        let text = b"\xff\xfeab";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 3), (1, 4));
    }
}
