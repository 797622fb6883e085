//! The few pieces of Python's standard library that Airflow's connection encoding is built on
//! (`urllib.parse.quote` / `quote_plus` / `unquote` / `urlsplit` / `parse_qsl` / `urlencode`
//! and `json.dumps`), reimplemented to the byte, as in CPython 3.11/3.12. Hand-written on
//! purpose: the `url` crate implements WHATWG URLs (it lower-cases, normalises and rejects what
//! Python keeps), and matching Airflow means matching Python's quirks, not a standard.

use std::fmt::Write;

use serde_json::Value;

/// Bytes `quote` never escapes (`_ALWAYS_SAFE`).
fn always_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'~')
}

/// `urllib.parse.quote(s, safe="")`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if always_safe(byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `urllib.parse.quote_plus(s, safe="")`: spaces become `+`.
pub fn quote_plus(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if always_safe(byte) {
            out.push(byte as char);
        } else if byte == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `urllib.parse.unquote(s)` (UTF-8, `errors="replace"`): `%XX` sequences become bytes,
/// invalid UTF-8 becomes U+FFFD, a `%` not followed by two hex digits stays.
pub fn unquote(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            decoded.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// `urllib.parse.urlsplit(url)` (no default scheme, fragments allowed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitResult {
    pub scheme: String,
    pub netloc: String,
    pub path: String,
    pub query: String,
    pub fragment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

const SCHEME_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";

pub fn urlsplit(url: &str) -> Result<SplitResult, ValueError> {
    // Leading C0 controls and spaces are stripped, tabs and newlines removed anywhere.
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut result = SplitResult::default();
    if let Some(colon) = rest.find(':')
        && colon > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..colon].chars().all(|c| SCHEME_CHARS.contains(c))
    {
        result.scheme = rest[..colon].to_ascii_lowercase();
        rest = &rest[colon + 1..];
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        result.netloc = after[..end].to_owned();
        rest = &after[end..];
        let open = result.netloc.contains('[');
        let close = result.netloc.contains(']');
        if open != close {
            return Err(ValueError("Invalid IPv6 URL".to_owned()));
        }
        if open && close {
            check_bracketed_netloc(&result.netloc)?;
        }
    }
    if let Some((before, fragment)) = rest.split_once('#') {
        result.fragment = fragment.to_owned();
        rest = before;
    }
    if let Some((before, query)) = rest.split_once('?') {
        result.query = query.to_owned();
        rest = before;
    }
    result.path = rest.to_owned();
    check_netloc(&result.netloc)?;
    Ok(result)
}

/// CPython 3.11's check of a bracketed host: the text between the netloc's first `[` and the
/// `]` after it must be an IPv6 address or an IPvFuture (`v<hex>.<anything>`).
fn check_bracketed_netloc(netloc: &str) -> Result<(), ValueError> {
    let after_open = netloc.split_once('[').map_or("", |(_, rest)| rest);
    let host = after_open
        .split_once(']')
        .map_or(after_open, |(host, _)| host);
    if let Some(future) = host.strip_prefix('v') {
        let (version, tail) = future.split_once('.').unwrap_or(("", ""));
        let valid = !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_hexdigit())
            && !tail.is_empty()
            && !tail.contains('\n');
        return if valid {
            Ok(())
        } else {
            Err(ValueError("IPvFuture address is invalid".to_owned()))
        };
    }
    // `ipaddress.ip_address`: IPv4 is an error in brackets; IPv6 may carry a `%zone`.
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(ValueError(
            "An IPv4 address cannot be in brackets".to_owned(),
        ));
    }
    let (address, zone) = host.split_once('%').unwrap_or((host, "x"));
    if zone.is_empty() || zone.contains('%') || address.parse::<std::net::Ipv6Addr>().is_err() {
        // Python names the text; airseal does not (a mis-encoded password can land here).
        return Err(ValueError(
            "the bracketed host does not appear to be an IPv4 or IPv6 address".to_owned(),
        ));
    }
    Ok(())
}

/// `_checknetloc`: only non-ASCII netlocs are checked (NFKC lookalikes of `/?#@:`). airseal
/// keeps non-ASCII netlocs as they are; Airflow's own URIs are always ASCII (`quote`d).
fn check_netloc(_netloc: &str) -> Result<(), ValueError> {
    Ok(())
}

