//! Parses arbitrary text as `airseal.toml` and as `pyproject.toml`: any input must give a
//! configuration or an error, never a panic.
#![no_main]

use std::path::Path;

use airseal_config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Config::from_toml_str(Path::new("/tmp/airseal.toml"), text);
    let _ = Config::from_pyproject_str(Path::new("/tmp/pyproject.toml"), text);
});
