//! What an `event` of Airflow's `log` table means, across Airflow 2.7–2.11 and 3.0–3.3: the
//! kind of secret (connection, variable), the action, and the surface that wrote it. The names
//! are Airflow's own, read from each release's source (docs/notes/airflow-log-events.md).

/// What a change is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connection,
    Variable,
    /// `rotate-fernet-key`: every connection and variable re-encrypted.
    Both,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::Variable => "variable",
            Kind::Both => "connections and variables",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Edit,
    /// `variables set`: an upsert, the log cannot tell which.
    Set,
    Delete,
    Bulk,
    Import,
    /// `enqueue_connection_test` (3.3), which may save the connection.
    Test,
    Reencrypt,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Edit => "edited",
            Action::Set => "set",
            Action::Delete => "deleted",
            Action::Bulk => "changed in bulk",
            Action::Import => "imported",
            Action::Test => "tested (and perhaps saved)",
            Action::Reencrypt => "re-encrypted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Airflow 2's web UI (FAB views).
    WebUi,
    /// REST API v1 (Airflow 2), `api.`/`ui.` prefixed from 2.9.
    ApiV1,
    /// The public API v2 (Airflow 3), which its UI uses too.
    ApiV2,
    Cli,
}

impl Surface {
    pub fn name(self) -> &'static str {
        match self {
            Surface::WebUi => "web UI",
            Surface::ApiV1 => "REST API",
            Surface::ApiV2 => "API or UI",
            Surface::Cli => "CLI",
        }
    }
}

/// A change to connections or variables, as one `log` row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub action: Action,
    pub surface: Surface,
}

/// The change an event name records; `None` for events that change no secret (task runs,
/// DAG triggers, reads: reads and exports are not logged by Airflow at all).
pub fn change_of(event: &str) -> Option<Change> {
    use Action::*;
    use Kind::*;
    use Surface::*;
    let change = |kind, action, surface| {
        Some(Change {
            kind,
            action,
            surface,
        })
    };
    // 2.9+: `api.` or `ui.` before the REST API v1 names.
    let (v1_prefixed, bare) = match event.split_once('.') {
        Some(("api" | "ui", rest)) => (true, rest),
        _ => (false, event),
    };
    match bare {
        "connection.create" => change(Connection, Create, if v1_prefixed { ApiV1 } else { WebUi }),
        "connection.edit" => change(Connection, Edit, if v1_prefixed { ApiV1 } else { WebUi }),
        "connection.delete" => change(Connection, Delete, if v1_prefixed { ApiV1 } else { WebUi }),
        "variable.create" => change(Variable, Create, if v1_prefixed { ApiV1 } else { WebUi }),
        "variable.edit" => change(Variable, Edit, if v1_prefixed { ApiV1 } else { WebUi }),
        "variable.delete" => change(Variable, Delete, if v1_prefixed { ApiV1 } else { WebUi }),
        "variables.varimport" => change(Variable, Import, WebUi),
        "cli_connections_add" => change(Connection, Create, Cli),
        "cli_connections_delete" => change(Connection, Delete, Cli),
        "cli_connections_import" => change(Connection, Import, Cli),
        "cli_variables_set" => change(Variable, Set, Cli),
        "cli_variables_delete" => change(Variable, Delete, Cli),
        "cli_variables_import" => change(Variable, Import, Cli),
        "cli_rotate_fernet_key" => change(Both, Reencrypt, Cli),
        "post_connection" => change(Connection, Create, ApiV2),
        "patch_connection" => change(Connection, Edit, ApiV2),
        "delete_connection" => change(Connection, Delete, ApiV2),
        "bulk_connections" => change(Connection, Bulk, ApiV2),
        "create_default_connections" => change(Connection, Bulk, ApiV2),
        "enqueue_connection_test" => change(Connection, Test, ApiV2),
        "post_variable" => change(Variable, Create, ApiV2),
        "patch_variable" => change(Variable, Edit, ApiV2),
        "delete_variable" => change(Variable, Delete, ApiV2),
        "bulk_variables" => change(Variable, Bulk, ApiV2),
        _ => None,
    }
}

/// Whether Airflow's masker would hide a value under `key`: the scanner's table of the
/// masker's field names, a substring test as Airflow's.
pub use airseal_finding::masker::masker_hides as is_sensitive_name;

/// A value Airflow masked (`***`, `********`), or no value at all.
pub fn is_masked(value: &str) -> bool {
    value.is_empty() || value.bytes().all(|b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_generations_names_mean_the_same_change() {
        for (two, three) in [
            ("connection.create", "post_connection"),
            ("api.connection.edit", "patch_connection"),
            ("ui.connection.delete", "delete_connection"),
            ("variable.create", "post_variable"),
        ] {
            let (a, b) = (
                change_of(two).map(|c| (c.kind, c.action)),
                change_of(three).map(|c| (c.kind, c.action)),
            );
            assert!(a.is_some() && a == b, "{two} / {three}");
        }
        assert_eq!(
            change_of("api.connection.create").map(|c| c.surface),
            Some(Surface::ApiV1)
        );
        assert_eq!(
            change_of("connection.create").map(|c| c.surface),
            Some(Surface::WebUi)
        );
        assert_eq!(change_of("trigger"), None);
        assert_eq!(change_of("cli_task_run"), None);
    }

    #[test]
    fn sensitive_names_and_masks_follow_airflow() {
        assert!(is_sensitive_name("db_PASSWORD"));
        assert!(is_sensitive_name("slack_token"));
        assert!(!is_sensitive_name("plain_key"));
        assert!(is_masked("***") && is_masked("********"));
        assert!(!is_masked("s3cret"));
    }
}
