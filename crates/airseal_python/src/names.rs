//! Which names hold secrets: keyword arguments, dict keys, variables, Airflow Variable keys and
//! environment variable names.
//!
//! Two questions with two answers. [`is_sensitive_name`] is airseal's: does this name hold a
//! credential (`password`, `db_pw2`, `clientSecret`, `X-Api-Key`)? It works on words, not
//! substrings, so `tokenizer`, `max_tokens` and `secret_name` are not secrets, and `pw`, `pwd`
//! and `pass` are. [`masker_hides`] is Airflow's: would the secrets masker hide a Variable or
//! connection extra with this name? That one is a plain substring test against the masker's
//! field list, exactly as Airflow does it.

// The masker's field lists live in airseal_finding (light: `watch airflow-log` uses them too,
// without this crate's Python parser).
pub use airseal_finding::masker::{
    MASKER_FIELDS, MASKER_FIELDS_AIRFLOW3, masker_hides, masker_hides_airflow3,
};

/// Words that make a name a credential on their own (digits at a word's end are ignored:
/// `password1`, `pw2`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passwort",
    "passphrase",
    "passcode",
    "pass",
    "pwd",
    "pw",
    "secret",
    "secrete",
    "token",
    "apikey",
    "authorization",
    "credential",
    "credentials",
    "creds",
    "bearer",
    "dsn",
    "privatekey",
    "secretkey",
    "accountkey",
    "sastoken",
    "keyfile",
    "webhook",
];

/// Word pairs that make a credential: `api_key`, `private_key`, `connection_string`, ...
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("master", "key"),
    ("service", "key"),
    ("account", "key"),
    ("shared", "key"),
    ("access", "key"),
    ("app", "key"),
    ("fernet", "key"),
    ("connection", "string"),
    ("conn", "str"),
    ("auth", "header"),
    // A webhook URL carries its token (Slack, Teams, Discord): the URL is the secret.
    ("webhook", "url"),
];

/// A last word that makes the name a reference to a secret, or something about it, rather than
/// the secret itself: `secret_name`, `token_url`, `password_file`, `api_key_id`, `max_tokens`.
const REFERENCE_SUFFIXES: &[&str] = &[
    "id",
    "ids",
    "name",
    "names",
    "path",
    "paths",
    "file",
    "files",
    "filename",
    "filepath",
    "dir",
    "url",
    "uri",
    "urls",
    "uris",
    "arn",
    "env",
    "var",
    "variable",
    "field",
    "fields",
    "type",
    "types",
    "length",
    "len",
    "policy",
    "prefix",
    "suffix",
    "template",
    "regex",
    "pattern",
    "re",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "count",
    "enabled",
    "required",
    "manager",
    "backend",
    "store",
    "class",
    "cls",
    "hook",
    "provider",
    "source",
    "location",
    "mount",
    "version",
    "column",
    "col",
    "mode",
    "method",
    "format",
    "fmt",
    "encoding",
    "label",
    "description",
    "desc",
    "help",
    "prompt",
    "msg",
    "message",
    "error",
    "hint",
    "placeholder",
    "question",
    "title",
    "kind",
    "size",
    "chars",
    "min",
    "max",
    "rotation",
    "changed",
    "created",
    "updated",
    "date",
    "time",
    "scope",
    "scopes",
    "endpoint",
    "host",
    "port",
    "user",
    "username",
    "login",
    "audience",
    "issuer",
    "algorithm",
    "alg",
    "callback",
    "handler",
    "func",
    "function",
    "validator",
    "strategy",
    "list",
    "map",
    "mapping",
    "config",
    "cfg",
    "settings",
    "options",
    "params",
    "kwargs",
    "args",
    "ref",
    "reference",
    "lookup",
    "mask",
    "masked",
    "hash",
    "hashed",
    "digest",
    "exists",
    "key",
    "keys",
    "tokens",
    "secrets",
    "parameter",
    "param",
    "command",
    "cmd",
    "widget",
    "input",
    "form",
    "view",
    "column",
    "index",
    "status",
    "state",
    "policy",
    "rule",
    "rules",
    "reset",
    "request",
    "response",
    "schema",
    "table",
    "attr",
    "attribute",
    "arg",
    "info",
    "intent",
];

