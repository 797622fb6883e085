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
            let buffered: Box<dyn Write> = Box::new(BufWriter::new(file));
            Box::new(anstream::StripStream::new(buffered))
        }
        None => Box::new(BufWriter::new(anstream::stdout())),
    })
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
