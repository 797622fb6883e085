//! Reads arbitrary text as airflow.cfg, an env file, a Dockerfile, a compose file and Kubernetes
//! manifests and runs the CFG rules: any input must
//! give findings whose spans lie inside the text on character boundaries, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["airflow.cfg", ".env", "Dockerfile", "docker-compose.yaml", "manifests.yaml"] {
        for span in airseal_deployment::finding_spans(name, text) {
            assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
});