/// A first word that makes the name a flag or an action: `is_password_set`, `get_token`,
/// `num_tokens`, `hide_secrets`.
const REFERENCE_PREFIXES: &[&str] = &[
    "is", "has", "use", "no", "get", "set", "num", "max", "min", "show", "hide", "mask",
    "validate", "check", "reset", "forgot", "enable", "disable", "require", "should", "allow",
    "verify", "generate", "gen", "create", "rotate", "expire", "refresh", "fetch", "load", "read",
    "write", "update", "delete", "remove", "encode", "decode", "encrypt", "decrypt", "parse",
    "build", "make", "store", "save", "last", "n", "total",
];

/// The words of a name: `clientSecret` → `client`, `secret`; `X-Api-Key` → `x`, `api`, `key`;
/// `db_pw2` → `db`, `pw` (trailing digits dropped).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            push_word(&mut out, &mut current);
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            push_word(&mut out, &mut current);
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    push_word(&mut out, &mut current);
    out
}

fn push_word(out: &mut Vec<String>, current: &mut String) {
    let word = current.trim_end_matches(|c: char| c.is_ascii_digit());
    if !word.is_empty() {
        out.push(word.to_owned());
    }
    current.clear();
}

/// Words that end in `pass` without being one.
const NOT_PASS: &[&str] = &[
    "bypass",
    "compass",
    "overpass",
    "underpass",
    "trespass",
    "surpass",
    "encompass",
];

/// A secret word, also run together with others (`dbpassword`, `mypass`, `authtoken`).
fn is_secret_word(word: &str) -> bool {
    if SECRET_WORDS.contains(&word) {
        return true;
    }
    // Collections of secrets (`secrets=[Secret(...)]`) are not a secret value themselves, nor is
    // a secrets manager.
    if word.contains("secrets") || word == "tokens" {
        return false;
    }
    let inside = ["password", "passwd", "passphrase", "apikey"]
        .iter()
        .any(|w| word.contains(w))
        || (word.contains("secret") && !word.starts_with("secretar"));
    let ending = ["pwd", "token"].iter().any(|w| word.ends_with(w))
        || (word.ends_with("pass") && !NOT_PASS.contains(&word));
    inside || ending
}

/// Fragments every sensitive name contains one of: a cheap test before splitting into words
/// (this runs for every keyword argument, dict key and assignment of every parsed file).
const FRAGMENTS: &[&[u8]] = &[
    b"pass", b"pw", b"secret", b"token", b"key", b"auth", b"cred", b"dsn", b"bearer", b"str",
    b"webhook",
];

fn may_be_sensitive(name: &str) -> bool {
    let bytes = name.as_bytes();
    FRAGMENTS.iter().any(|fragment| {
        bytes
            .windows(fragment.len())
            .any(|window| window.eq_ignore_ascii_case(fragment))
    })
}

/// Whether a name (keyword, dict key, variable, Variable key, env var) holds a credential.
pub fn is_sensitive_name(name: &str) -> bool {
    if !may_be_sensitive(name) {
        return false;
    }
    let words = words(name);
    if words.is_empty() {
        return false;
    }
    let secret_at = |i: usize| {
        is_secret_word(&words[i])
            || (i > 0
                && SECRET_PAIRS
                    .iter()
                    .any(|(a, b)| words[i - 1] == *a && words[i] == *b))
    };
    let Some(found) = (0..words.len()).rev().find(|&i| secret_at(i)) else {
        return false;
    };
    // The word right after the secret word, or the last word, says what the name is:
    // `password_file`, `token_expires_at_ms`, `api_key_id`, `oidc_token_service_url` are about a
    // secret; `password_for_email` is one.
    // `next_page_token`, `continuation_token`: pagination cursors, not credentials.
    if found > 0
        && matches!(
            words[found - 1].as_str(),
            "page" | "next" | "continuation" | "cursor" | "sync" | "cancel" | "cancellation"
        )
    {
        return false;
    }
    let reference =
        |w: Option<&String>| w.is_some_and(|w| REFERENCE_SUFFIXES.contains(&w.as_str()));
    if reference(words.get(found + 1)) || (found + 1 < words.len() && reference(words.last())) {
        return false;
    }
    if words.len() > 1 && REFERENCE_PREFIXES.contains(&words[0].as_str()) && found > 0 {
        return false;
    }
    true
}

