//! The CloudTrail reader and every detection on arbitrary bytes: no panic, and no problem
//! message that quotes the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

use airseal_watch::cloudtrail::check_bytes;
use airseal_watch::{Scope, ScopeSpec};

fuzz_target!(|data: &[u8]| {
    let scope = Scope::new(ScopeSpec {
        prefixes: vec![String::new()],
        readers: vec!["arn:aws:iam::*:role/airflow-*".to_owned()],
        writers: vec!["arn:aws:iam::*:role/deployer".to_owned()],
        source_networks: vec!["10.0.0.0/8".to_owned()],
        regions: vec!["eu-west-1".to_owned()],
        user_agents: vec!["*Boto3*".to_owned()],
        kms_keys: vec!["alias/airflow".to_owned()],
        ..ScopeSpec::default()
    })
    .expect("a valid scope");
    let (_alerts, problems) = check_bytes(data, "fuzz.json", &scope, 1_800_000_000);
    // Problems name positions and kinds, never content: a long run of input bytes never shows.
    if let Ok(text) = std::str::from_utf8(data) {
        for token in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| t.len() >= 24) {
            for problem in &problems {
                assert!(!problem.contains(token), "a problem quotes the input: {problem}");
            }
        }
    }
});
