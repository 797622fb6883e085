//! The audit-log side of `watch airflow-log` on arbitrary bytes: source names, exports (CSV,
//! JSON, JSON Lines) and rows of every change event, through every AUD1xx detection (command
//! lines, request bodies, times). No panic, and no message that quotes the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

use airseal_watch::airflow_log::source::{Source, parse_export};
use airseal_watch::airflow_log::{LogPolicy, LogRow, check};

/// One name of each surface and action (docs/notes/airflow-log-events.md).
const EVENTS: &[&str] = &[
    "cli_connections_add",
    "cli_connections_import",
    "cli_variables_set",
    "cli_variables_import",
    "connection.create",
    "connection.edit",
    "api.connection.delete",
    "variables.varimport",
    "post_connection",
    "patch_variable",
    "bulk_connections",
    "bulk_variables",
    "enqueue_connection_test",
    "cli_rotate_fernet_key",
];

fn quotes_input(text: &str, messages: &[String]) -> Option<String> {
    for token in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| t.len() >= 24)
    {
        if let Some(message) = messages.iter().find(|m| m.contains(token)) {
            return Some(message.clone());
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let policy = LogPolicy::new(&["admin".to_owned()], Some("08:00-18:00"), Some("mon-fri"))
        .expect("a valid policy");

    // The text as a source name: refused or parsed, never echoing a password.
    if let Err(error) = Source::parse(&text) {
        let _ = error.to_string();
    }

    // The text as exports.
    for is_csv in [false, true] {
        if let Ok((rows, problems)) = parse_export("fuzz", &text, is_csv) {
            if let Some(m) = quotes_input(&text, &problems) {
                panic!("an export problem quotes the input: {m}");
            }
            let _ = check(&rows, "fuzz", &policy);
        }
    }

    // The text as one row: the time on the first line, the owner on the second, `extra` after.
    let mut parts = text.splitn(3, '\n');
    let row = LogRow {
        id: Some(i64::from(selector)),
        dttm: parts.next().unwrap_or_default().to_owned(),
        event: EVENTS[usize::from(selector) % EVENTS.len()].to_owned(),
        owner: parts.next().map(str::to_owned),
        extra: parts.next().map(str::to_owned),
    };
    let _ = check(&[row], "fuzz", &policy);
});
