use std::fmt;

/// Shows enough of a secret to recognise it, never enough to use it.
///
/// Long secrets keep their first and last four characters (`AKIA…X7Q2`), where the prefix is
/// usually the token type and says which provider to rotate at. Medium ones keep two at each end;
/// short ones (weak passwords, where every character counts) are shown as `****`. Control
/// characters and line breaks in the shown parts are escaped, so a PEM body prints on one line.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars: Vec<char> = text.chars().collect();
    let keep = match chars.len() {
        n if n >= 20 => 4,
        n if n >= 12 => 2,
        _ => 0,
    };
    if keep == 0 {
        return "****".to_owned();
    }
    let mut out = String::new();
    push_escaped(&mut out, &chars[..keep]);
    out.push('…');
    push_escaped(&mut out, &chars[chars.len() - keep..]);
    out
}

fn push_escaped(out: &mut String, chars: &[char]) {
    for &c in chars {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// A secret's raw bytes. `Debug` and `Display` print only the redacted form, so formatting a
/// finding by accident cannot leak the value; [`SecretText::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretText(Box<[u8]>);

impl SecretText {
    pub fn new(bytes: &[u8]) -> Self {
        SecretText(bytes.into())
    }

    /// The raw bytes, for `--show-secrets`, allowlists and hashing. Never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn redacted(&self) -> String {
        redact(&self.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretText({})", self.redacted())
    }
}

impl fmt::Display for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_secrets_keep_four_characters_each_side() {
        assert_eq!(redact(b"AKIAQYLPMN5HFIQR7Q2X"), "AKIA…7Q2X");
    }

    #[test]
    fn medium_secrets_keep_two_characters_each_side() {
        assert_eq!(redact(b"Summer2024!x"), "Su…!x");
    }

    #[test]
    fn short_secrets_are_fully_hidden() {
        assert_eq!(redact(b"hunter2"), "****");
        assert_eq!(redact(b""), "****");
    }

    #[test]
    fn line_breaks_are_escaped() {
        let pem = b"\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n";
        assert_eq!(redact(pem), "\\nMII…ASC\\n");
    }

    #[test]
    fn debug_never_prints_the_value() {
        let secret = SecretText::new(b"ghp_R4nd0mV4lu3Th4tMu5tN0tL34k0000000");
        let shown = format!("{secret:?} {secret}");
        assert!(!shown.contains("R4nd0mV4lu3"), "{shown}");
    }
}

/// Replaces every double-quoted part of a parser's error message with `"…"`.
///
/// serde-based parsers quote the offending value (`invalid type: string "hunter2", expected u32`);
/// in a configuration or baseline file that value may be a secret. Field names, which serde puts
/// in backticks, are kept so the message still says what is wrong.
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        match rest[open + 1..].find('"') {
            Some(close) => {
                out.push_str("\"…\"");
                rest = &rest[open + 1 + close + 1..];
            }
            None => {
                out.push_str("\"…");
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod quoted_value_tests {
    use super::without_quoted_values;

    #[test]
    fn quoted_values_are_dropped_and_field_names_kept() {
        assert_eq!(
            without_quoted_values("invalid type: string \"hunter2\", expected u32 for `version`"),
            "invalid type: string \"…\", expected u32 for `version`"
        );
        assert_eq!(
            without_quoted_values("unterminated \"abc"),
            "unterminated \"…"
        );
        assert_eq!(without_quoted_values("no quotes"), "no quotes");
    }
}
