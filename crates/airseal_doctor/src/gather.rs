//! Reads the project: every configuration file (through `airseal_deployment`, the same readers
//! the scan uses) and every Python file's literal connection ids and Variable keys.

use std::path::{Path, PathBuf};

use airseal_deployment::ComposeEnvFiles;
use airseal_deployment::configuration::{FileConfiguration, configuration_of};
use airseal_python::{Reference, references};

/// Files larger than this are not read (generated bundles, data).
const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Everything read from the project.
#[derive(Debug, Default)]
pub struct Project {
    /// (display path, what it configures).
    pub configurations: Vec<(String, FileConfiguration)>,
    /// (display path, references).
    pub references: Vec<(String, Vec<Reference>)>,
    /// Every file's display path and real path, for finding local-filesystem backend files.
    pub files: Vec<(String, PathBuf)>,
    pub warnings: Vec<String>,
}

pub fn read(roots: &[PathBuf], respect_ignore: bool) -> Project {
    let env_files = ComposeEnvFiles::collect(roots, respect_ignore);
    let mut project = Project::default();
    for root in roots {
        if !root.exists() {
            project
                .warnings
                .push(format!("{}: path does not exist; skipped", root.display()));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(respect_ignore)
            .ignore(respect_ignore)
            .git_exclude(respect_ignore)
            .require_git(false)
            .add_custom_ignore_filename(".airsealignore")
            .filter_entry(|e| e.file_name() != ".git")
            .sort_by_file_path(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    project.warnings.push(error.to_string());
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let display = display_path(root, path, roots.len() > 1);
            project.files.push((display.clone(), path.to_path_buf()));
            if entry.metadata().map(|m| m.len()).unwrap_or(0) > MAX_FILE_SIZE {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(path);
            read_file(path, relative, display, &env_files, &mut project);
        }
    }
    project
}

/// `relative` is the path under its root: test code is recognised from it, so a project kept
/// under some `tests/` folder is still read.
fn read_file(
    path: &Path,
    relative: &Path,
    display: String,
    env_files: &ComposeEnvFiles,
    project: &mut Project,
) {
    let is_python = path.extension().is_some_and(|e| e == "py");
    let Ok(bytes) = std::fs::read(path) else {
        project.warnings.push(format!("{display}: cannot be read"));
        return;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        // Configuration that is not UTF-8 is reported by the scan; here it only cannot count.
        if is_python || configuration_of(path, "", env_files, None).is_some() {
            project
                .warnings
                .push(format!("{display}: not valid UTF-8; not read"));
        }
        return;
    };
    if is_python {
        let mentions = text.contains("conn") || text.contains("Variable") || text.contains("var.");
        if mentions && !airseal_python::is_test_path(relative) {
            let found = references(&text);
            if !found.is_empty() {
                project.references.push((display, found));
            }
        }
        return;
    }
    if let Some(configuration) = configuration_of(path, &text, env_files, None) {
        for (line, message) in &configuration.problems {
            match line {
                Some(line) => project
                    .warnings
                    .push(format!("{display}:{line}: {message}")),
                None => project.warnings.push(format!("{display}: {message}")),
            }
        }
        project.configurations.push((display, configuration));
    }
}

fn display_path(root: &Path, path: &Path, prefix_root: bool) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let shown = if relative.as_os_str().is_empty() {
        path.file_name().map(Path::new).unwrap_or(path)
    } else {
        relative
    };
    let text = shown.to_string_lossy().replace('\\', "/");
    if prefix_root && !relative.as_os_str().is_empty() {
        format!("{}/{text}", root.to_string_lossy().trim_end_matches('/'))
    } else {
        text
    }
}