/// Whether a name is about a password (not a token or key): weak values count there.
pub fn is_password_name(name: &str) -> bool {
    matches!(secret_word(name), "password" | "passphrase")
}

/// Whether a word names something about a secret rather than the secret (`id`, `name`, `path`).
pub fn is_reference_word(word: &str) -> bool {
    REFERENCE_SUFFIXES.contains(&word)
}

/// Names of connection strings (`dsn`, `conn_str`, `connection_string`, `*_uri`): their value
/// is a secret only when it carries credentials.
pub fn is_connection_string_name(name: &str) -> bool {
    let words = words(name);
    words.iter().any(|w| w == "dsn")
        || words.windows(2).any(|w| {
            matches!(
                (w[0].as_str(), w[1].as_str()),
                ("connection", "string") | ("conn", "str")
            )
        })
}

/// The secret word a name is about, for messages and suggested names (`password`, `token`,
/// `secret`, ...).
pub fn secret_word(name: &str) -> &'static str {
    let words = words(name);
    let has = |w: &[&str]| words.iter().any(|x| w.contains(&x.as_str()));
    let any = |f: &dyn Fn(&str) -> bool| words.iter().any(|x| f(x));
    if has(&["passphrase"]) {
        "passphrase"
    } else if has(&["pw", "passcode"])
        || any(&|w| w.contains("passw") || w.ends_with("pass") || w.ends_with("pwd"))
    {
        "password"
    } else if any(&|w| w.ends_with("token")) || has(&["bearer"]) {
        "token"
    } else if has(&["apikey"]) || words.windows(2).any(|w| w[0] == "api" && w[1] == "key") {
        "api_key"
    } else if has(&["privatekey"]) || words.windows(2).any(|w| w[0] == "private" && w[1] == "key") {
        "private_key"
    } else {
        "secret"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_snake_camel_kebab_and_drop_digits() {
        assert_eq!(words("clientSecret"), ["client", "secret"]);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("db_pw2"), ["db", "pw"]);
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
    }

    #[test]
    fn credential_names() {
        for name in [
            "password",
            "db_password",
            "PASSWORD",
            "passwd",
            "pwd",
            "db_pw2",
            "mypass",
            "my_pass",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "client_secret",
            "aws_secret_access_key",
            "webhook_token",
            "private_key",
            "passphrase",
            "Authorization",
            "access_token",
            "auth_token",
            "connection_string",
            "sas_token",
            "secret",
            "token",
            "PGPASSWORD",
            "new_password",
            "my_secret_password_for_email",
            "pharma_alerts_slack_webhook",
            "slack_webhook_url",
        ] {
            assert!(is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn reference_and_flag_names_are_not_credentials() {
        for name in [
            "password_file",
            "secret_name",
            "token_url",
            "aws_access_key_id",
            "api_key_id",
            "max_tokens",
            "tokenizer",
            "is_password_set",
            "get_token",
            "passenger",
            "password_length",
            "secret_arn",
            "key",
            "author",
            "passport",
            "bypass",
            "compass",
            "token_uri",
            "aws_conn_id",
            "kubernetes_secrets",
            "nextPageToken",
            "continuation_token",
        ] {
            assert!(!is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn masker_matches_airflow_substrings() {
        assert!(masker_hides("warehouse_password"));
        assert!(masker_hides("MY_API_KEY"));
        assert!(masker_hides("gcp_service_account_json"));
        assert!(!masker_hides("db_pw2"));
        assert!(!masker_hides("pg_pass"));
        assert!(!masker_hides("dsn"));
    }
}
