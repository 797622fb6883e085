use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keeps Apache Airflow's secrets out of code and configuration.
#[derive(Debug, Parser)]
#[command(name = "airseal", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for secrets.
    Scan(ScanArgs),
    /// Record the current findings so later scans report only new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// List every rule, or check user rule files.
    Rules(RulesArgs),
    /// Print one rule's documentation.
    Rule {
        /// Rule code, e.g. KEY001.
        code: String,
    },
    /// Least-privilege IAM for Airflow's AWS secrets backends.
    #[command(subcommand)]
    Iam(IamCommand),
    /// Check the secrets-backend configuration and explain where every connection and
    /// Variable resolves from.
    Doctor(DoctorArgs),
    /// Move secrets from exports, env and compose files, chart values and airflow.cfg into
    /// the store Airflow's secrets backend reads, under the exact names it looks up.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Airflow Helm charts: externalize the values' secrets (ESO / CSI manifests, a values
    /// overlay, the store writes), and gate installs as a Helm post-renderer.
    #[command(subcommand)]
    Helm(HelmCommand),
    /// Rotation: how old each connection's credentials are against the policy, and safe
    /// staged rotation of PostgreSQL and MySQL credentials where they are stored.
    #[command(subcommand)]
    Rotate(RotateCommand),
    /// Watch who reads Airflow's secrets: detections over CloudTrail.
    #[command(subcommand)]
    Watch(WatchCommand),
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Read CloudTrail (S3 delivery trees of .json.gz, .json `{"Records": [...]}` files, JSON
    /// Lines, EventBridge events) and raise the AUD### detections on Airflow's secrets.
    /// Exit 1 when a finding is at or above --fail-on.
    Cloudtrail(WatchCloudtrailArgs),
    /// Write the CloudTrail detections as Sigma rules (one .yml per detection) for the scope
    /// given, for SIEMs; says what each rule cannot express exactly.
    ExportSigma(WatchExportSigmaArgs),
    /// Read Airflow's audit log (the `log` table: SQLite, PostgreSQL or MySQL/MariaDB database,
    /// JSON/JSON Lines/CSV export, or the REST API) and raise the AUD1## detections on changes to connections and
    /// variables. Exit 1 when a finding is at or above --fail-on.
    AirflowLog(WatchAirflowLogArgs),
}

#[derive(Debug, Args)]
pub struct WatchAirflowLogArgs {
    /// Where the rows are: the metadata database (`sqlite:///PATH` or a .db file,
    /// `postgresql://USER:PASSWORD@HOST/DB`, `mysql://USER:PASSWORD@HOST/DB`; also in
    /// SQLAlchemy's `+driver` forms as in `sql_alchemy_conn`; no TLS yet), a .json,
    /// .jsonl or .csv export, or `https://HOST/api/v2/eventLogs` (Airflow 3) /
    /// `.../api/v1/eventLogs` (Airflow 2; `https://user:password@HOST/...` for basic auth).
    pub source: String,
    /// An Airflow user (or, for CLI rows, OS account) allowed to change connections and
    /// variables; a glob; repeatable. Replaces `[watch] airflow-users`.
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,
    /// Working hours, UTC (`08:00-18:00`). Replaces `[watch] working-hours`.
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub working_hours: Option<String>,
    /// Working days (`mon-fri`, `mon,tue,wed`). Replaces `[watch] working-days`.
    #[arg(long, value_name = "DAYS")]
    pub working_days: Option<String>,
    /// The environment variable holding a bearer token for the REST API (Airflow 3).
    #[arg(long, default_value = "AIRSEAL_AIRFLOW_TOKEN", value_name = "VAR")]
    pub token_env: String,
    /// The airseal.toml with the `[watch]` table (default: found from the current directory
    /// upwards).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub report: WatchReportArgs,
}

