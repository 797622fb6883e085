use std::fmt;

/// Why a file was not scanned (or scanned with a caveat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningKind {
    Unreadable,
    TooLarge,
    Binary,
    InvalidUtf8,
    LongLine,
    SymlinkLoop,
    BrokenLink,
    Walk,
    /// Raised by an analyzer (e.g. a file it could not parse).
    Analyzer,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Unreadable => "unreadable",
            WarningKind::TooLarge => "too-large",
            WarningKind::Binary => "binary",
            WarningKind::InvalidUtf8 => "invalid-utf8",
            WarningKind::LongLine => "long-line",
            WarningKind::SymlinkLoop => "symlink-loop",
            WarningKind::BrokenLink => "broken-link",
            WarningKind::Walk => "walk",
            WarningKind::Analyzer => "analyzer",
        }
    }
}

/// A non-fatal problem with one path. The message never quotes file content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Warning {
    pub path: String,
    pub line: Option<usize>,
    pub kind: WarningKind,
    pub message: String,
}

impl Warning {
    pub fn new(path: impl Into<String>, kind: WarningKind, message: impl Into<String>) -> Self {
        Warning {
            path: path.into(),
            line: None,
            kind,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
