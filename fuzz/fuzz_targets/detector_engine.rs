//! Runs every built-in rule over arbitrary bytes, then renders each detection the way a report
//! does (line index, redacted source line, redacted secret). Checks the invariants reports rely
//! on: spans in bounds, the secret inside the match, detections ordered by position.
#![no_main]

use std::ops::Range;
use std::sync::LazyLock;

use airseal_detectors::{DetectorSet, builtin_rules};
use airseal_finding::{LineIndex, SourceLine, redact};
use libfuzzer_sys::fuzz_target;

static DETECTORS: LazyLock<DetectorSet> = LazyLock::new(|| {
    let rules = builtin_rules().expect("built-in rules parse");
    DetectorSet::new(rules).expect("built-in rules compile into one set")
});

fuzz_target!(|data: &[u8]| {
    let detectors = &*DETECTORS;
    let detections = detectors.detect(data);
    if detections.is_empty() {
        return;
    }
    let mut previous: Option<(usize, usize)> = None;
    for det in &detections {
        assert!(
            det.rule < detectors.rules().len(),
            "rule index out of range: {det:?}"
        );
        assert!(
            det.matched.start <= det.matched.end && det.matched.end <= data.len(),
            "match span out of bounds ({} bytes): {det:?}",
            data.len()
        );
        assert!(
            det.secret.start < det.secret.end,
            "empty or reversed secret span: {det:?}"
        );
        assert!(
            det.matched.start <= det.secret.start && det.secret.end <= det.matched.end,
            "secret outside its match: {det:?}"
        );
        let key = (det.secret.start, det.rule);
        if let Some(prev) = previous {
            assert!(
                prev <= key,
                "detections not ordered by position: {detections:?}"
            );
        }
        previous = Some(key);
    }

    let index = LineIndex::new(data);
    let all_secret_spans: Vec<Range<usize>> = detections.iter().map(|d| d.secret.clone()).collect();
    for det in &detections {
        let (line, column) = index.line_column(data, det.secret.start);
        assert!(line >= 1 && line <= index.line_count() && column >= 1);

        let source = SourceLine::redacted(data, &index, det.secret.clone(), &all_secret_spans);
        assert_eq!(source.line, line, "source line differs from the line index");
        let chars = source.text.chars().count();
        assert!(
            source.highlight.start <= source.highlight.end && source.highlight.end <= chars,
            "highlight {:?} outside a {chars}-character line",
            source.highlight
        );

        let shown = redact(&data[det.secret.clone()]);
        assert!(!shown.is_empty());
        let _ = redact(&data[det.matched.clone()]);
    }
});
