//! Which secrets a `log` row's `extra` shows in clear: the CLI's `full_command` (a Python
//! `repr` of `sys.argv`, masked by Airflow only in some argument forms and versions) and the
//! API's request bodies. Each leak is named by where it is (`--conn-uri password`,
//! `extra.api_key`), never by its value.

use serde_json::Value;

use super::events::{is_masked, is_sensitive_name};

/// `['airflow', 'connections', 'add', ...]` → the strings. A Python `repr` of a list of
/// `str`: single- or double-quoted literals with backslash escapes, parsed by hand because no
/// crate reads Python literals and the grammar here is this small.
pub fn python_string_list(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(quote) = chars.next() else {
            return Some(items);
        };
        if quote != '\'' && quote != '"' {
            return None;
        }
        let mut item = String::new();
        loop {
            match chars.next()? {
                '\\' => match chars.next()? {
                    'n' => item.push('\n'),
                    't' => item.push('\t'),
                    'r' => item.push('\r'),
                    other => item.push(other),
                },
                c if c == quote => break,
                c => item.push(c),
            }
        }
        items.push(item);
    }
}

/// A URI's userinfo password, if it has one that is not masked.
fn uri_password_in_clear(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    match userinfo.split_once(':') {
        Some((_, password)) => !is_masked(password),
        None => false,
    }
}

/// A URI's query parameters with sensitive names and values in clear.
fn uri_query_leaks(uri: &str) -> Vec<String> {
    let Some((_, query)) = uri.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, value)| is_sensitive_name(key) && !is_masked(value))
        .map(|(key, _)| format!("--conn-uri query parameter `{key}`"))
        .collect()
}

/// The keys of a JSON object (text), recursively, whose values are in clear under sensitive
/// names; `prefix` names where the object is.
fn json_leaks(value: &Value, prefix: &str, leaks: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = format!("{prefix}.{key}");
                match value {
                    Value::String(text) if is_sensitive_name(key) && !is_masked(text) => {
                        leaks.push(format!("`{path}`"))
                    }
                    Value::String(text) if key == "extra" => {
                        if let Ok(inner) = serde_json::from_str::<Value>(text) {
                            json_leaks(&inner, &path, leaks);
                        }
                    }
                    Value::String(text)
                        if (key == "conn_uri" || key == "uri") && uri_password_in_clear(text) =>
                    {
                        leaks.push(format!("`{path}` password"));
                    }
                    Value::Object(_) | Value::Array(_) => json_leaks(value, &path, leaks),
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                json_leaks(item, &format!("{prefix}[{index}]"), leaks);
            }
        }
        _ => {}
    }
}

/// The value of option `name` in `args` (`--name VALUE` or `--name=VALUE`).
fn option_values<'a>(args: &'a [String], names: &[&str]) -> Vec<(&'a str, bool)> {
    let mut values = Vec::new();
    for (index, arg) in args.iter().enumerate() {
        for name in names {
            if arg == name {
                if let Some(value) = args.get(index + 1) {
                    values.push((value.as_str(), false));
                }
            } else if let Some(value) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                values.push((value, true));
            }
        }
    }
    values
}

/// What an `airflow connections add` / `variables set` command line shows in clear.
pub fn command_line_leaks(args: &[String]) -> Vec<String> {
    let mut leaks = Vec::new();
    let position = |word: &str| args.iter().position(|a| a == word);
    if let Some(at) = position("connections")
        && args.get(at + 1).map(String::as_str) == Some("add")
    {
        for (uri, _) in option_values(args, &["--conn-uri"]) {
            if uri_password_in_clear(uri) {
                leaks.push("--conn-uri password".to_owned());
            }
            leaks.extend(uri_query_leaks(uri));
        }
        for (password, _) in option_values(args, &["--conn-password", "-p"]) {
            if !is_masked(password) {
                leaks.push("--conn-password".to_owned());
            }
        }
        for (extra, _) in option_values(args, &["--conn-extra"]) {
            match serde_json::from_str::<Value>(extra) {
                Ok(value) => json_leaks(&value, "--conn-extra", &mut leaks),
                Err(_) if !is_masked(extra) => {
                    leaks.push("--conn-extra (not JSON, logged whole)".to_owned())
                }
                Err(_) => {}
            }
        }
        for (json, _) in option_values(args, &["--conn-json"]) {
            if let Ok(value) = serde_json::from_str::<Value>(json) {
                json_leaks(&value, "--conn-json", &mut leaks);
            }
        }
    }
    if let Some(at) = position("variables")
        && args.get(at + 1).map(String::as_str) == Some("set")
    {
        // The positionals after `set`: KEY VALUE (options may come anywhere).
        let positionals: Vec<&String> = args[at + 2..]
            .iter()
            .scan(false, |skip, arg| {
                let item = if *skip {
                    *skip = false;
                    None
                } else if arg == "--description" {
                    *skip = true;
                    None
                } else if arg.starts_with('-') {
                    None
                } else {
                    Some(arg)
                };
                Some(item)
            })
            .flatten()
            .collect();
        if let [key, value, ..] = positionals[..]
            && is_sensitive_name(key)
            && !is_masked(value)
        {
            leaks.push(format!("the value of Variable `{key}`"));
        }
    }
    leaks.sort();
    leaks.dedup();
    leaks
}

