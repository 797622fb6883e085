//! Recognises values that stand in for a secret rather than being one: template variables,
//! masked values, "changeme" and friends. Applied to rules with `filter_placeholders: true`
//! (every generic rule), because a scanner that flags `password: ${DB_PASSWORD}` trains people to
//! ignore it.

/// Words that, as the whole value (case-insensitive), are not a secret. Weak but real passwords
/// (`secret`, `mypassword`, `airflow`, `postgres`) are deliberately absent: a literal weak
/// password is still a hardcoded password. Only stand-ins and the key names themselves are here.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "key",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "todo",
    "fixme",
    "test",
    "sample",
    "foo",
    "bar",
    "baz",
    "string",
    "str",
    "value",
    "default",
    "required",
    "optional",
    "empty",
    "hidden",
    "masked",
    "secret_key",
    "access_key",
    "client_secret",
    "auth_token",
    "access_token",
    "private_key",
    "bearer",
    "basic",
    "username",
    "user",
    "login",
    "admin_password",
    "db_password",
    "yourpassword",
    "your_password",
    // Type names: `password: bytes` in a class body or a signature is an annotation.
    "bytes",
    "bool",
    "int",
    "float",
    "dict",
    "list",
    "any",
    "object",
    "secretstr",
];

/// Fragments that anywhere in the value (case-insensitive) mark it as a placeholder.
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "placeholder",
    "redacted",
    "example",
    "dummy",
    "xxxx",
    "****",
    "your_",
    "your-",
    "yourtoken",
    "yoursecret",
    "yourkey",
    "insert_",
    "insert-",
    "replace_me",
    "replace-me",
    "replaceme",
    "fixme",
    "<redacted>",
    "...",
    "…",
];

/// Syntax of templates and variable references in the languages Airflow projects use: shell
/// `${X}` / `$(cmd)` / `$X`, Jinja `{{ }}` / `{% %}`, Python `%(x)s`, `<angle brackets>`, Helm
/// `{{ .Values.x }}`.
const TEMPLATE_MARKERS: &[&str] = &["${", "$(", "{{", "{%", "#{"];

/// Prefixes of made-up values: `my-password`, `your_token_here`.
const PLACEHOLDER_PREFIXES: &[&str] = &["my_", "my-", "your"];

/// Whether `value` is a stand-in rather than a real secret.
pub fn looks_like_placeholder(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let trimmed = text.trim();
    if trimmed.chars().count() < 3 {
        return true;
    }
    let lower = trimmed.to_lowercase();
    if PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return true;
    }
    if PLACEHOLDER_FRAGMENTS.iter().any(|f| lower.contains(f)) {
        return true;
    }
    if TEMPLATE_MARKERS.iter().any(|m| trimmed.contains(m)) {
        return true;
    }
    if PLACEHOLDER_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    if has_python_format_field(trimmed) {
        return true;
    }
    // `$VAR` / `%VAR%` environment references.
    let bytes = trimmed.as_bytes();
    if bytes[0] == b'$'
        && bytes
            .get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return true;
    }
    if bytes[0] == b'%' && bytes[bytes.len() - 1] == b'%' {
        return true;
    }
    // `<password>`, `<your token here>`.
    if let (Some(open), Some(close)) = (trimmed.find('<'), trimmed.rfind('>'))
        && open < close
    {
        return true;
    }
    // One repeated character (`aaaaaaa`, `00000000`) or only mask characters.
    let first = trimmed.chars().next().unwrap_or(' ');
    if trimmed.chars().all(|c| c == first) {
        return true;
    }
    if trimmed
        .chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#' | '•'))
    {
        return true;
    }
    false
}

/// `%(name)s` / `%(name)d`: a Python %-format field. A bare `%(` can be part of a random key.
fn has_python_format_field(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(offset) = value[i..].find("%(") {
        let start = i + offset + 2;
        let name_len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let close = start + name_len;
        if name_len > 0
            && bytes.get(close) == Some(&b')')
            && bytes.get(close + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            return true;
        }
        i = start;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_and_reference_values_are_placeholders() {
        for value in [
            "${DB_PASSWORD}",
            "{{ var.value.db_password }}",
            "{{ .Values.password }}",
            "$DB_PASS",
            "%DB_PASS%",
            "$(cat /run/secrets/pw)",
            "%(password)s",
            "<password>",
            "<your token here>",
            "my-pa%2Fssword",
            "your_db_pass",
        ] {
            assert!(looks_like_placeholder(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn stock_words_and_masks_are_placeholders() {
        for value in [
            "",
            "ab",
            "changeme",
            "CHANGE_ME",
            "password",
            "None",
            "********",
            "xxxxxxxx",
            "your_api_key",
            "example-token",
            "dummy",
            "aaaaaaaaaa",
            "...",
        ] {
            assert!(looks_like_placeholder(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn real_looking_secrets_are_kept() {
        for value in [
            "Summer2024!",
            "airflow",
            "postgres",
            "s3cr3t-Pa55",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzK9a3b2c1d",
            "root1",
            "hunter2",
            "x8%(k2j#9z!q",
        ] {
            assert!(!looks_like_placeholder(value.as_bytes()), "{value}");
        }
    }
}
