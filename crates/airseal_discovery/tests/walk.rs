//! Discovery over real temporary trees: ignore files, excludes, binary and size checks, links.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
use std::fs;
use std::path::Path;
use std::sync::Mutex;

use airseal_discovery::{
    DiscoveryOptions, SourceFile, Visitor, VisitorFactory, Warning, WarningKind, walk,
};

#[derive(Default)]
struct Collected {
    files: Mutex<Vec<String>>,
    warnings: Mutex<Vec<Warning>>,
}

struct Collector<'a> {
    shared: &'a Collected,
    files: Vec<String>,
    warnings: Vec<Warning>,
}

impl Visitor for Collector<'_> {
    fn visit(&mut self, file: &SourceFile<'_>) {
        self.files.push(file.display_path.to_owned());
    }
    fn warn(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        self.shared.files.lock().unwrap().append(&mut self.files);
        self.shared
            .warnings
            .lock()
            .unwrap()
            .append(&mut self.warnings);
    }
}

impl<'a> VisitorFactory for &'a Collected {
    type Visitor = Collector<'a>;
    fn make(&self) -> Collector<'a> {
        Collector {
            shared: self,
            files: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

fn run(root: &Path, tweak: impl FnOnce(&mut DiscoveryOptions)) -> (Vec<String>, Vec<Warning>) {
    let mut options = DiscoveryOptions {
        roots: vec![root.to_path_buf()],
        ..DiscoveryOptions::default()
    };
    tweak(&mut options);
    let collected = Collected::default();
    walk(&options, &&collected).unwrap();
    let mut files = collected.files.into_inner().unwrap();
    files.sort();
    let mut warnings = collected.warnings.into_inner().unwrap();
    warnings.sort();
    (files, warnings)
}

fn write(root: &Path, path: &str, content: &[u8]) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

#[test]
fn honours_gitignore_airsealignore_and_excludes_and_scans_dotfiles() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", b"build/\n");
    write(root, ".airsealignore", b"fixtures/\n");
    write(root, "build/out.py", b"x = 1\n");
    write(root, "fixtures/secret.env", b"A=1\n");
    write(root, "vendor/lib.py", b"x = 1\n");
    write(root, "dags/etl.py", b"x = 1\n");
    write(root, ".env", b"A=1\n");
    write(root, ".git/config", b"[core]\n");
    let (files, warnings) = run(root, |o| o.exclude = vec!["vendor/**".into()]);
    assert_eq!(
        files,
        vec![".airsealignore", ".env", ".gitignore", "dags/etl.py"]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn binary_and_oversized_files_are_skipped_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "logo.png", b"\x89PNG\0\0\0");
    write(root, "notes.txt", b"hello\0world");
    write(root, "big.sql", &vec![b'a'; 2048]);
    write(root, "ok.py", b"x = 1\n");
    let (files, warnings) = run(root, |o| o.max_file_size = 1024);
    assert_eq!(files, vec!["ok.py"]);
    let kinds: Vec<(&str, WarningKind)> =
        warnings.iter().map(|w| (w.path.as_str(), w.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("big.sql", WarningKind::TooLarge),
            ("notes.txt", WarningKind::Binary)
        ],
        "a .png is binary by design and skipped silently"
    );
}

#[test]
fn invalid_utf8_and_long_lines_are_scanned_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "latin1.cfg", b"ok\npassword = caf\xe9\n");
    write(root, "bundle.js", "x".repeat(100_000).as_bytes());
    let (files, warnings) = run(root, |_| {});
    assert_eq!(files, vec!["bundle.js", "latin1.cfg"]);
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].kind, WarningKind::LongLine);
    assert_eq!(warnings[1].kind, WarningKind::InvalidUtf8);
    assert_eq!(warnings[1].line, Some(2));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_broken_links_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/file.py", b"x = 1\n");
    std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
    std::os::unix::fs::symlink(root.join("a/file.py"), root.join("alias.py")).unwrap();
    let (files, warnings) = run(root, |_| {});
    assert_eq!(
        files.len(),
        1,
        "a file reached twice is read once: {files:?}"
    );
    let kinds: Vec<WarningKind> = warnings.iter().map(|w| w.kind).collect();
    assert!(kinds.contains(&WarningKind::SymlinkLoop), "{warnings:?}");
    assert!(kinds.contains(&WarningKind::BrokenLink), "{warnings:?}");
}

#[test]
fn a_single_file_root_keeps_its_path_and_missing_roots_warn() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "dags/etl.py", b"x = 1\n");
    let file = root.join("dags/etl.py");
    let (files, _) = run(&file, |_| {});
    assert_eq!(files, vec![file.to_string_lossy().into_owned()]);
    let (files, warnings) = run(root, |o| o.roots.push(root.join("nope")));
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("dags/etl.py"), "{files:?}");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].path.ends_with("nope"));
}

#[test]
fn a_file_root_among_several_roots_is_shown_once_not_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "dags/etl.py", b"x = 1\n");
    write(root, "config/airflow.cfg", b"[core]\n");
    let file = root.join("dags/etl.py");
    let (files, _) = run(&file, |o| o.roots.push(root.join("config")));
    let file_display = file.to_string_lossy().into_owned();
    assert!(files.contains(&file_display), "{files:?}");
    let config = format!("{}/airflow.cfg", root.join("config").display());
    assert!(files.contains(&config), "{files:?}");
    assert_eq!(files.len(), 2, "{files:?}");
}
