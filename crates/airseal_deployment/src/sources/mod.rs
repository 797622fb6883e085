//! Readers that turn a file into [`Setting`](crate::settings::Setting)s with exact spans.

pub mod compose_env_files;
pub mod dockerfile;
pub mod env_file;
pub mod ini;
pub mod yaml_env;