impl SplitResult {
    fn userinfo(&self) -> Option<&str> {
        self.netloc.rsplit_once('@').map(|(user, _)| user)
    }

    /// `.username`.
    pub fn username(&self) -> Option<&str> {
        self.userinfo()
            .map(|u| u.split_once(':').map_or(u, |(name, _)| name))
    }

    /// `.password`.
    pub fn password(&self) -> Option<&str> {
        self.userinfo()
            .and_then(|u| u.split_once(':').map(|(_, password)| password))
    }

    /// (hostname as stored, port text) from `_hostinfo`.
    fn hostinfo(&self) -> (&str, Option<&str>) {
        let hostinfo = self
            .netloc
            .rsplit_once('@')
            .map_or(self.netloc.as_str(), |(_, h)| h);
        let (hostname, port) = match hostinfo.split_once('[') {
            Some((_, bracketed)) => {
                let (hostname, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
                (hostname, after.split_once(':').map_or("", |(_, p)| p))
            }
            None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
        };
        (hostname, (!port.is_empty()).then_some(port))
    }

    /// `.hostname`: lower-cased, except a `%zone`.
    pub fn hostname(&self) -> Option<String> {
        let (hostname, _) = self.hostinfo();
        if hostname.is_empty() {
            return None;
        }
        Some(match hostname.split_once('%') {
            Some((host, zone)) => format!("{}%{zone}", python_lower(host)),
            None => python_lower(hostname),
        })
    }

    /// `.port`: `ValueError` for anything but ASCII digits in 0..=65535.
    pub fn port(&self) -> Result<Option<u32>, ValueError> {
        let (_, port) = self.hostinfo();
        let Some(port) = port else {
            return Ok(None);
        };
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            // Python names the text; airseal does not (`user:pa:ss` without `@` puts part of a
            // password here).
            return Err(ValueError(
                "Port could not be cast to integer value".to_owned(),
            ));
        }
        let value: u64 = port.parse().unwrap_or(u64::MAX);
        if value > 65535 {
            return Err(ValueError("Port out of range 0-65535".to_owned()));
        }
        Ok(Some(value as u32))
    }
}

/// `str.lower()`: Unicode lower-casing (Rust's follows the same Unicode data).
pub fn python_lower(text: &str) -> String {
    text.to_lowercase()
}

/// `urllib.parse.parse_qsl(qs, keep_blank_values=True)`.
pub fn parse_qsl(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                unquote(&name.replace('+', " ")),
                unquote(&value.replace('+', " ")),
            )
        })
        .collect()
}

/// `urllib.parse.urlencode(pairs)` for string pairs.
pub fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Stands for Python's non-standard JSON constants inside a parsed value (serde_json has no
/// NaN or infinity); swapped back when dumping.
const CONSTANT_MARK: char = '\u{10FFFD}';

/// `json.dumps(json.loads(text))`, or `None` when Python's `json.loads` would refuse `text`.
/// Python also accepts `NaN`, `Infinity` and `-Infinity` (kept as such) and integers of any size
/// (kept exactly when the whole value is one; inside arrays and objects, integers beyond 64
/// bits are read as floats — a documented difference).
pub fn json_loads_dumps(text: &str) -> Option<String> {
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let is_integer = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if is_integer {
        return Some(if digits == "0" {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        });
    }
    let value = json_loads(text)?;
    Some(restore_constants(&json_dumps(&value)))
}

/// Python's `json.loads`, with `NaN` / `Infinity` / `-Infinity` outside strings carried as
/// marked strings.
pub fn json_loads(text: &str) -> Option<Value> {
    let mut marked = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            marked.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let constant = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|k| rest.starts_with(k));
        if let Some(constant) = constant {
            marked.push('"');
            marked.push(CONSTANT_MARK);
            marked.push_str(constant);
            marked.push(CONSTANT_MARK);
            marked.push('"');
            rest = &rest[constant.len()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        marked.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&marked).ok()
}

/// Puts the constants marked by [`json_loads`] back into dumped text.
pub fn restore_constants(dumped: &str) -> String {
    let mark = json_dumps(&Value::String(CONSTANT_MARK.to_string()));
    let mark = mark.trim_matches('"');
    let mut out = dumped.to_owned();
    for constant in ["-Infinity", "Infinity", "NaN"] {
        out = out.replace(&format!("\"{mark}{constant}{mark}\""), constant);
    }
    out
}

