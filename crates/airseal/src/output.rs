use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Where a report goes: stdout (colour when it is a terminal and `NO_COLOR` is unset) or a file
/// (never coloured).
pub fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            Box::new(Stripped::new(BufWriter::new(file)))
        }
        None => Box::new(BufWriter::new(anstream::stdout())),
    })
}

/// What `anstream::StripStream` writes, without running its escape-sequence parser over
/// every byte: a write of printable ASCII and whitespace, while the parser is at rest, passes
/// through unchanged (and leaves it at rest), so it is written as it is. JSON and SARIF reports
/// (tens of MB for a large trail) are nothing else; anything else is stripped as before.
struct Stripped<W: Write> {
    raw: W,
    state: anstream::adapter::StripBytes,
}

impl<W: Write> Stripped<W> {
    fn new(raw: W) -> Self {
        Stripped {
            raw,
            state: anstream::adapter::StripBytes::new(),
        }
    }

    /// Whether `buf` can be written as it is.
    fn passes(&self, buf: &[u8]) -> bool {
        buf.iter()
            .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | 0x0c | b'\r'))
            && self.state == anstream::adapter::StripBytes::new()
    }
}

impl<W: Write> Write for Stripped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.passes(buf) {
            return self.raw.write_all(buf);
        }
        for printable in self.state.strip_next(buf) {
            self.raw.write_all(printable)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.raw.flush()
    }
}

/// A closed pipe (`airseal scan | head`) ends the run quietly, as in other Unix tools.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

#[allow(clippy::print_stderr)]
pub fn print_error(error: &anyhow::Error) {
    let mut message = format!("airseal: error: {error}");
    for cause in error.chain().skip(1) {
        message.push_str(&format!("\n  caused by: {cause}"));
    }
    eprintln!("{message}");
}

/// Writes to stderr, ignoring a closed stderr (nothing better to do with the message).
pub fn stderr_line(line: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `chunks` through `anstream::StripStream` and through [`Stripped`].
    fn both(chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        let mut theirs = anstream::StripStream::new(Vec::new());
        let mut ours = Stripped::new(Vec::new());
        for chunk in chunks {
            theirs.write_all(chunk).unwrap();
            ours.write_all(chunk).unwrap();
        }
        (theirs.into_inner(), ours.raw)
    }

    #[test]
    fn strips_as_anstream_does() {
        let ascii: Vec<u8> = (0u8..=0x7f).collect();
        let cases: &[&[&[u8]]] = &[
            &[b"{\"a\": 1}\n", b"  plain\ttext\r\n"],
            &[b"red \x1b[31m", b"text\x1b[0m done\n", b"after\n"],
            &[b"cut \x1b[", b"31m in two", b" then plain\n"],
            &[b"caf\xc3", b"\xa9 ", b"plain\n"],
            &["\u{9b}31m C1 \u{7f} del \u{1F600}\n".as_bytes(), b"plain\n"],
            &[&ascii, b"plain\n", &ascii],
            &[b"\x0b vertical tab\n", b"\x00 nul\n"],
        ];
        for chunks in cases {
            let (theirs, ours) = both(chunks);
            assert_eq!(ours, theirs, "{chunks:?}");
        }
    }
}
