//! The rotation audit trail: one JSON object a line, appended (`O_APPEND`, one `write` per
//! record, synced), so concurrent runs interleave whole lines and a crash loses at most the
//! record being written. A record says who, what, when, which versions and how it ended —
//! never a value: the fields are names, tokens, times and error messages, which carry no
//! secret by construction (every error in airseal names secrets, never shows them).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::RotationError;

/// The default log, in the current directory.
pub const DEFAULT_AUDIT_LOG: &str = "airseal-rotation.jsonl";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub time: String,
    /// `rotation-started`, `rotation-finished`, `rotation-failed`, `rotation-enabled`.
    pub event: String,
    /// `user@host` of the process (`AIRSEAL_ACTOR` overrides it, e.g. with a CI job's id).
    pub actor: String,
    pub connection: String,
    pub store: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AuditRecord {
    pub fn new(event: &str, connection: &str, store: &str) -> AuditRecord {
        AuditRecord {
            time: airseal_stores::time::now(),
            event: event.to_owned(),
            actor: actor(),
            connection: connection.to_owned(),
            store: store.to_owned(),
            strategy: None,
            token: None,
            from_version: None,
            user_before: None,
            user_after: None,
            outcome: None,
            steps: Vec::new(),
            error: None,
        }
    }
}

/// Who runs this process.
pub fn actor() -> String {
    if let Ok(actor) = std::env::var("AIRSEAL_ACTOR")
        && !actor.is_empty()
    {
        return actor;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("{user}@{host}")
}

pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// Opens (creates, mode 0600) the log at `path`; an unwritable log is an error before any
    /// rotation starts, since a rotation without its record is not allowed.
    pub fn open(path: &Path) -> Result<AuditLog, RotationError> {
        let log = AuditLog {
            path: path.to_owned(),
        };
        log.file()?;
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> Result<std::fs::File, RotationError> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.error(&e))?;
        }
        options.open(&self.path).map_err(|e| self.error(&e))
    }

    fn error(&self, error: &std::io::Error) -> RotationError {
        RotationError::Audit {
            path: self.path.display().to_string(),
            message: error.to_string(),
        }
    }

    pub fn append(&self, record: &AuditRecord) -> Result<(), RotationError> {
        let mut line = serde_json::to_string(record).map_err(|e| RotationError::Audit {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let mut file = self.file()?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| self.error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_one_line_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("logs/audit.jsonl");
        let log = AuditLog::open(&path).expect("opens");
        let mut record = AuditRecord::new("rotation-started", "warehouse", "local files");
        record.token = Some("airseal-rot-1".to_owned());
        log.append(&record).expect("appends");
        record.event = "rotation-finished".to_owned();
        log.append(&record).expect("appends");
        let text = std::fs::read_to_string(&path).expect("reads");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["event"], "rotation-finished");
        assert!(lines[0].get("error").is_none());
    }
}
