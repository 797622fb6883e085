//! Analyzers that ship with the engine. Analyzers for specific file kinds (Python, configuration,
//! Helm) live in crates of their own.
mod credentials;

pub use credentials::CredentialAnalyzer;
