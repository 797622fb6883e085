//! Parses arbitrary text as a user rule file (`--rules FILE`, `extra-rule-files`): any input must
//! give rules or an error, never a panic. Rules that compile are then checked against their own
//! examples, as `airseal rules check` does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = airseal_detectors::parse_rule_file("fuzz.yml", text, "fuzz") {
        let _ = airseal_detectors::check_rules(&rules);
    }
});
