//! End-to-end tests of the `airseal` binary: one test binary, as in Nosey Parker and ripgrep.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod bad_input;
mod baseline;
mod canary;
mod common;
mod config;
mod dag_rules;
mod deployment;
mod docs;
mod formats;
mod helm;
mod iam;
mod migrate;
mod rotate;
mod watch;
