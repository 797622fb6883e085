//! Strings whose value is known without running the code: literals, implicit and `+`
//! concatenations, f-strings whose parts are all constant, and `%` / `.format` of constants;
//! and the test of whether such a value is a credential or something else (a placeholder, a
//! template, a path, a reference to a secret elsewhere).

use airseal_detectors::looks_like_placeholder;
use ruff_python_ast::{Expr, InterpolatedStringElement, Operator};
use ruff_text_size::Ranged;

use crate::names;

/// The value of `expr` if it is a string constant, or `None`.
pub fn static_string(expr: &Expr) -> Option<String> {
    static_string_depth(expr, 0)
}

fn static_string_depth(expr: &Expr, depth: usize) -> Option<String> {
    // Deeply nested concatenations are generated code, not a hardcoded password.
    if depth > 32 {
        return None;
    }
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_owned()),
        Expr::FString(fstring) => {
            let mut out = String::new();
            for part in fstring.value.iter() {
                match part {
                    ruff_python_ast::FStringPart::Literal(literal) => out.push_str(literal),
                    ruff_python_ast::FStringPart::FString(f) => {
                        for element in f.elements.iter() {
                            match element {
                                InterpolatedStringElement::Literal(l) => out.push_str(&l.value),
                                InterpolatedStringElement::Interpolation(i) => {
                                    if i.format_spec.is_some() {
                                        return None;
                                    }
                                    out.push_str(&static_string_depth(&i.expression, depth + 1)?);
                                }
                            }
                        }
                    }
                }
            }
            Some(out)
        }
        Expr::BinOp(binop) => match binop.op {
            Operator::Add => {
                let left = static_string_depth(&binop.left, depth + 1)?;
                let right = static_string_depth(&binop.right, depth + 1)?;
                Some(left + &right)
            }
            Operator::Mod => {
                let template = static_string_depth(&binop.left, depth + 1)?;
                let args: Vec<String> = match &*binop.right {
                    Expr::Tuple(tuple) => tuple
                        .elts
                        .iter()
                        .map(|e| static_scalar(e, depth + 1))
                        .collect::<Option<_>>()?,
                    other => vec![static_scalar(other, depth + 1)?],
                };
                percent_format(&template, &args)
            }
            _ => None,
        },
        Expr::Call(call) => {
            // "...".format(constants)
            let Expr::Attribute(attr) = &*call.func else {
                return None;
            };
            if attr.attr.as_str() != "format" || !call.arguments.keywords.is_empty() {
                return None;
            }
            let template = static_string_depth(&attr.value, depth + 1)?;
            let args: Vec<String> = call
                .arguments
                .args
                .iter()
                .map(|e| static_scalar(e, depth + 1))
                .collect::<Option<_>>()?;
            brace_format(&template, &args)
        }
        _ => None,
    }
}

fn static_scalar(expr: &Expr, depth: usize) -> Option<String> {
    match expr {
        Expr::NumberLiteral(_) => None.or_else(|| number_text(expr)),
        _ => static_string_depth(expr, depth),
    }
}

fn number_text(expr: &Expr) -> Option<String> {
    let Expr::NumberLiteral(n) = expr else {
        return None;
    };
    match &n.value {
        ruff_python_ast::Number::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// `%s` / `%d` / `%r` substitution; `None` for anything fancier.
fn percent_format(template: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'r' | 'i' => out.push_str(args.next()?),
            _ => return None,
        }
    }
    args.next().is_none().then_some(out)
}

/// `{}` / `{0}` substitution; `None` for named fields or format specs.
fn brace_format(template: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        c => field.push(c),
                    }
                }
                let index = if field.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    field.parse::<usize>().ok()?
                };
                out.push_str(args.get(index)?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Authorization schemes stripped before judging a header value.
const AUTH_SCHEMES: &[&str] = &[
    "bearer ", "basic ", "token ", "bot ", "apikey ", "key ", "sso-key ",
];

/// Words the text-level placeholder filter drops that, bound to a password in code, are a weak
/// real password (bandit reports `password = 'pass'` too): a literal `password="admin"` works.
const WEAK_REAL_PASSWORDS: &[&str] = &["pass", "test", "admin", "foo", "bar", "baz", "default"];

/// What a constant bound to a sensitive name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A credential: report it.
    Credential,
    /// Empty, a placeholder, a template, a path, a reference: not a hardcoded secret.
    NotASecret,
}

/// Judges a constant bound to a sensitive name. No entropy test: `"root"` and `"1234"` are
/// hardcoded passwords too; only values that are plainly not a secret are let through.
pub fn classify_value(value: &str) -> ValueKind {
    classify(value, false)
}

/// [`classify_value`] for a password: `"pass"`, `"test"`, `"admin"` are weak real passwords
/// there (bandit reports `password = 'pass'` too), though a token or key that reads `"test"` is
/// a placeholder.
pub fn classify_password(value: &str) -> ValueKind {
    classify(value, true)
}

