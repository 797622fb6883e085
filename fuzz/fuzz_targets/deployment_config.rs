//! Reads arbitrary text as airflow.cfg, an env file, a Dockerfile, a compose file, Kubernetes
//! manifests and both Helm charts' values and runs the CFG, HLM and KUB rules: any input must
//! give findings whose spans lie inside the text on character boundaries, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    use airseal_deployment::Chart;
    let readings = [
        ("airflow.cfg", None),
        (".env", None),
        ("Dockerfile", None),
        ("docker-compose.yaml", None),
        ("manifests.yaml", None),
        ("values.yaml", Some(Chart::UserCommunity)),
        ("values.yaml", Some(Chart::Official)),
    ];
    for (name, chart) in readings {
        for span in airseal_deployment::finding_spans(name, text, chart) {
            assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
});
