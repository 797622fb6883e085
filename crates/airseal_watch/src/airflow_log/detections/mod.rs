//! One file per `AUD1##` detection over Airflow's audit log; each file's `//!` comment is its
//! documentation.

pub mod aud101_change_by_unexpected_user;
pub mod aud102_change_outside_working_hours;
pub mod aud103_secret_in_audit_log;

use airseal_finding::StaticRule;

use super::{LogChange, LogPolicy};
use crate::Alert;

/// Every detection, in code order.
pub const RULES: &[&StaticRule] = &[
    &aud101_change_by_unexpected_user::RULE,
    &aud102_change_outside_working_hours::RULE,
    &aud103_secret_in_audit_log::RULE,
];

pub type Check = fn(&LogChange<'_>, &LogPolicy) -> Option<Alert>;

pub const CHECKS: &[(&StaticRule, Check)] = &[
    (
        &aud101_change_by_unexpected_user::RULE,
        aud101_change_by_unexpected_user::check,
    ),
    (
        &aud102_change_outside_working_hours::RULE,
        aud102_change_outside_working_hours::check,
    ),
    (
        &aud103_secret_in_audit_log::RULE,
        aud103_secret_in_audit_log::check,
    ),
];