/// The scope of `airseal watch`: what belongs to Airflow.
#[derive(Debug, Args)]
pub struct WatchScopeArgs {
    /// A name prefix of Airflow's secrets and parameters (`airflow/connections/`; repeatable).
    /// Replaces `[watch] prefixes` and the deployment's.
    #[arg(long = "prefix", value_name = "PREFIX")]
    pub prefixes: Vec<String>,
    /// A principal that reads Airflow's secrets: a role or user ARN, or a glob (repeatable).
    /// Replaces `[watch] readers`.
    #[arg(long = "principal", value_name = "ARN")]
    pub principals: Vec<String>,
    /// A principal that writes them: the deployment or rotation role (repeatable). Replaces
    /// `[watch] writers`.
    #[arg(long = "writer", value_name = "ARN")]
    pub writers: Vec<String>,
    /// Take the prefixes from this deployment's secrets backend (airflow.cfg, env, compose
    /// files, chart values: what `airseal doctor` reads).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The airseal.toml with the `[watch]` table (default: found from the current directory
    /// upwards).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WatchExportSigmaArgs {
    /// The directory to write the rules into (created if missing; files of the same name are
    /// replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub scope: WatchScopeArgs,
}

/// How `airseal watch` reports: format, destination, exit code.
#[derive(Debug, Args)]
pub struct WatchReportArgs {
    #[arg(long, short = 'f', value_enum, default_value = "human")]
    pub format: WatchFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, default_value = "low", value_name = "SEVERITY")]
    pub fail_on: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    Human,
    Json,
    Jsonl,
    Sarif,
}

#[derive(Debug, Args)]
pub struct WatchCloudtrailArgs {
    /// CloudTrail files and directories (walked for .json, .json.gz, .jsonl, .ndjson; digest
    /// files skipped).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub scope: WatchScopeArgs,
    #[command(flatten)]
    pub report: WatchReportArgs,
    /// Keep watching the directories for new files, printing findings as they come
    /// (JSON Lines or human).
    #[arg(long)]
    pub follow: bool,
    /// With --follow: seconds between looks for new files.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub follow_interval: u64,
    /// With --follow: stop after this many seconds (default: never).
    #[arg(long, value_name = "SECONDS")]
    pub follow_timeout: Option<u64>,
    /// Files larger than this (MiB, inflated) are streamed record by record instead of read
    /// whole.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_in_memory: u64,
}

