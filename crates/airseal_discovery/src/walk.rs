use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ignore::overrides::OverrideBuilder;
use ignore::{DirEntry, WalkBuilder, WalkState};

use crate::{DiscoveryError, DiscoveryOptions, Warning, WarningKind};

/// A file's bytes, handed to a visitor. `display_path` is relative to the scan root, with `/`.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a Path,
    pub display_path: &'a str,
    pub bytes: &'a [u8],
}

/// Receives the files one worker thread reads. One visitor is made per thread; it is dropped when
/// the walk ends, so a visitor that collects results hands them over in its `Drop`.
pub trait Visitor: Send {
    fn visit(&mut self, file: &SourceFile<'_>);
    fn warn(&mut self, warning: Warning);
}

/// Makes one [`Visitor`] per worker thread.
pub trait VisitorFactory: Sync {
    type Visitor: Visitor;
    fn make(&self) -> Self::Visitor;
}

/// What the walk read and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
}

#[derive(Default)]
struct Counters {
    files_scanned: AtomicU64,
    bytes_scanned: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_too_large: AtomicU64,
}

/// Bytes inspected for a NUL to call a file binary (git's heuristic).
const BINARY_PROBE: usize = 8000;
/// A line longer than this is reported: it is scanned, but it is not hand-written text.
const LONG_LINE: usize = 64 * 1024;

/// Extensions whose files are binary by design: skipped without a warning when they hold a NUL.
const BINARY_EXTENSIONS: &[&str] = &[
    "7z", "a", "avi", "avro", "bin", "bmp", "bz2", "class", "db", "dll", "docx", "dylib", "egg",
    "eot", "exe", "feather", "flac", "gif", "gz", "h5", "hdf5", "ico", "jar", "jpeg", "jpg", "mo",
    "mov", "mp3", "mp4", "npy", "npz", "o", "ogg", "onnx", "orc", "otf", "parquet", "pb", "pdf",
    "pickle", "pkl", "png", "pptx", "pt", "pyc", "pyo", "rar", "so", "sqlite", "sqlite3", "tar",
    "tgz", "tiff", "tflite", "ttf", "wav", "war", "webp", "whl", "woff", "woff2", "xls", "xlsx",
    "xz", "zip", "zst",
];

/// Walks every root in parallel and hands each readable text file to a visitor.
pub fn walk<F: VisitorFactory>(
    options: &DiscoveryOptions,
    factory: &F,
) -> Result<WalkStats, DiscoveryError> {
    let (roots, missing): (Vec<&PathBuf>, Vec<&PathBuf>) = options
        .roots
        .iter()
        .partition(|root| root.exists() || root.is_symlink());
    if roots.is_empty() {
        let names: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        return Err(DiscoveryError::NoRoots(names.join(", ")));
    }
    if !missing.is_empty() {
        let mut visitor = factory.make();
        for root in missing {
            visitor.warn(Warning::new(
                root.display().to_string(),
                WarningKind::Unreadable,
                "path does not exist; skipped",
            ));
        }
    }
    let counters = Counters::default();
    let seen_files = Mutex::new(HashSet::new());
    let prefix_roots = options.roots.len() > 1;
    for root in roots {
        let walker = build_walker(options, root)?;
        let root_prefix = if prefix_roots {
            format!("{}/", normalize(&root.display().to_string()))
        } else {
            String::new()
        };
        let context = WalkContext {
            options,
            root,
            root_is_file: root.is_file(),
            root_prefix,
            counters: &counters,
            seen_files: &seen_files,
        };
        walker.run(|| {
            let mut visitor = factory.make();
            let mut buffer = Vec::new();
            let context = &context;
            Box::new(move |result| {
                match result {
                    Ok(entry) => context.handle_entry(&entry, &mut buffer, &mut visitor),
                    Err(error) => visitor.warn(context.describe_error(&error)),
                }
                WalkState::Continue
            })
        });
    }
    Ok(WalkStats {
        files_scanned: counters.files_scanned.into_inner(),
        bytes_scanned: counters.bytes_scanned.into_inner(),
        skipped_binary: counters.skipped_binary.into_inner(),
        skipped_too_large: counters.skipped_too_large.into_inner(),
    })
}

fn build_walker(
    options: &DiscoveryOptions,
    root: &Path,
) -> Result<ignore::WalkParallel, DiscoveryError> {
    let mut builder = WalkBuilder::new(root);
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        options.threads
    };
    builder
        .threads(threads)
        .hidden(false)
        .follow_links(options.follow_symlinks)
        .git_ignore(options.respect_ignore_files)
        .git_global(false)
        .git_exclude(options.respect_ignore_files)
        .ignore(options.respect_ignore_files)
        .parents(options.respect_ignore_files)
        // A tarball or a copied tree has no .git, but its .gitignore still says what is not code.
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git");
    if options.respect_ignore_files {
        builder.add_custom_ignore_filename(".airsealignore");
    }
    if !options.exclude.is_empty() {
        let override_root = if root.is_file() {
            root.parent().unwrap_or(Path::new("."))
        } else {
            root
        };
        let mut overrides = OverrideBuilder::new(override_root);
        for glob in &options.exclude {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|e| DiscoveryError::InvalidGlob {
                    glob: glob.clone(),
                    message: e.to_string(),
                })?;
        }
        let overrides = overrides.build().map_err(|e| DiscoveryError::InvalidGlob {
            glob: options.exclude.join(", "),
            message: e.to_string(),
        })?;
        builder.overrides(overrides);
    }
    Ok(builder.build_parallel())
}

struct WalkContext<'a> {
    options: &'a DiscoveryOptions,
    root: &'a Path,
    root_is_file: bool,
    root_prefix: String,
    counters: &'a Counters,
    /// (device, inode) of files read, so a file reached through two links is read once.
    seen_files: &'a Mutex<HashSet<(u64, u64)>>,
}

