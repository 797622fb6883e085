/// A rule file that cannot be used. Messages name the file and, where known, the line; they never
/// quote the file's content.
#[derive(Debug, thiserror::Error)]
pub enum RuleFileError {
    #[error("{path}: cannot read rule file: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}{}: invalid rule file: {message}", line_suffix(*.line))]
    Syntax {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}{}: {message}", line_suffix(*.line))]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}
