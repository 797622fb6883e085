//! Runs the DAG rules and `airseal doctor`'s reference finder over arbitrary Python-ish text
//! (broken syntax included): any input must give findings whose spans lie inside the text on
//! character boundaries and references on lines that exist, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for span in airseal_python::finding_spans(source) {
        assert!(span.start <= span.end && span.end <= source.len(), "{span:?}");
        assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
    }
    let lines = source.lines().count().max(1) + 1;
    for reference in airseal_python::references(source) {
        assert!(reference.line >= 1 && reference.line <= lines, "{reference:?}");
        assert!(!reference.id.is_empty());
    }
});
