//! Bad input never panics and never stops the scan: each case gives a warning naming the path,
//! the other files are still scanned, and the exit code is 1 (findings), not 2.
use std::fs;

use crate::common::{airseal, github_token, json, stderr, write};

#[test]
fn every_kind_of_bad_input_is_a_warning_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = github_token();
    // Invalid UTF-8 before a secret: still scanned, as bytes.
    let mut latin1 = b"# caf\xe9 cr\xe8me\n".to_vec();
    latin1.extend(format!("TOKEN = \"{token}\"\n").as_bytes());
    write(root, "latin1.py", latin1);
    // NUL bytes in a text-named file: skipped as binary, with a warning.
    write(root, "notes.txt", b"header\0\0\0body\n");
    // A 1 GB file (sparse, so the test is instant): skipped by the size cap.
    let big = fs::File::create(root.join("dump.sql")).unwrap();
    big.set_len(1 << 30).unwrap();
    // A 100,000-character minified line with a secret in the middle.
    let minified = format!(
        "{}var t=\"{}\";{}",
        "a=1;".repeat(12_500),
        github_token(),
        "b=2;".repeat(12_500)
    );
    write(root, "bundle.min.js", &minified);
    // A symlink loop.
    fs::create_dir_all(root.join("loop")).unwrap();
    std::os::unix::fs::symlink(root.join("loop"), root.join("loop/again")).unwrap();
    // An ordinary file that must still be scanned.
    write(root, "ok.py", format!("T = \"{}\"\n", github_token()));

    let output = airseal()
        .args(["scan", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let warnings: Vec<(String, String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["path"].as_str().unwrap().to_owned(),
                w["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (path, kind) in [
        ("latin1.py", "invalid-utf8"),
        ("notes.txt", "binary"),
        ("dump.sql", "too-large"),
        ("bundle.min.js", "long-line"),
        ("loop/again", "symlink-loop"),
    ] {
        assert!(
            warnings.iter().any(|(p, k)| p == path && k == kind),
            "no {kind} warning for {path}: {warnings:?}"
        );
        assert!(
            stderr(&output).contains(path),
            "stderr does not name {path}"
        );
    }
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for path in ["latin1.py", "bundle.min.js", "ok.py"] {
        assert!(paths.contains(&path), "no finding in {path}: {paths:?}");
    }
}

#[test]
fn the_code_frame_of_a_minified_line_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "{}x=\"{}\";{}",
        "a".repeat(60_000),
        github_token(),
        "b".repeat(60_000)
    );
    write(dir.path(), "app.min.js", &line);
    let output = airseal().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.len() < 2_000, "human output is {} bytes", text.len());
    assert!(text.contains("app.min.js:1:60004"), "{text}");
}

/// Root can read any file, so the unreadable case runs airseal as `nobody` through setpriv.
#[test]
fn an_unreadable_file_is_a_warning() {
    let dir = tempfile::Builder::new()
        .prefix("airseal-unreadable")
        .tempdir_in("/tmp")
        .unwrap();
    let root = dir.path();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    let secret = write(root, "secret.env", format!("T={}\n", github_token()));
    write(root, "ok.py", format!("T = \"{}\"\n", github_token()));
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("airseal");
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut command = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        c
    } else {
        std::process::Command::new(&binary)
    };
    // The binary lives under target/, which `nobody` must be able to reach.
    let output = command
        .args(["scan", "--format", "json"])
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("setpriv (util-linux) is installed by scripts/test.sh");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["path"] == "secret.env")
        .unwrap_or_else(|| panic!("no warning for secret.env: {report:#}"));
    assert_eq!(warning["kind"], "unreadable");
    assert_eq!(report["summary"]["findings"], 1, "ok.py is still scanned");
}

#[test]
fn a_missing_path_is_an_error_only_when_nothing_exists() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.py", "x = 1\n");
    let output = airseal()
        .arg("scan")
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nope"));
    let output = airseal()
        .arg("scan")
        .arg(dir.path())
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("nope"));
}

#[test]
fn python_that_does_not_parse_is_still_checked_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A DAG with a syntax error in the middle, a secret before and after it, a file that is
    // only garbage, an empty file and a file of NUL bytes with a `.py` name.
    write(
        root,
        "dags/broken.py",
        "from airflow import DAG\nDB_PASSWORD = \"Xq9zR7mK4pLw\"\nwith DAG(\"x\", schedule=\"@daily\":\n    pass\n\ndef later():\n    token = \"tok-8f7e6d5c4b\"\n",
    );
    // (Files are parsed only when they mention something a DAG rule looks for: a `.py` file
    // without a trigger word is never parsed, so its syntax is not reported.)
    write(
        root,
        "dags/garbage.py",
        ")))(((\n:::\npassword = \"\"\"unterminated\n",
    );
    write(root, "dags/empty.py", "");
    fs::write(root.join("dags/nul.py"), [0u8; 64]).unwrap();
    let output = airseal()
        .args(["scan", "--format", "json", "--select", "DAG"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let findings = report["findings"].as_array().unwrap();
    let at = |path: &str, code: &str| {
        findings
            .iter()
            .filter(|f| f["path"] == path && f["code"] == code)
            .map(|f| f["line"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(at("dags/broken.py", "DAG900"), [3], "{report:#}");
    assert_eq!(at("dags/broken.py", "DAG002"), [2, 7], "{report:#}");
    assert_eq!(at("dags/garbage.py", "DAG900").len(), 1, "{report:#}");
    let syntax = findings.iter().find(|f| f["code"] == "DAG900").unwrap();
    assert_eq!(syntax["severity"], "info");
    assert!(syntax["secret"].is_null(), "a syntax error is not a secret");
}

#[test]
fn deeply_nested_python_is_a_warning_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let depth = 100_000;
    write(
        root,
        "dags/brackets.py",
        format!(
            "password = {}\"x\"{}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
    );
    write(
        root,
        "dags/concatenation.py",
        format!("secret = {}\n", vec!["\"a\""; depth].join(" + ")),
    );
    write(
        root,
        "dags/ok.py",
        "import psycopg2\npsycopg2.connect(password=\"Xq9zR7mK4pLw\")\n",
    );
    let output = airseal()
        .args(["scan", "--format", "json", "--select", "DAG"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["path"], "dags/ok.py");
    let warnings = stderr(&output);
    for file in ["dags/brackets.py", "dags/concatenation.py"] {
        assert!(
            warnings.contains(file) && warnings.contains("nested"),
            "{file}: {warnings}"
        );
    }
}