#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Each connection's age, rotation class and state (ok, due, overdue, never-rotated).
    /// Exit 1 when one is at or past --fail-on.
    Status(RotateStatusArgs),
    /// Rotate connections: stage a new version, change the password in the database, test
    /// it, promote it. Re-run to resume an interrupted rotation.
    Run(RotateRunArgs),
    /// Write an Airflow DAG or a Kubernetes CronJob that runs `airseal rotate run --due`.
    Schedule(RotateScheduleArgs),
    /// Turn on Secrets Manager's own rotation (a rotation Lambda you keep) for connections.
    Enable(RotateEnableArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RotateStatusFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct RotationPolicyArgs {
    /// The airseal.toml with the `[rotation]` policy (default: found from the current
    /// directory upwards; none means every connection is in the `default` class, 180 days).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateStatusArgs {
    /// Connection ids (default: every connection in the store).
    pub ids: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub policy: RotationPolicyArgs,
    #[arg(long, short = 'f', value_enum, default_value_t = RotateStatusFormat::Human)]
    pub format: RotateStatusFormat,
    /// The least state that makes the exit code 1: overdue, due, never-rotated or none.
    #[arg(long, default_value = "overdue", value_name = "STATE")]
    pub fail_on: String,
}

#[derive(Debug, Args)]
pub struct RotateRunArgs {
    /// Connection ids to rotate.
    #[arg(required_unless_present = "due")]
    pub ids: Vec<String>,
    /// Rotate every connection whose state is due or overdue (and that airseal can rotate).
    #[arg(long, conflicts_with = "ids")]
    pub due: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub policy: RotationPolicyArgs,
    /// single-user (ALTER ROLE of the connection's own user) or alternating-users (two users,
    /// `<user>` and `<user>_clone`, flipped each rotation; needs --master).
    #[arg(long, default_value = "single-user", value_name = "STRATEGY")]
    pub strategy: String,
    /// The connection (in the same store) that may create and alter roles, for
    /// alternating-users.
    #[arg(long, value_name = "CONN_ID")]
    pub master: Option<String>,
    /// The rotation's token (Secrets Manager's ClientRequestToken): a re-run with the same
    /// token does nothing once it is current. Default: a new random one. One id only.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The JSONL audit log (default: `[rotation] audit-log`, else airseal-rotation.jsonl).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    #[arg(long, short = 'f', value_enum, default_value_t = DoctorFormat::Human)]
    pub format: DoctorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleEmit {
    AirflowDag,
    K8sCronjob,
}

#[derive(Debug, Args)]
pub struct RotateScheduleArgs {
    /// What to write.
    #[arg(long, value_enum)]
    pub emit: ScheduleEmit,
    /// The store the scheduled run rotates in (passed on to it).
    #[arg(long, value_name = "STORE")]
    pub to: Option<String>,
    #[arg(long, value_name = "JSON")]
    pub backend_kwargs: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long, default_value = "single-user", value_name = "STRATEGY")]
    pub strategy: String,
    #[arg(long, value_name = "CONN_ID")]
    pub master: Option<String>,
    /// Cron expression or preset.
    #[arg(long, default_value = "17 3 * * *")]
    pub schedule: String,
    /// DAG id or CronJob name.
    #[arg(long)]
    pub name: Option<String>,
    /// The airseal executable on the worker (DAG).
    #[arg(long, default_value = "airseal", value_name = "PATH")]
    pub airseal: String,
    /// The container image with airseal (CronJob).
    #[arg(long)]
    pub image: Option<String>,
    #[arg(long, default_value = "airseal-rotation")]
    pub service_account: String,
    #[arg(long)]
    pub namespace: Option<String>,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateEnableArgs {
    /// Connection ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The rotation Lambda's ARN.
    #[arg(long, value_name = "ARN")]
    pub lambda_arn: String,
    /// Rotate every so long (`30d`), as RotationRules.AutomaticallyAfterDays.
    #[arg(
        long,
        value_name = "DURATION",
        conflicts_with = "schedule_expression",
        required_unless_present = "schedule_expression"
    )]
    pub every: Option<String>,
    /// RotationRules.ScheduleExpression (`rate(30 days)`, `cron(0 3 ? * SUN *)`).
    #[arg(long, value_name = "EXPRESSION")]
    pub schedule_expression: Option<String>,
    /// RotationRules.Duration: the window a rotation may take (`3h`).
    #[arg(long, value_name = "WINDOW")]
    pub window: Option<String>,
    /// Rotate once now as well (default: first at the schedule).
    #[arg(long)]
    pub rotate_immediately: bool,
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    #[arg(long, short = 'f', value_enum, default_value_t = DoctorFormat::Human)]
    pub format: DoctorFormat,
}

#[derive(Debug, Subcommand)]
pub enum HelmCommand {
    /// Write the secrets of a values file to the store and the manifests and values overlay
    /// that make the chart read them from there. Exit 1 when something could not be
    /// externalized or a secret is left after the merge.
    Externalize(Box<HelmExternalizeArgs>),
    /// Helm `--post-renderer`: copy rendered manifests from stdin to stdout unchanged; exit 1
    /// with a report on stderr when they hold a plain-text secret at or above --fail-on.
    PostRender(HelmPostRenderArgs),
    /// Check values files for plain-text secrets (what `helm airseal lint -f values.yaml` runs).
    Lint(HelmLintArgs),
}

