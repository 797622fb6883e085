//! Decides cheaply which Python files need a parse: one case-insensitive Aho-Corasick pass for
//! the words every `DAG###` rule needs to see in a file before it can fire. A file with none of
//! them (most of a large repository) costs one linear scan, not a parse.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Every rule's trigger words: sensitive names (which also cover `conn.password`, `{{ conn.x.password }}`
/// and `extra_dejson` secrets), the Airflow APIs the rules follow (`Variable`, `Connection`,
/// `get_connection`, `environ` / `getenv`), URIs with credentials (`://`), logging of connection
/// fields, and the cloud SDKs' credential parameters.
const KEYWORDS: &[&str] = &[
    "pass",
    "pwd",
    "pw",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "private_key",
    "privatekey",
    "_key",
    "authorization",
    "auth",
    "cred",
    "dsn",
    "bearer",
    "connection_string",
    "variable",
    "connection",
    "get_uri",
    "environ",
    "getenv",
    "://",
    "var.value",
    "var.json",
    "keyfile",
];

#[derive(Debug)]
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
}

impl Default for Prefilter {
    fn default() -> Self {
        Self::new()
    }
}

impl Prefilter {
    pub fn new() -> Self {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(KEYWORDS)
            .ok();
        Prefilter { automaton }
    }

    /// Whether any rule could fire on this file. If the automaton could not be built (it
    /// always can; this is a fallback), every file is parsed.
    pub fn needs_parse(&self, bytes: &[u8]) -> bool {
        self.automaton
            .as_ref()
            .is_none_or(|automaton| automaton.is_match(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_files_without_trigger_words() {
        let prefilter = Prefilter::new();
        assert!(!prefilter.needs_parse(b"import math\nprint(math.pi * 2)\n"));
        assert!(prefilter.needs_parse(b"PASSWORD = 'x'\n"));
        assert!(prefilter.needs_parse(b"x = os.getenv('DB')\n"));
        assert!(prefilter.needs_parse(b"from airflow.models import Variable\n"));
    }
}
