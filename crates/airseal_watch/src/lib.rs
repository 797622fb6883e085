//! `airseal watch`: who reads Airflow's secrets. Reads CloudTrail as delivered and raises the
//! `AUD###` detections on Airflow's secrets, parameters and keys ([`cloudtrail`]), and writes
//! the alerts in human, JSON, JSON Lines or SARIF form ([`report`]).

pub mod airflow_log;
pub mod cloudtrail;
pub mod report;
pub mod sigma;

pub use cloudtrail::detections::{Alert, Evidence, RULES};
pub use cloudtrail::scope::{Scope, ScopeError, ScopeSpec};
pub use cloudtrail::{Batch, Stats, Watch, WatchOptions, collect_files, run};