#[derive(Debug, Args)]
pub struct HelmExternalizeArgs {
    /// The values file.
    pub values: PathBuf,
    /// The chart the values are for (default: recognised by their keys).
    #[arg(long, value_enum, value_name = "CHART")]
    pub chart: Option<ChartArg>,
    /// The store that holds (or will hold) the secrets: aws-secrets-manager, aws-ssm, vault,
    /// azure-key-vault or gcp-secret-manager.
    #[arg(long, value_name = "PROVIDER")]
    pub provider: String,
    /// How Secrets reach Kubernetes: external-secrets (External Secrets Operator) or csi
    /// (Secrets Store CSI driver).
    #[arg(long, default_value = "external-secrets", value_name = "METHOD")]
    pub method: String,
    /// Name of the SecretStore / SecretProviderClass (default: <release>-<provider>).
    #[arg(long, value_name = "NAME")]
    pub store: Option<String>,
    /// Where to write the overlay, the manifests and the plan.
    #[arg(long, default_value = "airseal-helm", value_name = "DIR")]
    pub out: PathBuf,
    /// Write nothing to the store: the manifests, the overlay and the migration plan only (the
    /// store is not read).
    #[arg(long)]
    pub plan_only: bool,
    /// The Helm release name (the charts prefix their objects with it).
    #[arg(long, default_value = "airflow", value_name = "NAME")]
    pub release: String,
    /// Namespace for the generated objects (default: none, so `kubectl -n` decides).
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Airflow reads connections and Variables from the store itself: add the `[secrets]
    /// backend` configuration and the service-account identity instead of Kubernetes Secrets
    /// for them.
    #[arg(long)]
    pub direct_backend: bool,
    /// The backend's kwargs (JSON), naming the secrets as Airflow looks them up.
    #[arg(long, value_name = "JSON")]
    pub backend_kwargs: Option<String>,
    /// AWS region (default: AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile for the store writes.
    #[arg(long)]
    pub profile: Option<String>,
    /// AWS account id, for the reader policy written with --direct-backend or --method csi.
    #[arg(long)]
    pub account: Option<String>,
    /// A KMS key for new AWS secrets.
    #[arg(long, value_name = "KEY")]
    pub kms_key_id: Option<String>,
    /// Vault address for the manifests (default: VAULT_ADDR).
    #[arg(long, value_name = "URL")]
    pub vault_addr: Option<String>,
    /// The Vault Kubernetes-auth role.
    #[arg(long, value_name = "ROLE")]
    pub vault_role: Option<String>,
    /// https://<name>.vault.azure.net
    #[arg(long, value_name = "URL")]
    pub azure_vault_url: Option<String>,
    #[arg(long, value_name = "ID")]
    pub azure_tenant_id: Option<String>,
    #[arg(long, value_name = "PROJECT")]
    pub gcp_project: Option<String>,
    /// The cloud identity for the service account: IAM role ARN (IRSA), Azure client id, or
    /// Google service account email.
    #[arg(long, value_name = "IDENTITY")]
    pub identity: Option<String>,
    /// ESO refreshInterval.
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub refresh_interval: String,
    /// The official chart's values.schema.json: the merged values must validate against it.
    #[arg(long, value_name = "FILE")]
    pub values_schema: Option<PathBuf>,
    /// Replace a different value already stored under the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Store requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DoctorFormat::Human)]
    pub format: DoctorFormat,
}