fn classify(value: &str, password: bool) -> ValueKind {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return ValueKind::NotASecret;
    }
    let credential = strip_auth_scheme(trimmed);
    if credential.is_empty() || is_not_a_secret(credential, password) {
        return ValueKind::NotASecret;
    }
    ValueKind::Credential
}

/// `Bearer abc` → `abc`.
fn strip_auth_scheme(value: &str) -> &str {
    let lower = value.to_ascii_lowercase();
    AUTH_SCHEMES
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme).map(|_| &value[scheme.len()..]))
        .map_or(value, str::trim)
}

fn is_not_a_secret(value: &str, password: bool) -> bool {
    let lower = value.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "none"
            | "null"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "required"
            | "optional"
            | "no-check"
    ) {
        return true;
    }
    // Templates and interpolations: Jinja, shell/compose, str.format, %-style.
    if value.contains("{{") || value.contains("{%") || value.contains("${") {
        return true;
    }
    if (value.starts_with('{') && value.ends_with('}') && !value.contains(' '))
        || value.contains("{}")
    {
        return true;
    }
    if value.starts_with("%(") || value == "%s" {
        return true;
    }
    if looks_like_placeholder(value.as_bytes())
        && !(password && WEAK_REAL_PASSWORDS.contains(&lower.as_str()))
    {
        return true;
    }
    // An environment variable's name (`"DB_PASSWORD"`), not its value.
    if is_env_name(value) {
        return true;
    }
    // References to a secret kept elsewhere.
    if lower.starts_with("arn:aws:")
        || lower.starts_with("airflow/")
        || lower.starts_with("projects/")
        || lower.starts_with("secret/")
        || lower.starts_with("vault:")
        || lower.starts_with("env:")
        || lower.starts_with("file:")
    {
        return true;
    }
    // File paths (a key file, a password file).
    if value.starts_with('/') || value.starts_with("./") || value.starts_with("~/") {
        return true;
    }
    if !value.contains(' ')
        && [
            ".json", ".pem", ".key", ".txt", ".p12", ".pfx", ".crt", ".yaml", ".yml", ".cfg",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return true;
    }
    // Plain URLs without credentials (a token endpoint).
    if (lower.starts_with("http://") || lower.starts_with("https://")) && !value.contains('@') {
        return true;
    }
    false
}

/// Judges a constant bound to a sensitive `name` (a keyword, a dict key, an assigned variable).
/// On top of [`classify_value`], a value is not a credential when it is about the name rather
/// than a value for it: a label or help text (`"Client Secret"`, `"Enter the API token"`), the
/// name itself in another spelling (`RESOURCE_PASSWORD = "Passwords"`, `COOKIE_NAME_JWT_TOKEN
/// = "_token"`), a field or config key (`"secretAccessKey"`, `"gcs.oauth2.token"`, a module
/// path), or, for connection-string names (`dsn`, `conn_str`), a string without credentials.
pub fn is_credential_for(name: &str, value: &str) -> bool {
    let kind = if names::is_password_name(name) {
        classify_password(value)
    } else {
        classify_value(value)
    };
    if kind != ValueKind::Credential {
        return false;
    }
    let trimmed = strip_auth_scheme(value.trim());
    if trimmed.len() < value.trim().len() {
        // `Bearer <token>`: a header value, whatever the token looks like.
        return true;
    }
    let spaced_words: Vec<&str> = trimmed.split_whitespace().collect();
    // Prose: labels, prompts, help texts, log messages (a PEM block is not prose).
    if spaced_words.len() >= 3 && !trimmed.contains("-----BEGIN") {
        return false;
    }
    if spaced_words.len() >= 2
        && spaced_words
            .iter()
            .any(|w| names::is_sensitive_name(w.trim_matches(|c: char| !c.is_ascii_alphanumeric())))
    {
        return false;
    }
    let stem = |w: &str| w.trim_end_matches('s').to_owned();
    let name_words: Vec<String> = names::words(name).iter().map(|w| stem(w)).collect();
    let value_words: Vec<String> = names::words(trimmed).iter().map(|w| stem(w)).collect();
    let letters_only = trimmed
        .chars()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '-' | '.' | ' '));
    if letters_only && !value_words.is_empty() && value_words.iter().all(|w| name_words.contains(w))
    {
        return false;
    }
    if is_dotted_path(trimmed) || is_camel_field_name(trimmed) || is_snake_field_name(trimmed) {
        return false;
    }
    if names::is_connection_string_name(name) {
        let lower = trimmed.to_ascii_lowercase();
        let has_credential = lower.contains('@')
            || [
                "password=",
                "pwd=",
                "accountkey=",
                "sharedaccesskey=",
                "sig=",
                "token=",
            ]
            .iter()
            .any(|m| lower.contains(m));
        if !has_credential {
            return false;
        }
    }
    true
}

