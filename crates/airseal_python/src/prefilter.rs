//! Decides cheaply which Python files need a parse: one case-insensitive Aho-Corasick pass for
//! the words every `DAG###` rule needs to see in a file before it can fire. A file with none of
//! them (most of a large repository) costs one linear scan, not a parse.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Every rule's trigger words: sensitive names (which also cover `conn.password`, `{{ conn.x.password }}`
/// and `extra_dejson` secrets), the Airflow APIs the rules follow (`Variable`, `Connection(`,
/// `get_connection(`, `environ` / `getenv`), and the cloud SDKs' credential parameters. A rule
/// whose trigger is not here would silently never fire on files without one: the fixture tests
/// run every rule's fixture through this filter.
const KEYWORDS: &[&str] = &[
    // Passwords, but not Python's `pass` statement.
    "passw",
    "passphrase",
    "passcode",
    "_pass",
    "pass_",
    "pass=",
    "pass =",
    "pass\"",
    "pass'",
    "pwd",
    "pw",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "private_key",
    "privatekey",
    "signing_key",
    "encryption_key",
    "master_key",
    "service_key",
    "account_key",
    "shared_key",
    "access_key",
    "app_key",
    "fernet_key",
    "authorization",
    "auth=",
    "auth =",
    "basicauth",
    "digestauth",
    "proxyauth",
    "cred",
    "dsn",
    "bearer",
    "connection_string",
    "variable",
    "connection(",
    "get_uri",
    "environ",
    "getenv",
    "var.value",
    "var.json",
    "keyfile",
    "webhook",
];

/// `://user:password@`: a URI with a password. "://" alone is in every licence header.
const URI_WITH_PASSWORD: &str = r#"://[^\s/@'"]*:[^\s/@'"]*@"#;

#[derive(Debug)]
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    uri: Option<regex::bytes::Regex>,
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
        let uri = regex::bytes::Regex::new(URI_WITH_PASSWORD).ok();
        Prefilter { automaton, uri }
    }

    /// Whether any rule could fire on this file. If the automaton could not be built (it
    /// always can; this is a fallback), every file is parsed.
    pub fn needs_parse(&self, bytes: &[u8]) -> bool {
        self.automaton
            .as_ref()
            .is_none_or(|automaton| automaton.is_match(bytes))
            || self.uri.as_ref().is_none_or(|uri| uri.is_match(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_files_without_trigger_words() {
        let prefilter = Prefilter::new();
        assert!(!prefilter.needs_parse(b"import math\nprint(math.pi * 2)\n"));
        // Licence headers and `pass` statements are not triggers.
        assert!(
            !prefilter
                .needs_parse(b"# http://www.apache.org/licenses/LICENSE-2.0\ndef f():\n    pass\n")
        );
        assert!(prefilter.needs_parse(b"u = 'postgresql://etl:pw@db/x'\n"));
        assert!(prefilter.needs_parse(b"PASSWORD = 'x'\n"));
        assert!(prefilter.needs_parse(b"x = os.getenv('DB')\n"));
        assert!(prefilter.needs_parse(b"from airflow.models import Variable\n"));
    }
}
