//! `[watch]`: what belongs to Airflow, for `airseal watch cloudtrail`.
//!
//! ```toml
//! [watch]
//! prefixes = ["airflow/connections/", "airflow/variables/"]   # default: from --config, else Airflow's
//! readers = ["arn:aws:iam::123456789012:role/airflow-worker"] # globs; a role matches its sessions
//! writers = ["arn:aws:iam::123456789012:role/airflow-deployer"]
//! source-networks = ["10.0.0.0/8"]       # CIDRs reads may come from
//! regions = ["eu-west-1"]
//! user-agents = ["*Boto3*", "*aws-sdk-rust*"]
//! kms-keys = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-..."]
//! bulk-read-threshold = 10               # AUD004: distinct secrets read after a listing ...
//! bulk-read-window = "10m"               # ... within this long
//! clock-skew = "15m"                     # records later than their file or now by more: warned
//! airflow-users = ["admin", "deployer"]  # airflow-log: who may change connections and variables
//! working-hours = "08:00-18:00"          # airflow-log: UTC
//! working-days = "mon-fri"
//! ```

use serde::Deserialize;

use crate::rotation::parse_duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WatchSpec {
    #[serde(default)]
    pub prefixes: Vec<String>,
    #[serde(default)]
    pub readers: Vec<String>,
    #[serde(default)]
    pub writers: Vec<String>,
    #[serde(default)]
    pub source_networks: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub user_agents: Vec<String>,
    #[serde(default)]
    pub kms_keys: Vec<String>,
    #[serde(default)]
    pub bulk_read_threshold: Option<usize>,
    #[serde(default)]
    pub bulk_read_window: Option<String>,
    #[serde(default)]
    pub clock_skew: Option<String>,
    #[serde(default)]
    pub airflow_users: Vec<String>,
    #[serde(default)]
    pub working_hours: Option<String>,
    #[serde(default)]
    pub working_days: Option<String>,
}

/// The resolved `[watch]` table (empty lists: not configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchSettings {
    pub prefixes: Vec<String>,
    pub readers: Vec<String>,
    pub writers: Vec<String>,
    pub source_networks: Vec<String>,
    pub regions: Vec<String>,
    pub user_agents: Vec<String>,
    pub kms_keys: Vec<String>,
    pub bulk_read_threshold: Option<usize>,
    pub bulk_read_window_seconds: Option<u64>,
    pub clock_skew_seconds: Option<u64>,
    /// `watch airflow-log`: who may change connections and variables, and when (UTC).
    pub airflow_users: Vec<String>,
    pub working_hours: Option<String>,
    pub working_days: Option<String>,
}

impl WatchSpec {
    pub(crate) fn resolve(self) -> Result<WatchSettings, String> {
        let duration = |key: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| parse_duration(t).map_err(|e| format!("watch.{key}: {e}")))
                .transpose()
        };
        if self.bulk_read_threshold == Some(0) {
            return Err("watch.bulk-read-threshold must be at least 1".to_owned());
        }
        let bulk_read_window_seconds = duration("bulk-read-window", &self.bulk_read_window)?;
        if bulk_read_window_seconds == Some(0) {
            return Err("watch.bulk-read-window must be longer than 0".to_owned());
        }
        Ok(WatchSettings {
            prefixes: self.prefixes,
            readers: self.readers,
            writers: self.writers,
            source_networks: self.source_networks,
            regions: self.regions,
            user_agents: self.user_agents,
            kms_keys: self.kms_keys,
            bulk_read_threshold: self.bulk_read_threshold,
            bulk_read_window_seconds,
            clock_skew_seconds: duration("clock-skew", &self.clock_skew)?,
            airflow_users: self.airflow_users,
            working_hours: self.working_hours,
            working_days: self.working_days,
        })
    }
}