#[derive(Debug, Args)]
pub struct HelmPostRenderArgs {
    /// Lowest severity that fails the install.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    pub fail_on: SeverityArg,
    /// Print the secret values in the report (never on stdout).
    #[arg(long)]
    pub show_secrets: bool,
    /// Also write the report to FILE (Helm 4 discards a post-renderer's stderr).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HelmLintArgs {
    /// Values files (`-f` as helm takes them; repeatable).
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub values: Vec<PathBuf>,
    #[arg(long, value_enum, value_name = "CHART")]
    pub chart: Option<ChartArg>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    pub fail_on: SeverityArg,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Show what apply would create, update or leave alone (names and fingerprints, never
    /// values). Exit 1 when something cannot be migrated as it stands.
    Plan(MigrateArgs),
    /// Write every missing or changed secret (idempotent; re-run after a failure to resume),
    /// then print the configuration edits that finish the switch.
    Apply(MigrateApplyArgs),
    /// Read every migrated secret back under the name Airflow looks up and compare it with
    /// its source. Exit 1 on any difference.
    Verify(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Where the secrets are now: files or directories (env, compose, airflow.cfg, Helm
    /// values, manifests; `*connections*.json|yaml|env` and `*variables*.…` are read as
    /// `airflow connections|variables export` files), or `connections:FILE` /
    /// `variables:FILE` for an export file of any name. Repeatable.
    #[arg(long = "from", value_name = "SOURCE", required = true)]
    pub from: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Store connections as URIs instead of JSON objects (Airflow >= 2.3 reads both; JSON keeps
    /// every field exactly).
    #[arg(long)]
    pub uri: bool,
    /// A KMS key id, ARN or alias for new AWS secrets and parameters.
    #[arg(long, value_name = "KEY")]
    pub kms_key_id: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Replace a different value already stored under the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DoctorFormat::Human)]
    pub format: DoctorFormat,
    /// Do not honour .gitignore, .ignore and .airsealignore files.
    #[arg(long)]
    pub no_ignore: bool,
}

/// Which store, named as Airflow's backend names it (shared by migrate and rotate).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The store: aws-secrets-manager, aws-ssm, vault or local:DIR. Default: the backend the
    /// deployment under --config reads.
    #[arg(long, value_name = "STORE")]
    pub to: Option<String>,
    /// The backend's kwargs (a JSON object, as `[secrets] backend_kwargs`): prefixes, `sep`,
    /// lookup patterns, Vault mount and paths, local file paths.
    #[arg(long, value_name = "JSON", conflicts_with = "config")]
    pub backend_kwargs: Option<String>,
    /// Read the backend and its kwargs from this deployment (airflow.cfg, env, compose, chart
    /// values: what `airseal doctor` reads).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// AWS region (default: AWS_REGION, the profile's, or the kwargs' region_name).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile (default: AWS_PROFILE, or the kwargs' profile_name).
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct MigrateApplyArgs {
    #[command(flatten)]
    pub common: MigrateArgs,
    /// Also make the line edits in env, compose and airflow.cfg files: delete the moved
    /// values and write the `<option>_secret` lines (a redacted diff is printed either way).
    #[arg(long)]
    pub write_changes: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Project files and directories (airflow.cfg, env and compose files, Helm values,
    /// manifests, DAGs).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DoctorFormat::Human)]
    pub format: DoctorFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not honour .gitignore, .ignore and .airsealignore files.
    #[arg(long)]
    pub no_ignore: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print the policy Airflow's reader role needs: the one read action on exactly the
    /// backend's prefixes, and kms:Decrypt only through the secrets service.
    Policy {
        /// The secrets backend Airflow is configured with (default: read with --from, else
        /// secrets-manager).
        #[arg(long, value_enum)]
        backend: Option<IamBackend>,
        /// Read the backend and its prefixes from this project's configuration (what
        /// `airseal doctor` reads) instead of flags.
        #[arg(long, value_name = "PATH")]
        from: Option<PathBuf>,
        /// AWS region of the secrets, e.g. eu-west-1.
        #[arg(long)]
        region: String,
        /// 12-digit AWS account id that owns the secrets.
        #[arg(long)]
        account: String,
        /// AWS partition.
        #[arg(long, default_value = "aws")]
        partition: String,
        /// A lookup prefix from backend_kwargs (repeatable; default: the configured prefixes
        /// with --from, else the backend's default connections and variables prefixes).
        #[arg(long = "prefix", value_name = "PREFIX")]
        prefixes: Vec<String>,
        /// ARN of a customer-managed KMS key that encrypts the secrets (repeatable).
        #[arg(long = "kms-key", value_name = "ARN")]
        kms_keys: Vec<String>,
    },
    /// Check IAM policy documents with the IAM### rules (the same as
    /// `airseal scan --select IAM FILE...`).
    Lint {
        /// Policy JSON files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also check that the policies let Airflow read every prefix the secrets backend
        /// configured in this project looks up (IAM008).
        #[arg(long, value_name = "PATH")]
        from: Option<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IamBackend {
    /// AWS Secrets Manager (SecretsManagerBackend).
    SecretsManager,
    /// AWS Systems Manager Parameter Store (SystemsManagerParameterStoreBackend).
    Ssm,
}

/// Options shared by everything that scans.
#[derive(Debug, Clone, Args)]
pub struct ScanOptions {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Configuration file (default: airseal.toml or [tool.airseal] in pyproject.toml, found by
    /// walking up from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only run these rules (codes or prefixes, comma-separated); replaces the configured select.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Never report these rules (codes or prefixes); added to the configured ignore.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// gitignore-style glob of paths not to scan (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not honour .gitignore, .ignore and .airsealignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Do not follow symbolic links.
    #[arg(long)]
    pub no_follow: bool,
    /// Skip files larger than this many bytes (default 10485760).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Read Helm values files as this Airflow chart's (default: recognised by their keys).
    #[arg(long, value_enum, value_name = "CHART")]
    pub chart: Option<ChartArg>,
    /// Check IAM policies against the AWS secrets backend configured in this project: every
    /// configured prefix must be readable (IAM008).
    #[arg(long, value_name = "PATH")]
    pub iam_from: Option<PathBuf>,
}

/// The two Airflow Helm charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChartArg {
    /// airflow-helm/charts (`charts/airflow`).
    UserCommunity,
    /// apache/airflow (`chart/`).
    Official,
}

impl From<ChartArg> for airseal_deployment::Chart {
    fn from(chart: ChartArg) -> Self {
        match chart {
            ChartArg::UserCommunity => airseal_deployment::Chart::UserCommunity,
            ChartArg::Official => airseal_deployment::Chart::Official,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub scan: ScanOptions,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secret values in full. Off by default: reports show `AKIA…7Q2X`.
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit 1 only for findings at or above this severity (default: low).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Report only findings whose fingerprints are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// No progress bar and no warnings on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print every warning, not only the first 20.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write the fingerprints of every finding (no values, no timestamps, sorted).
    Create {
        #[command(flatten)]
        scan: ScanOptions,
        /// Where to write the baseline.
        #[arg(
            long,
            short = 'o',
            value_name = "FILE",
            default_value = "airseal-baseline.json"
        )]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
    /// Listing format.
    #[arg(long, short = 'f', value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
    /// Configuration file whose extra-rule-files are listed too.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rule files: schema, patterns, and that every example is found and every
    /// negative example is not.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// path:line:col, a redacted code frame and a summary.
    Human,
    /// One JSON document: version, findings, summary, warnings.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow-command annotations.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One line per rule.
    Human,
    /// JSON array of rule metadata.
    Json,
    /// The full rule reference (docs/rules.md).
    Markdown,
    /// Every prefilter keyword, lowercase, one per line (the benchmark greps for these).
    #[value(hide = true)]
    Keywords,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<SeverityArg> for airseal_finding::Severity {
    fn from(value: SeverityArg) -> Self {
        use airseal_finding::Severity;
        match value {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

impl From<OutputFormat> for airseal_report::Format {
    fn from(value: OutputFormat) -> Self {
        use airseal_report::Format;
        match value {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
            OutputFormat::Jsonl => Format::Jsonl,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Github => Format::Github,
        }
    }
}
