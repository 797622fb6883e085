//! The configuration edits that finish a migration: the `[secrets]` backend settings (in
//! airflow.cfg, environment and both charts' forms) when the deployment does not read the store
//! yet; `<option>_secret` for every moved sensitive option; and every source line to delete.
//! [`patch`] writes the line edits of env, compose and airflow.cfg files as one unified diff;
//! multi-line chart entries and export files are listed for a hand edit.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Target;
use crate::plan::{Action, Item, Plan, option_of};
use crate::sources::Origin;

#[derive(Debug, Clone, Serialize)]
pub struct BackendChange {
    /// `[secrets]` lines for airflow.cfg.
    pub airflow_cfg: Vec<String>,
    /// `AIRFLOW__SECRETS__BACKEND=...` lines.
    pub environment: Vec<String>,
    /// The official chart's values (`config.secrets`).
    pub official_chart: Vec<String>,
    /// The User-Community chart's values (`airflow.config`).
    pub user_community_chart: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretOption {
    pub section: String,
    pub key: String,
    /// The config secret's id (`sql_alchemy_conn`).
    pub secret_id: String,
    /// `sql_alchemy_conn_secret = sql_alchemy_conn` under `[database]`.
    pub airflow_cfg: String,
    /// `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET=sql_alchemy_conn`.
    pub environment: String,
}

/// One source place that still holds a migrated value.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub path: String,
    pub line: usize,
    pub written_as: String,
    /// The replacement line, when the line is swapped (an option for its `_secret` form),
    /// else `None`: delete it.
    pub replacement: Option<String>,
    /// Whether [`patch`] edits it; otherwise it needs a hand edit (multi-line chart entries,
    /// export files).
    pub in_patch: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// `None` when the deployment already reads this store.
    pub backend: Option<BackendChange>,
    pub secret_options: Vec<SecretOption>,
    pub removals: Vec<Removal>,
}

/// The edits for the secrets that are in the store now (`results` from apply, or the plan's
/// `Unchanged` items).
pub fn changes(
    plan: &Plan,
    results: &[Item],
    target: &Target,
    kwargs: &Map<String, Value>,
    already_configured: bool,
) -> Changes {
    let stored = |index: usize| {
        results.get(index).is_some_and(|item| {
            matches!(
                item.action,
                Action::Create | Action::Update | Action::Unchanged
            )
        })
    };
    let backend = (!already_configured).then(|| backend_change(target, kwargs));
    let mut secret_options = Vec::new();
    let mut removals = Vec::new();
    for (index, planned) in plan.planned.iter().enumerate() {
        if !stored(index) {
            continue;
        }
        if let Some((section, key)) = option_of(planned) {
            secret_options.push(SecretOption {
                section: section.to_owned(),
                key: key.to_owned(),
                secret_id: planned.item.id.clone(),
                airflow_cfg: format!("{key}_secret = {}", planned.item.id),
                environment: format!(
                    "AIRFLOW__{}__{}_SECRET={}",
                    section.to_ascii_uppercase(),
                    key.to_ascii_uppercase(),
                    planned.item.id
                ),
            });
        }
        for origin in &planned.origins {
            let replacement = match &origin.origin {
                Origin::Option { key, .. } => Some(format!("{key}_secret = {}", planned.item.id)),
                _ => None,
            };
            let in_patch = matches!(origin.origin, Origin::Environment | Origin::Option { .. });
            removals.push(Removal {
                path: origin.path.clone(),
                line: origin.line,
                written_as: origin.written_as.clone(),
                replacement,
                in_patch,
            });
        }
    }
    removals.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    removals.dedup_by(|a, b| a.path == b.path && a.line == b.line);
    Changes {
        backend,
        secret_options,
        removals,
    }
}

fn backend_change(target: &Target, kwargs: &Map<String, Value>) -> BackendChange {
    let class = target.backend_class();
    let kwargs_json = Value::Object(kwargs.clone()).to_string();
    let quoted = kwargs_json.replace('\'', "''");
    BackendChange {
        airflow_cfg: vec![
            "[secrets]".to_owned(),
            format!("backend = {class}"),
            format!("backend_kwargs = {kwargs_json}"),
        ],
        environment: vec![
            format!("AIRFLOW__SECRETS__BACKEND={class}"),
            format!("AIRFLOW__SECRETS__BACKEND_KWARGS='{kwargs_json}'"),
        ],
        official_chart: vec![
            "config:".to_owned(),
            "  secrets:".to_owned(),
            format!("    backend: {class}"),
            format!("    backend_kwargs: '{quoted}'"),
        ],
        user_community_chart: vec![
            "airflow:".to_owned(),
            "  config:".to_owned(),
            format!("    AIRFLOW__SECRETS__BACKEND: {class}"),
            format!("    AIRFLOW__SECRETS__BACKEND_KWARGS: '{quoted}'"),
        ],
    }
}