impl WalkContext<'_> {
    fn display_path(&self, path: &Path) -> String {
        // A file given as a root is shown as the user typed it; the root prefix (used to tell
        // several directory roots apart) would otherwise repeat it: `a/x.py/a/x.py`.
        if self.root_is_file {
            return normalize(&path.to_string_lossy());
        }
        let relative = path
            .strip_prefix(self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf());
        format!(
            "{}{}",
            self.root_prefix,
            normalize(&relative.to_string_lossy())
        )
    }

    fn handle_entry<V: Visitor>(&self, entry: &DirEntry, buffer: &mut Vec<u8>, visitor: &mut V) {
        let Some(file_type) = entry.file_type() else {
            return;
        };
        // Directories, FIFOs (opening one would block), sockets and devices are not files to read.
        if !file_type.is_file() {
            return;
        }
        let display = self.display_path(entry.path());
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) => {
                visitor.warn(Warning::new(
                    display,
                    WarningKind::Unreadable,
                    error.to_string(),
                ));
                return;
            }
        };
        if metadata.len() > self.options.max_file_size {
            self.counters
                .skipped_too_large
                .fetch_add(1, Ordering::Relaxed);
            visitor.warn(Warning::new(
                display,
                WarningKind::TooLarge,
                format!(
                    "skipped: {} bytes is over the {}-byte limit (max-file-size)",
                    metadata.len(),
                    self.options.max_file_size
                ),
            ));
            return;
        }
        if self.options.follow_symlinks && !self.first_visit(&metadata) {
            return;
        }
        buffer.clear();
        if let Err(error) = read_capped(entry.path(), self.options.max_file_size, buffer) {
            visitor.warn(Warning::new(
                display,
                WarningKind::Unreadable,
                format!("cannot read: {error}"),
            ));
            return;
        }
        let probe = &buffer[..buffer.len().min(BINARY_PROBE)];
        if let Some(offset) = memchr::memchr(0, probe) {
            self.counters.skipped_binary.fetch_add(1, Ordering::Relaxed);
            if !has_binary_extension(entry.path()) {
                visitor.warn(Warning::new(
                    display,
                    WarningKind::Binary,
                    format!("skipped as binary: NUL byte at offset {offset}"),
                ));
            }
            return;
        }
        if let Err(error) = std::str::from_utf8(buffer) {
            let line = line_of(buffer, error.valid_up_to());
            visitor.warn(
                Warning::new(
                    display.clone(),
                    WarningKind::InvalidUtf8,
                    "not valid UTF-8; scanned as bytes",
                )
                .at_line(line),
            );
        }
        if let Some((line, length)) = first_long_line(buffer) {
            visitor.warn(
                Warning::new(
                    display.clone(),
                    WarningKind::LongLine,
                    format!("line is {length} bytes long (minified?); scanned, code frames cut"),
                )
                .at_line(line),
            );
        }
        self.counters.files_scanned.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_scanned
            .fetch_add(buffer.len() as u64, Ordering::Relaxed);
        visitor.visit(&SourceFile {
            path: entry.path(),
            display_path: &display,
            bytes: buffer,
        });
    }

    #[cfg(unix)]
    fn first_visit(&self, metadata: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        let key = (metadata.dev(), metadata.ino());
        match self.seen_files.lock() {
            Ok(mut seen) => seen.insert(key),
            Err(poisoned) => poisoned.into_inner().insert(key),
        }
    }

    #[cfg(not(unix))]
    fn first_visit(&self, _metadata: &std::fs::Metadata) -> bool {
        true
    }

    fn describe_error(&self, error: &ignore::Error) -> Warning {
        let (path, kind, message) = unpack_error(error);
        let path = path.map_or_else(|| self.display_path(self.root), |p| self.display_path(&p));
        Warning::new(path, kind, message)
    }
}

fn unpack_error(error: &ignore::Error) -> (Option<PathBuf>, WarningKind, String) {
    match error {
        ignore::Error::Loop { child, ancestor } => (
            Some(child.clone()),
            WarningKind::SymlinkLoop,
            format!("symlink loop back to {}; not followed", ancestor.display()),
        ),
        ignore::Error::WithPath { path, err } => {
            let (_, kind, message) = unpack_error(err);
            (Some(path.clone()), kind, message)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            unpack_error(err)
        }
        // The walker stats every entry it lists, so "not found" means a link to nothing.
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => (
            None,
            WarningKind::BrokenLink,
            "broken symlink: its target does not exist".to_owned(),
        ),
        ignore::Error::Io(io) => (None, WarningKind::Unreadable, io.to_string()),
        other => (None, WarningKind::Walk, other.to_string()),
    }
}

fn read_capped(path: &Path, cap: u64, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    let file = File::open(path)?;
    // A file that grows while we read it is cut at the cap rather than read without end.
    file.take(cap.saturating_add(1)).read_to_end(buffer)?;
    Ok(())
}

fn has_binary_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| BINARY_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() + 1
}

fn first_long_line(bytes: &[u8]) -> Option<(usize, usize)> {
    if bytes.len() <= LONG_LINE {
        return None;
    }
    let mut start = 0;
    let mut line = 1;
    for newline in memchr::memchr_iter(b'\n', bytes) {
        if newline - start > LONG_LINE {
            return Some((line, newline - start));
        }
        start = newline + 1;
        line += 1;
    }
    (bytes.len() - start > LONG_LINE).then(|| (line, bytes.len() - start))
}

/// Forward slashes, no leading `./`.
fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    let trimmed = path.trim_start_matches("./");
    if trimmed.is_empty() {
        ".".to_owned()
    } else {
        trimmed.to_owned()
    }
}
