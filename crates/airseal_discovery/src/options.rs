use std::path::PathBuf;

/// Files larger than this are skipped with a warning unless `max_file_size` says otherwise.
/// 10 MiB covers any hand-written config or source; larger files are data dumps or bundles.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Files or directories to scan.
    pub roots: Vec<PathBuf>,
    /// gitignore-style globs, relative to each root, of paths not to scan.
    pub exclude: Vec<String>,
    /// Honour .gitignore / .ignore / .airsealignore files.
    pub respect_ignore_files: bool,
    pub follow_symlinks: bool,
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            roots: vec![PathBuf::from(".")],
            exclude: Vec::new(),
            respect_ignore_files: true,
            follow_symlinks: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
        }
    }
}
