use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn airseal() -> Command {
    let mut cmd = Command::cargo_bin("airseal").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

pub fn write(root: &Path, path: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, content).unwrap();
    path
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

/// Random characters from `alphabet`, read from the OS so every run plants new canaries.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut bytes = vec![0u8; len];
    fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// A random GitHub classic token (`ghp_` + 36), found by KEY200 wherever it is written.
pub fn github_token() -> String {
    format!("ghp_{}Aa1", random_string(ALNUM, 33))
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A small project with one secret of each broad family, all random.
pub struct Canaries {
    pub values: Vec<String>,
    pub dir: tempfile::TempDir,
}

pub fn plant_canaries() -> Canaries {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Mixed case and digits guaranteed, so entropy filters never drop a canary by chance.
    let github = format!("ghp_{}Aa1", random_string(ALNUM, 33));
    let aws_id = format!(
        "AKIA{}",
        random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    );
    let aws_secret = format!("{}Zz9/", random_string(ALNUM, 36));
    let slack = format!(
        "xoxb-{}-{}-{}",
        random_string(b"123456789", 12),
        random_string(b"123456789", 12),
        random_string(ALNUM, 24)
    );
    let db_password = format!("Pg{}7q", random_string(ALNUM, 14));
    let generic_password = format!("Pw{}3x", random_string(ALNUM, 12));
    write(
        root,
        "dags/etl.py",
        format!(
            "import boto3\n\
             GITHUB_TOKEN = \"{github}\"\n\
             client = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"{aws_id}\",\n    aws_secret_access_key=\"{aws_secret}\",\n)\n"
        ),
    );
    write(root, ".env", format!("SLACK_BOT_TOKEN={slack}\n"));
    write(
        root,
        "config/airflow.cfg",
        format!(
            "[database]\nsql_alchemy_conn = postgresql+psycopg2://airflow:{db_password}@db.internal:5432/airflow\n"
        ),
    );
    write(
        root,
        "settings.yaml",
        format!("warehouse:\n  db_password: \"{generic_password}\"\n"),
    );
    // Secrets only the DAG rules see (no provider prefix, no generic `password =` line), and
    // one on a line that does not parse, whose syntax error must not quote it.
    let connection_password = format!("Cn{}4k", random_string(ALNUM, 12));
    let pod_token = format!("Tk{}8m", random_string(ALNUM, 12));
    let default_passphrase = format!("Ph{}2v", random_string(ALNUM, 12));
    let broken_line_password = format!("Br{}6w", random_string(ALNUM, 12));
    write(
        root,
        "dags/pipeline.py",
        format!(
            "from airflow.models import Connection\n\
             from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n\
             wh = Connection(conn_id=\"wh\", conn_type=\"postgres\", password=\"{connection_password}\")\n\
             KubernetesPodOperator(task_id=\"t\", image=\"etl\", env_vars={{\"API_TOKEN\": \"{pod_token}\"}})\n\
             def connect(user, passphrase=\"{default_passphrase}\"):\n    return user\n\
             smtp_pwd = \"{broken_line_password}\" +* ]\n"
        ),
    );
    Canaries {
        values: vec![
            github,
            aws_id,
            aws_secret,
            slack,
            db_password,
            generic_password,
            connection_password,
            pod_token,
            default_passphrase,
            broken_line_password,
        ],
        dir,
    }
}