/// `airflow.providers.x.Secret`, `gcs.oauth2.token`: a dotted identifier path.
fn is_dotted_path(value: &str) -> bool {
    // A JWT (`eyJ...`) is dotted too, with long segments.
    value.contains('.')
        && !value.starts_with("eyJ")
        && value.split('.').all(|segment| segment.len() <= 40)
        && value.split('.').all(|segment| {
            segment
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// `aws_access_key_id`, `token_name`: a snake-case identifier ending in a reference word.
fn is_snake_field_name(value: &str) -> bool {
    let snake = value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    snake
        && names::words(value)
            .last()
            .is_some_and(|w| names::is_reference_word(w))
}

/// `secretAccessKey`, `AWSAccessKeyId`: a camel-case field name about a credential.
fn is_camel_field_name(value: &str) -> bool {
    let humps = value
        .chars()
        .zip(value.chars().skip(1))
        .filter(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase())
        .count();
    value.chars().all(|c| c.is_ascii_alphabetic())
        && humps >= 1
        && names::words(value).iter().any(|w| {
            matches!(
                w.as_str(),
                "key" | "id" | "secret" | "token" | "password" | "access" | "credential"
            )
        })
}

/// `DB_PASSWORD`, `AWS_SECRET_ACCESS_KEY`: upper-case words joined by `_`.
pub fn is_env_name(value: &str) -> bool {
    let mut parts = value.split('_');
    let first_ok = parts
        .next()
        .is_some_and(|p| p.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
    first_ok
        && value.contains('_')
        && value.split('_').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

/// The byte range of `expr` in the source.
pub fn span(expr: &impl Ranged) -> std::ops::Range<usize> {
    let range = expr.range();
    range.start().to_usize()..range.end().to_usize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_expression;

    fn eval(source: &str) -> Option<String> {
        let parsed = parse_expression(source).ok()?;
        static_string(&parsed.syntax().body)
    }

    #[test]
    fn evaluates_constant_strings() {
        assert_eq!(eval("'a' 'b'").as_deref(), Some("ab"));
        assert_eq!(eval("'a' + 'b' + 'c'").as_deref(), Some("abc"));
        assert_eq!(eval("f'x{\"y\"}z'").as_deref(), Some("xyz"));
        assert_eq!(eval("'%s:%s' % ('u', 'p')").as_deref(), Some("u:p"));
        assert_eq!(eval("'{}-{0}'.format('a')").as_deref(), Some("a-a"));
        assert_eq!(eval("'Bearer ' + token"), None);
        assert_eq!(eval("f'{token}'"), None);
        assert_eq!(eval("'%(x)s' % d"), None);
    }

    #[test]
    fn labels_field_names_and_the_name_itself_are_not_credentials() {
        for (name, value) in [
            ("password", "Client Secret"),
            ("password", "snowflake password"),
            ("password", "Enter your password here"),
            ("RESOURCE_PASSWORD", "Passwords"),
            ("COOKIE_NAME_JWT_TOKEN", "_token"),
            ("proxy_password", "proxy_password"),
            ("credential", "credential"),
            ("GCS_TOKEN", "gcs.oauth2.token"),
            ("AWS_SECRET_ACCESS_KEY", "secretAccessKey"),
            ("ACCESS_KEY", "AWSAccessKeyId"),
            ("ACCESS_KEY", "aws_access_key_id"),
            ("Secret", "airflow.kubernetes.secret.Secret"),
            ("sqla_conn_str", "sqlite://"),
        ] {
            assert!(!is_credential_for(name, value), "{name} = {value}");
        }
        for (name, value) in [
            ("password", "class_password"),
            ("email_pwd", "emails_secret"),
            ("EMAIL_PASSWORD", "secret"),
            ("password", "Admin"),
            ("passphrase", "1234"),
            ("Authorization", "Bearer abc.def.ghi"),
            ("dsn", "postgresql://u:p4ss@db/x"),
        ] {
            assert!(is_credential_for(name, value), "{name} = {value}");
        }
    }

    #[test]
    fn weak_passwords_are_credentials_placeholders_are_not() {
        for v in ["root", "1234", "blerg", "Bearer abc.def.ghi", "s3cr3t!"] {
            assert_eq!(classify_value(v), ValueKind::Credential, "{v}");
        }
        for v in [
            "",
            "{{ var.value.pw }}",
            "${DB_PASSWORD}",
            "DB_PASSWORD",
            "/run/secrets/db",
            "key.json",
            "https://oauth2.googleapis.com/token",
            "airflow/connections/warehouse",
            "Bearer ",
            "true",
            "<your-password>",
        ] {
            assert_eq!(classify_value(v), ValueKind::NotASecret, "{v}");
        }
    }
}