/// The replacement of one source line, or `None` when the line is not one this edit can
/// make safely (then it stays a hand edit).
fn edited_line(line: &str, removal: &Removal) -> Option<Option<String>> {
    let name = removal.written_as.as_str();
    if let Some(option_line) = &removal.replacement {
        if name.starts_with('[') {
            // airflow.cfg: `key = value` becomes `key_secret = id`, indentation kept.
            let indent = &line[..line.len() - line.trim_start().len()];
            return Some(Some(format!("{indent}{option_line}")));
        }
        // `AIRFLOW__SECTION__KEY=value` / `AIRFLOW__SECTION__KEY: value` in env or compose.
        let at = line.find(name)?;
        let after = line[at + name.len()..].trim_start();
        let id = option_line.rsplit(" = ").next()?;
        let prefix = &line[..at];
        return match after.chars().next() {
            Some('=') => Some(Some(format!("{prefix}{name}_SECRET={id}"))),
            Some(':') => Some(Some(format!("{prefix}{name}_SECRET: {id}"))),
            _ => None,
        };
    }
    // An `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` line: deleted when the name is on it.
    line.contains(name).then_some(None)
}

/// A file's new text after the line edits.
#[derive(Debug, Clone)]
pub struct FileEdit {
    pub path: String,
    pub new_text: String,
}

/// The line edits [`Changes::removals`] marks `in_patch`, file by file, and a unified diff of
/// them for display in which every line but the added ones shows its name and `<redacted>`
/// for its value: the lines removed are the very secrets being moved, so the diff is never
/// written as a patch file; `--write-changes` applies the edits in place instead. A file that
/// cannot be read, or whose line no longer holds the name, is left alone and reported in the
/// third list.
pub fn edits(changes: &Changes) -> (Vec<FileEdit>, String, Vec<String>) {
    let mut by_file: BTreeMap<&str, Vec<&Removal>> = BTreeMap::new();
    for removal in changes.removals.iter().filter(|r| r.in_patch) {
        by_file
            .entry(removal.path.as_str())
            .or_default()
            .push(removal);
    }
    let mut out = Vec::new();
    let mut diff_text = String::new();
    let mut skipped = Vec::new();
    for (path, removals) in by_file {
        let Ok(old) = std::fs::read_to_string(path) else {
            skipped.push(format!("{path}: cannot be read; edit it by hand"));
            continue;
        };
        let mut lines: Vec<Option<String>> = old.lines().map(|l| Some(l.to_owned())).collect();
        for removal in removals {
            let Some(Some(line)) = lines.get(removal.line.wrapping_sub(1)) else {
                skipped.push(format!(
                    "{path}:{}: line not found; edit it by hand",
                    removal.line
                ));
                continue;
            };
            match edited_line(line, removal) {
                Some(replacement) => lines[removal.line - 1] = replacement,
                None => skipped.push(format!(
                    "{path}:{}: `{}` is not a one-line entry; edit it by hand",
                    removal.line, removal.written_as
                )),
            }
        }
        let mut new: String = lines.into_iter().flatten().map(|l| l + "\n").collect();
        if !old.ends_with('\n') && new.ends_with('\n') {
            new.pop();
        }
        if new == old {
            continue;
        }
        diff_text.push_str(&redacted_diff(path, &old, &new));
        out.push(FileEdit {
            path: path.to_owned(),
            new_text: new,
        });
    }
    (out, diff_text, skipped)
}

fn redacted_diff(path: &str, old: &str, new: &str) -> String {
    use std::fmt::Write as _;
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        let _ = writeln!(out, "{}", hunk.header());
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches(['\n', '\r']);
            let _ = match change.tag() {
                similar::ChangeTag::Insert => writeln!(out, "+{line}"),
                similar::ChangeTag::Delete => writeln!(out, "-{}", redact(line)),
                similar::ChangeTag::Equal => writeln!(out, " {}", redact(line)),
            };
        }
    }
    out
}

/// `NAME=<redacted>`, `key = <redacted>`, `NAME: <redacted>`: the line up to its first `=` or
/// `:` and nothing of the value. Comments, section headers and blank lines are kept.
fn redact(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with(['#', ';', '[']) {
        return line.to_owned();
    }
    match line.find(['=', ':']) {
        Some(at) if line[at + 1..].trim().is_empty() => line.to_owned(),
        Some(at) => format!("{} <redacted>", &line[..=at]),
        None => "<redacted>".to_owned(),
    }
}

/// Writes each edit atomically (a temporary file beside it, then a rename), keeping the
/// file's permissions.
pub fn write(edits: &[FileEdit]) -> std::io::Result<()> {
    use std::io::Write as _;
    for edit in edits {
        let path = std::path::Path::new(&edit.path);
        let permissions = std::fs::metadata(path)?.permissions();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        temporary.write_all(edit.new_text.as_bytes())?;
        temporary.as_file().sync_all()?;
        std::fs::set_permissions(temporary.path(), permissions)?;
        temporary.persist(path).map_err(|e| e.error)?;
    }
    Ok(())
}
