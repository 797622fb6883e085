//! `airseal watch cloudtrail` end to end: every output format (SARIF against the 2.1.0 schema),
//! exit codes, the scope from flags, `[watch]` and a deployment, a delivery tree of `.json.gz`
//! files, `--follow`, and bad input — a truncated gzip, non-JSON lines, records without fields,
//! clock skew, a file too large to read whole — each a warning naming the file and record
//! while the run goes on. A canary proves no value from the records (a `secretString` a broken
//! forwarder kept, an error message) reaches the output.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::{ALNUM, airseal, json, random_string, stderr, stdout, write};

const WORKER: &str = "arn:aws:iam::111122223333:role/airflow-worker";
const DEPLOYER: &str = "arn:aws:iam::111122223333:role/airflow-deployer";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../airseal_watch/tests/fixtures")
}

fn record(name: &str, secret: &str, who: &str, time: &str, extra: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","arn":"{who}"}},"eventTime":"{time}","eventSource":"secretsmanager.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.1","userAgent":"Boto3/1.35","requestParameters":{{"secretId":"{secret}"}},"eventID":"{}"{extra}}}"#,
        random_string(b"0123456789abcdef", 32)
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn formats_and_exit_codes() {
    let fixture = fixtures().join("aud001-positive.jsonl");
    let args = [
        "watch",
        "cloudtrail",
        "--principal",
        WORKER,
        "--writer",
        DEPLOYER,
    ];
    let output = airseal()
        .args(args)
        .arg(&fixture)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let findings = report["findings"].as_array().unwrap();
    // Six records, five alerts: the KMS record is on a key only `[watch] kms-keys` names.
    assert_eq!(findings.len(), 5);
    for finding in findings {
        // `scan`'s contract, plus the evidence.
        for key in [
            "code",
            "name",
            "severity",
            "confidence",
            "path",
            "line",
            "message",
            "fingerprint",
            "secret",
            "fix",
        ] {
            assert!(finding.get(key).is_some(), "{key} missing: {finding}");
        }
        assert!(finding["secret"].is_null());
        assert!(
            finding["evidence"][0]["event_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
        assert!(
            finding["evidence"][0]["event_time"]
                .as_str()
                .is_some_and(|t| t.starts_with("2026-"))
        );
    }
    assert_eq!(report["summary"]["records"], 6);
    let lines = airseal()
        .args(args)
        .arg(&fixture)
        .args(["-f", "jsonl"])
        .output()
        .unwrap();
    let parsed: Vec<serde_json::Value> = stdout(&lines)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 5);
    assert_eq!(parsed[0]["fingerprint"], findings[0]["fingerprint"]);
    let human = airseal().args(args).arg(&fixture).output().unwrap();
    let text = stdout(&human);
    assert!(
        text.contains("AUD001 high") && text.contains("5 findings"),
        "{text}"
    );
    let sarif = airseal()
        .args(args)
        .arg(&fixture)
        .args(["-f", "sarif"])
        .output()
        .unwrap();
    let sarif = json(&sarif);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5);
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    // --fail-on: the findings are high, medium and low; none is critical.
    let output = airseal()
        .args(args)
        .arg(&fixture)
        .args(["--fail-on", "critical"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let output = airseal()
        .args(args)
        .arg(&fixture)
        .args(["--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let output = airseal()
        .args(args)
        .arg(&fixture)
        .args(["--fail-on", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn scope_comes_from_flags_policy_and_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let trail = write(
        dir.path(),
        "trail.jsonl",
        [
            record(
                "GetSecretValue",
                "team/conns/warehouse",
                "arn:aws:iam::111122223333:user/mallory",
                "2026-11-30T10:00:00Z",
                "",
            ),
            record(
                "GetSecretValue",
                "airflow/connections/warehouse",
                "arn:aws:iam::111122223333:user/mallory",
                "2026-11-30T10:00:01Z",
                "",
            ),
        ]
        .join("\n"),
    );
    let codes = |output: &std::process::Output| -> Vec<String> {
        json(output)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["secrets"][0].as_str().unwrap().to_owned())
            .collect()
    };
    // Without readers AUD002 is off, and says so.
    let output = airseal()
        .args(["watch", "cloudtrail"])
        .arg(&trail)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        json(&output)["summary"]["notes"]
            .to_string()
            .contains("AUD002 is off")
    );
    // Default prefixes, then --prefix, then [watch] in airseal.toml, then the deployment.
    let output = airseal()
        .args(["watch", "cloudtrail", "--principal", WORKER])
        .arg(&trail)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&output), vec!["airflow/connections/warehouse"]);
    let output = airseal()
        .args([
            "watch",
            "cloudtrail",
            "--principal",
            WORKER,
            "--prefix",
            "team/conns/",
        ])
        .arg(&trail)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&output), vec!["team/conns/warehouse"]);
    let policy = write(
        dir.path(),
        "airseal.toml",
        format!("[watch]\nprefixes = [\"team/\"]\nreaders = [\"{WORKER}\"]\n"),
    );
    let output = airseal()
        .args(["watch", "cloudtrail", "--policy"])
        .arg(&policy)
        .arg(&trail)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&output), vec!["team/conns/warehouse"]);
    let deployment = write(
        dir.path(),
        "deploy/airflow.cfg",
        "[secrets]\nbackend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\nbackend_kwargs = {\"connections_prefix\": \"team/conns\", \"variables_prefix\": null, \"config_prefix\": null}\n",
    );
    let output = airseal()
        .args(["watch", "cloudtrail", "--principal", WORKER, "--config"])
        .arg(&deployment)
        .arg(&trail)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        codes(&output),
        vec!["team/conns/warehouse"],
        "{}",
        stderr(&output)
    );
    // A broken [watch] table is fatal and names the file.
    let broken = write(dir.path(), "broken.toml", "[watch]\nreadrs = [\"x\"]\n");
    let output = airseal()
        .args(["watch", "cloudtrail", "--policy"])
        .arg(&broken)
        .arg(&trail)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken.toml"),
        "{}",
        stderr(&output)
    );
    let broken = write(
        dir.path(),
        "cidr.toml",
        "[watch]\nsource-networks = [\"10.0.0.0/33\"]\n",
    );
    let output = airseal()
        .args(["watch", "cloudtrail", "--policy"])
        .arg(&broken)
        .arg(&trail)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("10.0.0.0/33"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_delivery_tree_of_gzip_files_and_streamed_large_files() {
    let dir = tempfile::tempdir().unwrap();
    let day = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/30";
    let mut records = vec![record(
        "ListSecrets",
        "",
        "arn:aws:iam::111122223333:user/mallory",
        "2026-11-30T10:00:00Z",
        "",
    )];
    for i in 0..12 {
        records.push(record(
            "GetSecretValue",
            &format!("airflow/connections/c{i}"),
            "arn:aws:iam::111122223333:user/mallory",
            &format!("2026-11-30T10:01:{i:02}Z"),
            "",
        ));
    }
    // Two delivery files, the listing in the second: AUD004 still fires.
    let first = format!("{{\"Records\":[{}]}}", records[1..].join(","));
    let second = format!("{{\"Records\":[{}]}}", records[..1].join(","));
    write(
        dir.path(),
        &format!("{day}/111122223333_CloudTrail_eu-west-1_20261130T1005Z_aaaa.json.gz"),
        gzip(first.as_bytes()),
    );
    write(
        dir.path(),
        &format!("{day}/111122223333_CloudTrail_eu-west-1_20261130T1000Z_bbbb.json.gz"),
        gzip(second.as_bytes()),
    );
    // A digest file is not read.
    write(
        dir.path(),
        "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/30/digest.json.gz",
        gzip(b"{\"digestStartTime\": 1}"),
    );
    for extra in [&[][..], &["--max-in-memory", "0"][..]] {
        let output = airseal()
            .args(["watch", "cloudtrail", "--principal", WORKER, "-f", "json"])
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap();
        let report = json(&output);
        assert_eq!(report["summary"]["files"], 2, "{report}");
        assert_eq!(report["summary"]["records"], 13);
        assert!(
            report["warnings"].as_array().unwrap().is_empty(),
            "{report}"
        );
        let findings = report["findings"].as_array().unwrap();
        assert_eq!(
            findings.iter().filter(|f| f["code"] == "AUD004").count(),
            1,
            "{report}"
        );
        assert_eq!(
            findings.iter().filter(|f| f["code"] == "AUD002").count(),
            12
        );
    }
}

#[test]
fn bad_input_warns_per_file_and_record_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mallory = "arn:aws:iam::111122223333:user/mallory";
    let good = record(
        "GetSecretValue",
        "airflow/connections/ok",
        mallory,
        "2026-11-30T10:00:00Z",
        "",
    );
    // A gzip cut in half: the records before the cut are read.
    let mut many = Vec::new();
    for i in 0..400 {
        many.push(record(
            "GetSecretValue",
            &format!("airflow/connections/t{i}"),
            mallory,
            "2026-11-30T10:00:00Z",
            "",
        ));
    }
    let compressed = gzip(format!("{{\"Records\":[{}]}}", many.join(",")).as_bytes());
    write(
        dir.path(),
        "cut.json.gz",
        &compressed[..compressed.len() / 2],
    );
    // Non-JSON lines, a record without eventName, a record of the wrong shape.
    write(
        dir.path(),
        "mixed.jsonl",
        format!(
            "{good}\nthis is not json\n{{\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventTime\":\"2026-11-30T10:00:00Z\"}}\n{{\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventName\":[1,2]}}\n{}\n",
            record(
                "GetSecretValue",
                "airflow/connections/after",
                mallory,
                "2026-11-30T10:00:02Z",
                ""
            )
        ),
    );
    // Clock skew: a record dated a year after its file's delivery time.
    write(
        dir.path(),
        "111122223333_CloudTrail_eu-west-1_20261130T1000Z_skew.json",
        format!(
            "{{\"Records\":[{}]}}",
            record(
                "GetSecretValue",
                "airflow/connections/skew",
                mallory,
                "2027-12-30T10:00:00Z",
                ""
            )
        ),
    );
    write(dir.path(), "empty.json", "");
    write(dir.path(), "binary.json", [0u8, 159, 146, 150, 1, 2]);
    let output = airseal()
        .args(["watch", "cloudtrail", "--principal", WORKER, "-f", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{}:{} {}", w["path"], w["line"], w["message"]))
        .collect();
    let has = |file: &str, text: &str| {
        warnings
            .iter()
            .any(|w| w.contains(file) && w.contains(text))
    };
    assert!(
        has("cut.json.gz", "gzip stream is damaged or cut off"),
        "{warnings:#?}"
    );
    assert!(
        has("cut.json.gz", "the records before it were read"),
        "{warnings:#?}"
    );
    assert!(
        has("mixed.jsonl", ":2 ") && has("mixed.jsonl", "not valid JSON"),
        "{warnings:#?}"
    );
    assert!(has("mixed.jsonl", "without `eventName`"), "{warnings:#?}");
    assert!(has("mixed.jsonl", "unexpected type"), "{warnings:#?}");
    assert!(has("skew.json", "clock skew"), "{warnings:#?}");
    assert!(has("empty.json", "empty file"), "{warnings:#?}");
    assert!(has("binary.json", "not JSON"), "{warnings:#?}");
    assert!(!stdout(&output).contains("this is not json"));
    let secrets: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secrets"][0].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "airflow/connections/ok",
        "airflow/connections/after",
        "airflow/connections/skew",
        "airflow/connections/t0",
    ] {
        assert!(
            secrets.iter().any(|s| s == expected),
            "{expected} not reported: {secrets:?}"
        );
    }
    assert!(
        secrets.len() < 400 + 3,
        "a cut file yields only the records before the cut"
    );
    // Nothing to read at all is fatal.
    let nothing = tempfile::tempdir().unwrap();
    let output = airseal()
        .args(["watch", "cloudtrail"])
        .arg(nothing.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = airseal()
        .args(["watch", "cloudtrail", "/no/such/path"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/no/such/path"));
}

#[test]
fn no_value_from_the_records_reaches_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let canary = format!("Cn{}9z", random_string(ALNUM, 24));
    let mallory = "arn:aws:iam::111122223333:user/mallory";
    let extra = format!(
        r#","errorCode":"AccessDenied","errorMessage":"{canary}","responseElements":{{"secretString":"{canary}"}},"additionalEventData":{{"note":"{canary}"}}"#
    );
    let mut lines = vec![record(
        "GetSecretValue",
        "airflow/connections/x",
        mallory,
        "2026-11-30T10:00:00Z",
        &extra,
    )];
    lines.push(format!(
        r#"{{"eventSource":"secretsmanager.amazonaws.com","eventName":"PutSecretValue","eventTime":"2026-11-30T10:00:01Z","userIdentity":{{"arn":"{mallory}"}},"requestParameters":{{"secretId":"airflow/connections/x","secretString":"{canary}"}},"eventID":"e2"}}"#
    ));
    // A broken record that holds the canary: the warning must not quote it.
    lines.push(format!(r#"{{"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","eventTime":{{"x":"{canary}"}}}}"#));
    lines.push(format!("{canary} {{ not json"));
    let trail = write(dir.path(), "trail.jsonl", lines.join("\n"));
    for format in ["human", "json", "jsonl", "sarif"] {
        let output = airseal()
            .args([
                "watch",
                "cloudtrail",
                "--principal",
                WORKER,
                "--writer",
                DEPLOYER,
                "-f",
                format,
            ])
            .arg(&trail)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        assert!(
            !stdout(&output).contains(&canary),
            "{format}: the canary is in the output"
        );
        assert!(
            !stderr(&output).contains(&canary),
            "{format}: the canary is in the errors"
        );
    }
}

#[test]
fn follow_reads_new_files_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mallory = "arn:aws:iam::111122223333:user/mallory";
    write(
        dir.path(),
        "a.jsonl",
        record(
            "GetSecretValue",
            "airflow/connections/first",
            mallory,
            "2026-11-30T10:00:00Z",
            "",
        ),
    );
    let root = dir.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        write(
            &root,
            "b.jsonl",
            record(
                "GetSecretValue",
                "airflow/connections/second",
                mallory,
                "2026-11-30T10:05:00Z",
                "",
            ),
        );
    });
    let output = airseal()
        .args([
            "watch",
            "cloudtrail",
            "--principal",
            WORKER,
            "--follow",
            "--follow-interval",
            "1",
            "--follow-timeout",
            "4",
            "-f",
            "jsonl",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let secrets: Vec<String> = stdout(&output)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["secrets"][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        secrets,
        vec!["airflow/connections/first", "airflow/connections/second"]
    );
    let output = airseal()
        .args(["watch", "cloudtrail", "--follow", "-f", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Database sources of `watch airflow-log` that cannot be read end the run with exit 2, naming
/// the source without its password: an unknown scheme, TLS asked for (this client has none:
/// refused, never downgraded), a server that is not there. Reading real databases is
/// scripts/airflow-log-roundtrip.sh's (Airflow writing into SQLite, PostgreSQL and MariaDB).
#[test]
fn airflow_log_database_sources_that_cannot_be_read() {
    let password = format!("Pw{}7q", random_string(ALNUM, 20));
    let cases = [
        (
            format!("oracle://airflow:{password}@db/airflow"),
            "oracle://db/airflow",
            "is not a source",
        ),
        (
            format!("postgresql://airflow:{password}@127.0.0.1:1/airflow?sslmode=require"),
            "postgresql://127.0.0.1:1/airflow",
            "asks for TLS",
        ),
        (
            format!("mysql+pymysql://airflow:{password}@127.0.0.1:1/airflow?ssl_ca=/ca.pem"),
            "mysql://127.0.0.1:1/airflow",
            "asks for TLS",
        ),
        (
            format!("mysql://airflow:{password}@127.0.0.1:1/airflow"),
            "mysql://127.0.0.1:1/airflow",
            "cannot connect",
        ),
        (
            format!("mariadb://airflow:{password}@127.0.0.1:notaport/airflow"),
            "mysql://127.0.0.1:notaport/airflow",
            "not a MySQL URL",
        ),
    ];
    for (source, shown, reason) in cases {
        let output = airseal()
            .args(["watch", "airflow-log", &source])
            .output()
            .unwrap();
        let errors = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{shown}: {errors}");
        assert!(
            errors.contains(shown) && errors.contains(reason),
            "{shown}: {errors}"
        );
        assert!(
            !errors.contains(&password),
            "{shown}: the password is in the error"
        );
        assert!(!stdout(&output).contains(&password));
    }
}
