//! The files docker-compose services load with `env_file:` — `airflow.env`, `config/secrets`,
//! names no file-name rule would recognise as env files. Found by a quick pass over the scan
//! roots before the scan, so the analyzer can read them as env files wherever they are named.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use airseal_yaml::Node;

use super::yaml_env::is_compose_file;

/// Env files named by compose files under the roots: canonical paths, and their file names
/// for a cheap first test.
#[derive(Debug, Default, Clone)]
pub struct ComposeEnvFiles {
    paths: HashSet<PathBuf>,
    names: HashSet<OsString>,
}

impl ComposeEnvFiles {
    /// Walks the roots (honouring ignore files like the scan when `respect_ignore`) for compose
    /// files and collects their `env_file:` targets that exist.
    pub fn collect(roots: &[PathBuf], respect_ignore: bool) -> Self {
        let mut found = ComposeEnvFiles::default();
        for root in roots {
            let walker = ignore::WalkBuilder::new(root)
                .hidden(false)
                .git_ignore(respect_ignore)
                .ignore(respect_ignore)
                .git_exclude(respect_ignore)
                .require_git(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walker.flatten() {
                let is_compose = entry.file_type().is_some_and(|t| t.is_file())
                    && entry.file_name().to_str().is_some_and(is_compose_file);
                if is_compose {
                    found.add_targets_of(entry.path());
                }
            }
        }
        found
    }

    fn add_targets_of(&mut self, compose: &Path) {
        let Ok(text) = std::fs::read_to_string(compose) else {
            return;
        };
        let Ok(documents) = airseal_yaml::parse_documents(&text) else {
            return;
        };
        let dir = compose.parent().unwrap_or(Path::new("."));
        for document in &documents {
            for (_, service) in document
                .get("services")
                .map(Node::entries)
                .unwrap_or_default()
            {
                for target in env_file_targets(service.get("env_file")) {
                    if let Ok(path) = dir.join(target).canonicalize() {
                        if let Some(name) = path.file_name() {
                            self.names.insert(name.to_owned());
                        }
                        self.paths.insert(path);
                    }
                }
            }
        }
    }

    /// Whether a scanned file is one of the targets.
    pub fn contains(&self, path: &Path) -> bool {
        let named = path.file_name().is_some_and(|n| self.names.contains(n));
        named && path.canonicalize().is_ok_and(|p| self.paths.contains(&p))
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// `env_file: a.env`, `env_file: [a.env, b.env]`, `env_file: [{path: a.env, required: false}]`.
fn env_file_targets(node: Option<&Node>) -> Vec<&str> {
    let Some(node) = node else {
        return Vec::new();
    };
    if let Some(one) = node.as_str() {
        return vec![one];
    }
    node.items()
        .iter()
        .filter_map(|item| item.as_str().or_else(|| item.get("path")?.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_in_every_form() {
        let text = "services:\n  a:\n    env_file: airflow.env\n  b:\n    env_file:\n      - one\n      - path: two\n        required: false\n";
        let docs = airseal_yaml::parse_documents(text).unwrap_or_default();
        let services = docs[0]
            .get("services")
            .map(Node::entries)
            .unwrap_or_default();
        let all: Vec<&str> = services
            .iter()
            .flat_map(|(_, s)| env_file_targets(s.get("env_file")))
            .collect();
        assert_eq!(all, ["airflow.env", "one", "two"]);
    }
}