/// `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, `ensure_ascii`
/// (non-ASCII as `\uXXXX`, astral characters as surrogate pairs), floats as `repr`.
pub fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    dump(value, &mut out);
    out
}

fn dump(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            if let Some(i) = number.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = number.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&float_repr(number.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(text) => dump_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                dump(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                dump_string(key, out);
                out.push_str(": ");
                dump(item, out);
            }
            out.push('}');
        }
    }
}

fn dump_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: the shortest digits that round-trip, positional for exponents in
/// -4..16, else `d.ddde+XX`; `Infinity` / `NaN` as `json.dumps` writes them.
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // `{:e}` gives the shortest round-trip digits: `-1.2345e-7`.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = half_even(value.abs(), digits, exponent);
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if (point as usize) >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    }
}

/// When the shortest digits have a neighbour (last digit ±1) that also reads back as `value`
/// and `value` lies exactly halfway between the two, Python's `repr` (David Gay's dtoa) takes
/// the even one, Rust's formatter may take the other: `562949953421312.2`, not `.3`.
fn half_even(value: f64, digits: String, exponent: i32) -> String {
    let last = digits.as_bytes().last().copied().unwrap_or(b'0');
    if (last - b'0').is_multiple_of(2) || digits.len() < 2 {
        return digits;
    }
    let scale = |d: &str| format!("{}.{}e{exponent}", &d[..1], &d[1..]);
    for neighbour in [last - 1, last + 1] {
        if !neighbour.is_ascii_digit() {
            continue;
        }
        let mut alternative = digits.clone().into_bytes();
        if let Some(end) = alternative.last_mut() {
            *end = neighbour;
        }
        let alternative = String::from_utf8(alternative).unwrap_or_default();
        if scale(&alternative).parse::<f64>().ok() != Some(value) {
            continue;
        }
        // Exactly halfway: the value's exact decimal expansion is the lower one followed by 5.
        let lower = if neighbour < last {
            &alternative
        } else {
            &digits
        };
        let exact = format!("{value:.80e}");
        let (exact_mantissa, exact_exponent) = exact.split_once('e').unwrap_or((&exact, "0"));
        let exact_digits: String = exact_mantissa
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let midpoint = format!("{lower}5");
        if exact_exponent.parse::<i32>().ok() == Some(exponent)
            && exact_digits.trim_end_matches('0') == midpoint
        {
            return alternative;
        }
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_like_python() {
        assert_eq!(quote("a b/c@d:é~"), "a%20b%2Fc%40d%3A%C3%A9~");
        assert_eq!(quote_plus("a b+c"), "a+b%2Bc");
        assert_eq!(unquote("a%20b%zz%"), "a b%zz%");
        assert_eq!(unquote("%C3%A9%FF"), "é\u{fffd}");
    }

    #[test]
    fn urlsplit_like_python() {
        let parts =
            urlsplit("Postgres://us%40r:p%3Ass@Host.Example:5432/db?x=1#f").unwrap_or_default();
        assert_eq!(parts.scheme, "postgres");
        assert_eq!(parts.netloc, "us%40r:p%3Ass@Host.Example:5432");
        assert_eq!(parts.username(), Some("us%40r"));
        assert_eq!(parts.password(), Some("p%3Ass"));
        assert_eq!(parts.hostname().as_deref(), Some("host.example"));
        assert_eq!(parts.port(), Ok(Some(5432)));
        assert_eq!((parts.path.as_str(), parts.query.as_str()), ("/db", "x=1"));
        assert!(urlsplit("x://[::1").is_err());
        assert!(urlsplit("x://h:99999").unwrap_or_default().port().is_err());
    }

    #[test]
    fn json_like_python() {
        let value: Value =
            serde_json::from_str(r#"{"a": [1, 2.5, 1e16, 0.0001, 1e-5, true, null], "é": "😀\n"}"#)
                .unwrap_or_default();
        assert_eq!(
            json_dumps(&value),
            r#"{"a": [1, 2.5, 1e+16, 0.0001, 1e-05, true, null], "\u00e9": "\ud83d\ude00\n"}"#
        );
        assert_eq!(float_repr(123456789.0), "123456789.0");
        assert_eq!(float_repr(-0.5), "-0.5");
        assert_eq!(float_repr(562949953421312.2), "562949953421312.2");
    }
}
