use std::fs;

use crate::common::{ALNUM, airseal, json, plant_canaries, random_string, stderr, write};

#[test]
fn baseline_hides_known_findings_and_reports_new_ones() {
    let canaries = plant_canaries();
    let root = canaries.dir.path();
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    airseal()
        .args(["baseline", "create", "--output"])
        .arg(&baseline)
        .arg(root)
        .assert()
        .code(0);
    let text = fs::read_to_string(&baseline).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["version"], 1);
    let entries = parsed["findings"].as_array().unwrap();
    assert!(entries.len() >= canaries.values.len());
    let keys: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            let obj = e.as_object().unwrap();
            assert_eq!(obj.len(), 3, "only path, code, fingerprint: {e}");
            (
                e["path"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
                e["fingerprint"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "entries are sorted");

    // Moving lines does not change the baseline; re-creating it gives the same bytes.
    let etl = root.join("dags/etl.py");
    let moved = format!("\n\n# moved\n{}", fs::read_to_string(&etl).unwrap());
    fs::write(&etl, moved).unwrap();
    let again = out.path().join("again.json");
    airseal()
        .args(["baseline", "create", "--output"])
        .arg(&again)
        .arg(root)
        .assert()
        .code(0);
    assert_eq!(text, fs::read_to_string(&again).unwrap());

    let output = airseal()
        .args(["scan", "--format", "json", "--baseline"])
        .arg(&baseline)
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"]["baseline"], entries.len());

    write(
        root,
        "dags/new.py",
        format!("T = \"ghp_{}Aa1\"\n", random_string(ALNUM, 33)),
    );
    let output = airseal()
        .args(["scan", "--format", "json", "--baseline"])
        .arg(&baseline)
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["findings"][0]["path"], "dags/new.py");
}