/// What an API or UI row's `extra` (a JSON request body) shows in clear.
pub fn body_leaks(extra: &Value) -> Vec<String> {
    let mut leaks = Vec::new();
    json_leaks(extra, "extra", &mut leaks);
    // Variables: `value`/`val` under a sensitive key, in single bodies and bulk actions.
    fn variables(value: &Value, path: &str, leaks: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                let key = map.get("key").and_then(Value::as_str);
                for field in ["value", "val"] {
                    if let (Some(key), Some(Value::String(text))) = (key, map.get(field))
                        && is_sensitive_name(key)
                        && !is_masked(text)
                    {
                        leaks.push(format!("the value of Variable `{key}` ({path}.{field})"));
                    }
                }
                for (name, inner) in map {
                    if inner.is_object() || inner.is_array() {
                        variables(inner, &format!("{path}.{name}"), leaks);
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    variables(item, &format!("{path}[{index}]"), leaks);
                }
            }
            _ => {}
        }
    }
    variables(extra, "extra", &mut leaks);
    leaks.sort();
    leaks.dedup();
    leaks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &str) -> Vec<String> {
        python_string_list(command).unwrap_or_default()
    }

    #[test]
    fn python_reprs_of_argv_parse() {
        assert_eq!(
            args(r#"['/usr/bin/airflow', 'connections', 'add', "it's", 'a\\b']"#),
            vec!["/usr/bin/airflow", "connections", "add", "it's", "a\\b"]
        );
        assert_eq!(python_string_list("not a list"), None);
        assert_eq!(python_string_list("['unterminated"), None);
    }

    #[test]
    fn the_gaps_in_airflows_cli_masking_are_found() {
        let leaks = |command: &str| command_line_leaks(&args(command));
        assert_eq!(
            leaks(
                "['airflow', 'connections', 'add', 'c', '--conn-uri', 'postgres://u:p4ss@h:5432/db']"
            ),
            vec!["--conn-uri password"]
        );
        assert!(leaks("['airflow', 'connections', 'add', 'c', '--conn-uri', 'postgres://u:********@h:5432/db']").is_empty());
        assert_eq!(
            leaks("['airflow', 'connections', 'add', 'c', '--conn-uri=postgres://u:p4ss@h/db']"),
            vec!["--conn-uri password"]
        );
        assert_eq!(
            leaks(
                "['airflow', 'connections', 'add', 'c', '--conn-uri', 'http://h/p?token=T0K&x=1']"
            ),
            vec!["--conn-uri query parameter `token`"]
        );
        assert_eq!(
            leaks(
                r#"['airflow', 'connections', 'add', 'c', '--conn-extra', '{"token": "T0K", "region": "eu"}']"#
            ),
            vec!["`--conn-extra.token`"]
        );
        assert_eq!(
            leaks(
                r#"['airflow', 'connections', 'add', 'c', '--conn-json', '{"password": "********", "extra": {"api_key": "K"}}']"#
            ),
            vec!["`--conn-json.extra.api_key`"]
        );
        assert!(
            leaks("['airflow', 'connections', 'add', 'c', '--conn-password', '********']")
                .is_empty()
        );
        assert_eq!(
            leaks("['airflow', 'variables', 'set', 'db_password', 'S3cret', '--description', 'd']"),
            vec!["the value of Variable `db_password`"]
        );
        assert!(leaks("['airflow', 'variables', 'set', 'db_password', '********']").is_empty());
        assert!(leaks("['airflow', 'variables', 'set', 'plain_key', 'whatever']").is_empty());
        assert!(leaks("['airflow', 'dags', 'list']").is_empty());
    }

    #[test]
    fn request_bodies_in_clear_are_found() {
        let body: Value = serde_json::from_str(
            r#"{"actions": [{"action": "create", "entities": [{"key": "slack_token", "value": "xoxb-1"}, {"key": "region", "value": "eu"}]}], "method": "PATCH"}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            body_leaks(&body),
            vec!["the value of Variable `slack_token` (extra.actions[0].entities[0].value)"]
        );
        let body: Value = serde_json::from_str(
            r#"{"connection_id": "c", "password": "***", "extra": "{\"api_key\": \"K\"}"}"#,
        )
        .unwrap_or_default();
        assert_eq!(body_leaks(&body), vec!["`extra.extra.api_key`"]);
    }
}
