mod github;
mod human;
mod json;
mod junit;
pub(crate) mod sarif;

pub use github::GithubReporter;
pub use human::HumanReporter;
pub use json::{JsonReporter, JsonlReporter};
pub use junit::JunitReporter;
pub use sarif::SarifReporter;
