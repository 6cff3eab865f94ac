//! Configuration: command-line flags, then environment variables, then an
//! optional TOML file, then defaults — in that order of precedence. The
//! result is one [`Config`] that the rest of the app reads.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use switchboard_providers::storage::S3Config;

use crate::secrets::Secret;
use crate::web::client_ip::TrustedProxies;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Workspace and settings control plane for voice-AI agent platforms")]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the web UI and the JSON API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage workspace members from the command line.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the server key.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new server key the current one, keep the old one in the
    /// keyring (`<server key file>.previous`) to open what it sealed and to
    /// verify its audit checkpoints, and enqueue the job that re-seals every
    /// stored secret under the new key. Restart the other processes after it.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of one workspace's audit log (or of every
    /// workspace's) and name the first entry that does not match; exits 1 then.
    Verify {
        /// Workspace ID (`ws_…`); every workspace when left out.
        #[arg(long)]
        workspace: Option<String>,
        /// Also check a checkpoint exported earlier (a JSON file from
        /// `audit checkpoint` or GET /api/v1/audit-log/checkpoint).
        #[arg(long, requires = "workspace")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a signed checkpoint (JSON) of a workspace's chain head, to keep
    /// outside Switchboard and check later with `audit verify --checkpoint`.
    Checkpoint {
        /// Workspace ID (`ws_…`).
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Add an existing user to a workspace with a role (audited as System).
    Add {
        /// Workspace ID (`ws_…`).
        #[arg(long)]
        workspace: String,
        /// Email address of an existing user.
        #[arg(long)]
        email: String,
        /// admin, member or viewer.
        #[arg(long, default_value = "member")]
        role: String,
    },
}

/// Flags shared by every subcommand. Every field is optional here so that
/// the TOML file can fill what neither a flag nor the environment set.
#[derive(Debug, Args, Default)]
pub struct CommonArgs {
    /// Optional TOML configuration file.
    #[arg(long, env = "SWITCHBOARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "SWITCHBOARD_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Folder for the SQLite database, uploaded files, the outbox and the server key.
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite:PATH` or `postgres://…`; defaults to a SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The URL people use to reach this server, for links and emails.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// Maximum database connections in the pool.
    #[arg(long, env = "SWITCHBOARD_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// Delays between a failed job's attempts, e.g. `10s,1m,5m,30m,2h,6h,12h` (±20 % jitter each).
    #[arg(long, env = "SWITCHBOARD_JOB_RETRY_SCHEDULE", global = true)]
    pub job_retry_schedule: Option<String>,
    /// How long a worker holds a claimed job before another may take it over, e.g. `60s`.
    #[arg(long, env = "SWITCHBOARD_JOB_LEASE", global = true)]
    pub job_lease: Option<String>,
    /// SMTP server for outgoing email, e.g. `smtp://user:pass@mail.example.com:587`
    /// (`smtps://` for TLS, `?security=none` for a local test server); without it,
    /// each email is written to `<data-dir>/outbox/` as an `.eml` file.
    #[arg(long, env = "SWITCHBOARD_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The `From` of outgoing email.
    #[arg(long, env = "SWITCHBOARD_EMAIL_FROM", global = true)]
    pub email_from: Option<String>,
    /// Requests each API token may make, e.g. `600/m` (bursts up to the whole
    /// amount); `off` disables the limit.
    #[arg(long, env = "SWITCHBOARD_API_RATE_LIMIT", global = true)]
    pub api_rate_limit: Option<String>,
    /// Requests each IP address may make without a session or token, e.g. `300/m`; `off` disables it.
    #[arg(long, env = "SWITCHBOARD_IP_RATE_LIMIT", global = true)]
    pub ip_rate_limit: Option<String>,
    /// File holding the server key (32 random bytes, base64) that signs audit
    /// checkpoints; created with mode 0600 when missing. Every process
    /// sharing a database must use the same key. Default `<data-dir>/server.key`.
    #[arg(long, env = "SWITCHBOARD_SERVER_KEY_FILE", global = true)]
    pub server_key_file: Option<PathBuf>,
    /// How long audit entries are kept, e.g. `400d`; `forever` (the default)
    /// keeps them all. Older entries are removed as whole chain prefixes.
    #[arg(long, env = "SWITCHBOARD_AUDIT_RETENTION", global = true)]
    pub audit_retention: Option<String>,
    /// Delays between a failed webhook delivery's attempts (±20 % jitter), e.g.
    /// `5s,5m,30m,2h,5h,10h,14h,20h,24h` (the default: about 3 days in all).
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", global = true)]
    pub webhook_retry_schedule: Option<String>,
    /// Let webhooks call loopback, private and link-local addresses (`true` for
    /// tests and local development only).
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS", global = true)]
    pub webhook_allow_private_targets: Option<bool>,
    /// A webhook attempt's whole time limit, e.g. `15s`.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_TIMEOUT", global = true)]
    pub webhook_timeout: Option<String>,
    /// A webhook attempt's limit for connecting, e.g. `5s`.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_CONNECT_TIMEOUT", global = true)]
    pub webhook_connect_timeout: Option<String>,
    /// Attempts in flight to one endpoint at once (all processes together).
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_ENDPOINT_CONCURRENCY", global = true)]
    pub webhook_endpoint_concurrency: Option<u32>,
    /// An endpoint whose attempts have all failed for this long is disabled
    /// and its workspace's Admins are emailed, e.g. `5d`.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_DISABLE_AFTER", global = true)]
    pub webhook_disable_after: Option<String>,
    /// How long a worker holds a claimed delivery before another process may
    /// retry it (after a crash); at least the timeout plus the connect
    /// timeout. Default: both plus 30s.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_LEASE", global = true)]
    pub webhook_lease: Option<String>,
    /// Run the webhook delivery worker in this process (default true); `false`
    /// for processes that should only serve requests.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_WORKER", global = true)]
    pub webhook_worker: Option<bool>,
    #[command(flatten)]
    pub inbound: InboundArgs,
    /// Reverse proxies (IPs and CIDRs, comma-separated, e.g. `10.0.0.0/8`)
    /// whose `X-Forwarded-For` names the client; none by default.
    #[arg(long, env = "SWITCHBOARD_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub load: crate::load::LoadArgs,
}

/// Secrets that check vendor callbacks (see [`crate::inbound`]). Give them
/// by environment or in the TOML file's `[inbound]` table rather than as
/// flags, which other users of the machine can read from the process list.
#[derive(Debug, Args, Default)]
pub struct InboundArgs {
    /// Stripe's signing secret for this server's webhook endpoint (`whsec_…`).
    #[arg(long, env = "SWITCHBOARD_STRIPE_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    pub stripe_webhook_secret: Option<String>,
    /// The Twilio auth token that signs callbacks to this server's own account.
    #[arg(long, env = "SWITCHBOARD_TWILIO_AUTH_TOKEN", hide_env_values = true, global = true)]
    pub twilio_auth_token: Option<String>,
    /// Telnyx's public key (base64) for checking its Ed25519 callback signatures.
    #[arg(long, env = "SWITCHBOARD_TELNYX_PUBLIC_KEY", global = true)]
    pub telnyx_public_key: Option<String>,
}

/// Where uploaded files live: flags and environment, and the same keys in
/// the TOML file's `[storage]` table (`backend = "s3"`, `s3_bucket = …`).
#[derive(Debug, Args, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StorageArgs {
    /// `local` (the default: `<data-dir>/files/`) or `s3` (a bucket shared by
    /// every process; set the `--s3-*` settings).
    #[arg(long = "storage", env = "SWITCHBOARD_STORAGE", global = true)]
    pub backend: Option<StorageBackend>,
    /// The S3 bucket.
    #[arg(long, env = "SWITCHBOARD_S3_BUCKET", global = true)]
    pub s3_bucket: Option<String>,
    /// The bucket's region (default `us-east-1`).
    #[arg(long, env = "SWITCHBOARD_S3_REGION", global = true)]
    pub s3_region: Option<String>,
    /// URL of an S3-compatible server (MinIO, Ceph…); leave out for AWS.
    #[arg(long, env = "SWITCHBOARD_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,
    /// Access key ID; without it, the usual AWS sources (`AWS_*`
    /// variables, instance roles) are used.
    #[arg(long, env = "SWITCHBOARD_S3_ACCESS_KEY_ID", global = true)]
    pub s3_access_key_id: Option<String>,
    /// Secret access key (prefer the environment variable to the flag,
    /// which other users of the host can see).
    #[arg(long, env = "SWITCHBOARD_S3_SECRET_ACCESS_KEY", global = true, hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`), which most local
    /// S3-compatible servers need; `false` (the default) uses
    /// `bucket.endpoint/key`.
    #[arg(long, env = "SWITCHBOARD_S3_PATH_STYLE", global = true)]
    pub s3_path_style: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    #[default]
    Local,
    S3,
}

/// The file store the app uses (see `switchboard_providers::storage`).
/// `Debug` never prints the S3 secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A folder; `<data-dir>/files` by default.
    Local {
        root: PathBuf,
    },
    S3(S3Config),
}

impl StorageConfig {
    fn resolve(args: &StorageArgs, file: Option<&StorageArgs>, data_dir: &Path) -> anyhow::Result<StorageConfig> {
        let file = file.cloned().unwrap_or_default();
        let pick =
            |arg: &Option<String>, file: &Option<String>| arg.clone().or(file.clone()).filter(|v| !v.trim().is_empty());
        let s3_settings = [
            ("--s3-bucket", pick(&args.s3_bucket, &file.s3_bucket)),
            ("--s3-endpoint", pick(&args.s3_endpoint, &file.s3_endpoint)),
            ("--s3-access-key-id", pick(&args.s3_access_key_id, &file.s3_access_key_id)),
        ];
        match args.backend.or(file.backend).unwrap_or_default() {
            StorageBackend::Local => {
                // An S3 setting without `--storage s3` is almost surely a
                // forgotten flag: files would silently stay on local disk.
                if let Some((flag, _)) = s3_settings.iter().find(|(_, value)| value.is_some()) {
                    anyhow::bail!("{flag} is set but storage is local: add --storage s3 (SWITCHBOARD_STORAGE=s3)");
                }
                Ok(StorageConfig::Local { root: data_dir.join("files") })
            }
            StorageBackend::S3 => {
                let bucket = pick(&args.s3_bucket, &file.s3_bucket)
                    .ok_or_else(|| anyhow::anyhow!("--storage s3 needs --s3-bucket (SWITCHBOARD_S3_BUCKET)"))?;
                let endpoint = pick(&args.s3_endpoint, &file.s3_endpoint);
                if let Some(endpoint) = &endpoint {
                    let parsed = url::Url::parse(endpoint)
                        .with_context(|| format!("--s3-endpoint {endpoint:?} is not a URL"))?;
                    anyhow::ensure!(
                        matches!(parsed.scheme(), "http" | "https"),
                        "--s3-endpoint must start with http:// or https://"
                    );
                }
                let access_key_id = pick(&args.s3_access_key_id, &file.s3_access_key_id);
                let secret_access_key = pick(&args.s3_secret_access_key, &file.s3_secret_access_key);
                anyhow::ensure!(
                    access_key_id.is_some() == secret_access_key.is_some(),
                    "set both --s3-access-key-id and --s3-secret-access-key, or neither (to use the AWS defaults)"
                );
                Ok(StorageConfig::S3(S3Config {
                    bucket,
                    region: pick(&args.s3_region, &file.s3_region).unwrap_or_else(|| "us-east-1".to_string()),
                    endpoint,
                    access_key_id,
                    secret_access_key,
                    path_style: args.s3_path_style.or(file.s3_path_style).unwrap_or(false),
                }))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The TOML file's shape: the same keys as the flags, in snake_case.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    log_format: Option<LogFormat>,
    db_max_connections: Option<u32>,
    job_retry_schedule: Option<String>,
    job_lease: Option<String>,
    smtp_url: Option<String>,
    email_from: Option<String>,
    api_rate_limit: Option<String>,
    ip_rate_limit: Option<String>,
    server_key_file: Option<PathBuf>,
    audit_retention: Option<String>,
    webhook_retry_schedule: Option<String>,
    webhook_allow_private_targets: Option<bool>,
    webhook_timeout: Option<String>,
    webhook_connect_timeout: Option<String>,
    webhook_endpoint_concurrency: Option<u32>,
    webhook_disable_after: Option<String>,
    webhook_lease: Option<String>,
    webhook_worker: Option<bool>,
    inbound: Option<InboundFile>,
    trusted_proxies: Option<String>,
    storage: Option<StorageArgs>,
    load: Option<crate::load::LoadArgs>,
}

/// The TOML file's `[inbound]` table.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct InboundFile {
    stripe_webhook_secret: Option<String>,
    twilio_auth_token: Option<String>,
    telnyx_public_key: Option<String>,
}

/// `Debug` prints the database and SMTP URLs without their passwords.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Set explicitly, or derived from the bound address at start-up.
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    pub db_max_connections: u32,
    /// Delay before retry n (1-based) is `job_retry_schedule[n - 1]`, ±20 %;
    /// a job fails for good once the schedule is exhausted.
    pub job_retry_schedule: Vec<Duration>,
    /// A claimed job's lease; past it, another worker may claim the job.
    pub job_lease: Duration,
    /// Outgoing email goes over SMTP when set, else to `<data_dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// The `From` mailbox of outgoing email.
    pub email_from: String,
    /// Per API token; `None` when switched off.
    pub api_rate_limit: Option<RateLimit>,
    /// Per IP address, for requests with neither session nor token.
    pub ip_rate_limit: Option<RateLimit>,
    /// Where the server key lives (see [`crate::server_key`]).
    pub server_key_file: PathBuf,
    /// Audit entries older than this are removed; `None` keeps them forever.
    pub audit_retention: Option<Duration>,
    pub webhooks: WebhookConfig,
    pub inbound: InboundConfig,
    /// Peers whose `X-Forwarded-For` names the client (see [`TrustedProxies`]).
    pub trusted_proxies: TrustedProxies,
    pub storage: StorageConfig,
    /// Bounds on heavy work and the per-user request rate.
    pub load: crate::load::LoadConfig,
}

/// The platform's own secrets for checking vendor callbacks; an inbound
/// route whose secret is missing refuses every request (401, logged).
/// `Debug` prints `<redacted>` for the secrets.
#[derive(Debug, Clone, Default)]
pub struct InboundConfig {
    pub stripe_webhook_secret: Option<Secret>,
    pub twilio_auth_token: Option<Secret>,
    /// Base64 of a 32-byte Ed25519 public key; checked at start-up.
    pub telnyx_public_key: Option<String>,
}

impl InboundConfig {
    fn resolve(args: &InboundArgs, file: Option<InboundFile>) -> anyhow::Result<InboundConfig> {
        let file = file.unwrap_or_default();
        let pick = |arg: &Option<String>, file: Option<String>| {
            arg.clone().or(file).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        let telnyx_public_key = pick(&args.telnyx_public_key, file.telnyx_public_key);
        if let Some(key) = &telnyx_public_key {
            crate::inbound::telnyx::parse_public_key(key)
                .map_err(|_| anyhow::anyhow!("--telnyx-public-key is not a base64 Ed25519 public key (32 bytes)"))?;
        }
        Ok(InboundConfig {
            stripe_webhook_secret: pick(&args.stripe_webhook_secret, file.stripe_webhook_secret).map(Secret::new),
            twilio_auth_token: pick(&args.twilio_auth_token, file.twilio_auth_token).map(Secret::new),
            telnyx_public_key,
        })
    }
}

/// How webhooks are delivered (the webhooks feature reads it).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub retry_schedule: Vec<Duration>,
    pub allow_private_targets: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub endpoint_concurrency: u32,
    /// How long a claimed attempt is held before another worker may retry it.
    pub lease: Duration,
    pub disable_after: Duration,
    /// Whether `serve` runs the delivery worker.
    pub worker: bool,
}

/// About three days in all, as Standard Webhooks suggests.
pub const DEFAULT_WEBHOOK_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,14h,20h,24h";

/// `requests` per `period`, with bursts of up to `requests` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub period: Duration,
}

impl RateLimit {
    /// `600/m`, `10/s`, `5000/h`; `off` (or `0/m`) is `None`.
    pub fn parse(raw: &str) -> anyhow::Result<Option<RateLimit>> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (count, unit) = raw
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("{raw:?} is not a rate: write requests per unit, e.g. 600/m, or off"))?;
        let requests: u32 =
            count.trim().parse().map_err(|_| anyhow::anyhow!("{raw:?} is not a rate: {count:?} is not a number"))?;
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            other => anyhow::bail!("{raw:?} is not a rate: the unit {other:?} must be s, m or h"),
        };
        Ok((requests > 0).then_some(RateLimit { requests, period }))
    }
}

pub const DEFAULT_API_RATE_LIMIT: RateLimit = RateLimit { requests: 600, period: Duration::from_secs(60) };
pub const DEFAULT_IP_RATE_LIMIT: RateLimit = RateLimit { requests: 300, period: Duration::from_secs(60) };

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &crate::server::redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("db_max_connections", &self.db_max_connections)
            .field("job_retry_schedule", &self.job_retry_schedule)
            .field("job_lease", &self.job_lease)
            .field("smtp_url", &self.smtp_url.as_deref().map(crate::server::redact_url))
            .field("email_from", &self.email_from)
            .field("api_rate_limit", &self.api_rate_limit)
            .field("ip_rate_limit", &self.ip_rate_limit)
            .field("server_key_file", &self.server_key_file)
            .field("audit_retention", &self.audit_retention)
            .field("webhooks", &self.webhooks)
            .field("inbound", &self.inbound)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("storage", &self.storage)
            .field("load", &self.load)
            .finish()
    }
}

impl Config {
    pub fn resolve(args: &CommonArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let webhooks = WebhookConfig::resolve(args, &file)?;
        let inbound = InboundConfig::resolve(&args.inbound, file.inbound)?;
        let listen = args.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("./data"));
        let database_url =
            args.database_url.clone().or(file.database_url).unwrap_or_else(|| default_sqlite_url(&data_dir));
        let public_url = args.public_url.clone().or(file.public_url).map(|u| u.trim_end_matches('/').to_string());
        if let Some(url) = &public_url {
            let parsed = url::Url::parse(url).with_context(|| format!("public URL {url:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "public URL must start with http:// or https://"
            );
        }
        let job_retry_schedule = args.job_retry_schedule.clone().or(file.job_retry_schedule);
        let job_retry_schedule = match job_retry_schedule {
            Some(raw) => parse_duration_list(&raw)
                .with_context(|| format!("job retry schedule (--job-retry-schedule) {raw:?}"))?,
            None => DEFAULT_JOB_RETRY_SCHEDULE.to_vec(),
        };
        let job_lease = match args.job_lease.clone().or(file.job_lease) {
            Some(raw) => parse_duration(&raw).with_context(|| format!("job lease (--job-lease) {raw:?}"))?,
            None => DEFAULT_JOB_LEASE,
        };
        let rate = |raw: Option<String>, default: RateLimit, flag: &str| match raw {
            Some(raw) => RateLimit::parse(&raw).with_context(|| format!("rate limit ({flag}) {raw:?}")),
            None => Ok(Some(default)),
        };
        let api_rate_limit =
            rate(args.api_rate_limit.clone().or(file.api_rate_limit), DEFAULT_API_RATE_LIMIT, "--api-rate-limit")?;
        let ip_rate_limit =
            rate(args.ip_rate_limit.clone().or(file.ip_rate_limit), DEFAULT_IP_RATE_LIMIT, "--ip-rate-limit")?;
        let server_key_file =
            args.server_key_file.clone().or(file.server_key_file).unwrap_or_else(|| data_dir.join("server.key"));
        let audit_retention = match args.audit_retention.clone().or(file.audit_retention) {
            None => None,
            Some(raw) if raw.trim() == "forever" => None,
            Some(raw) => Some(parse_duration(&raw).with_context(|| {
                format!("audit retention (--audit-retention) {raw:?}: write a duration such as 400d, or forever")
            })?),
        };
        let storage = StorageConfig::resolve(&args.storage, file.storage.as_ref(), &data_dir)?;
        let trusted_proxies = match args.trusted_proxies.clone().or(file.trusted_proxies) {
            Some(raw) => {
                TrustedProxies::parse(&raw).with_context(|| format!("trusted proxies (--trusted-proxies) {raw:?}"))?
            }
            None => TrustedProxies::default(),
        };
        let load = crate::load::LoadConfig::resolve(&args.load, file.load.as_ref())?;
        Ok(Config {
            load,
            storage,
            trusted_proxies,
            webhooks,
            inbound,
            server_key_file,
            audit_retention,
            api_rate_limit,
            ip_rate_limit,
            listen,
            data_dir,
            database_url,
            public_url,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            db_max_connections: args.db_max_connections.or(file.db_max_connections).unwrap_or(10),
            job_retry_schedule,
            job_lease,
            smtp_url: args.smtp_url.clone().or(file.smtp_url).filter(|url| !url.trim().is_empty()),
            email_from: args
                .email_from
                .clone()
                .or(file.email_from)
                .unwrap_or_else(|| switchboard_providers::email::DEFAULT_FROM.to_string()),
        })
    }

    /// Whether cookies must carry the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite:{}", data_dir.join("switchboard.db").display())
}

/// `10s,1m,5m,30m,2h,6h,12h`.
pub const DEFAULT_JOB_RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
];
pub const DEFAULT_JOB_LEASE: Duration = Duration::from_secs(60);

impl WebhookConfig {
    fn resolve(args: &CommonArgs, file: &FileConfig) -> anyhow::Result<WebhookConfig> {
        let duration = |arg: &Option<String>, file: &Option<String>, default: &str, flag: &str| {
            let raw = arg.clone().or(file.clone()).unwrap_or_else(|| default.to_string());
            parse_duration(&raw).with_context(|| format!("{flag} {raw:?}"))
        };
        let raw_schedule = args
            .webhook_retry_schedule
            .clone()
            .or(file.webhook_retry_schedule.clone())
            .unwrap_or_else(|| DEFAULT_WEBHOOK_RETRY_SCHEDULE.to_string());
        let retry_schedule = parse_duration_list(&raw_schedule)
            .with_context(|| format!("webhook retry schedule (--webhook-retry-schedule) {raw_schedule:?}"))?;
        let timeout = duration(&args.webhook_timeout, &file.webhook_timeout, "15s", "--webhook-timeout")?;
        let connect_timeout =
            duration(&args.webhook_connect_timeout, &file.webhook_connect_timeout, "5s", "--webhook-connect-timeout")?;
        let disable_after =
            duration(&args.webhook_disable_after, &file.webhook_disable_after, "5d", "--webhook-disable-after")?;
        let endpoint_concurrency = args.webhook_endpoint_concurrency.or(file.webhook_endpoint_concurrency).unwrap_or(4);
        anyhow::ensure!(endpoint_concurrency >= 1, "--webhook-endpoint-concurrency must be at least 1");
        let lease = match args.webhook_lease.clone().or(file.webhook_lease.clone()) {
            Some(raw) => parse_duration(&raw).with_context(|| format!("--webhook-lease {raw:?}"))?,
            None => timeout + connect_timeout + Duration::from_secs(30),
        };
        anyhow::ensure!(
            lease >= timeout + connect_timeout,
            "--webhook-lease must be at least --webhook-timeout plus --webhook-connect-timeout, \
             or a live attempt could be retried while it runs"
        );
        Ok(WebhookConfig {
            worker: args.webhook_worker.or(file.webhook_worker).unwrap_or(true),
            lease,
            retry_schedule,
            allow_private_targets: args
                .webhook_allow_private_targets
                .or(file.webhook_allow_private_targets)
                .unwrap_or(false),
            timeout,
            connect_timeout,
            endpoint_concurrency,
            disable_after,
        })
    }
}

/// A positive whole number with a unit: `10s`, `5m`, `2h`, `1d`.
pub fn parse_duration(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("{raw:?} is not a duration: write a whole number and a unit s, m, h or d (e.g. 10s, 5m)"),
    };
    let number: u64 = number.parse().map_err(|_| anyhow::anyhow!("{raw:?} is not a duration: it needs a number"))?;
    anyhow::ensure!(number > 0, "{raw:?} is not a duration: it must be more than zero");
    let seconds = number.checked_mul(seconds_per_unit).ok_or_else(|| anyhow::anyhow!("{raw:?} is too long"))?;
    Ok(Duration::from_secs(seconds))
}

/// Comma-separated durations (`10s,1m,5m`); an empty text is an empty list.
pub fn parse_duration_list(raw: &str) -> anyhow::Result<Vec<Duration>> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    raw.split(',').map(parse_duration).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords() {
        let args = CommonArgs {
            database_url: Some("postgres://sb:db-secret@localhost/sb".into()),
            smtp_url: Some("smtp://mailer:smtp-secret@mail.example.com:587".into()),
            ..Default::default()
        };
        let printed = format!("{:?}", Config::resolve(&args).expect("resolves"));
        assert!(!printed.contains("db-secret") && !printed.contains("smtp-secret"), "{printed}");
        assert!(printed.contains("mail.example.com"));
    }

    #[test]
    fn defaults_put_everything_under_data() {
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.database_url, "sqlite:./data/switchboard.db");
        assert!(!config.secure_cookies());
    }

    #[test]
    fn flags_win_over_the_toml_file() {
        let dir = std::env::temp_dir().join(format!("sb-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("switchboard.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/sb\"\npublic_url = \"https://sb.example.com/\"\n",
        )
        .expect("write");
        let args = CommonArgs {
            config: Some(file),
            listen: Some("127.0.0.1:9001".parse().expect("addr")),
            ..Default::default()
        };
        let config = Config::resolve(&args).expect("resolves");
        assert_eq!(config.listen.port(), 9001);
        assert_eq!(config.data_dir, PathBuf::from("/srv/sb"));
        assert_eq!(config.database_url, "sqlite:/srv/sb/switchboard.db");
        assert_eq!(config.public_url.as_deref(), Some("https://sb.example.com"));
        assert!(config.secure_cookies());
    }

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse_duration("10s").expect("10s"), Duration::from_secs(10));
        assert_eq!(parse_duration(" 5m ").expect("5m"), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").expect("2h"), Duration::from_secs(7200));
        assert_eq!(parse_duration("1d").expect("1d"), Duration::from_secs(86_400));
        for bad in ["", "10", "s", "0s", "-5s", "1.5h", "10 s", "5x", "1w", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn the_retry_schedule_is_a_list_of_durations() {
        let default = parse_duration_list("10s,1m,5m,30m,2h,6h,12h").expect("parses");
        assert_eq!(default, DEFAULT_JOB_RETRY_SCHEDULE.to_vec());
        assert_eq!(parse_duration_list("").expect("empty"), Vec::<Duration>::new());
        assert!(parse_duration_list("10s,,1m").is_err());
        assert!(parse_duration_list("10s,soon").is_err());
    }

    #[test]
    fn job_settings_default_and_bad_values_stop_start_up() {
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert_eq!(config.job_retry_schedule, DEFAULT_JOB_RETRY_SCHEDULE.to_vec());
        assert_eq!(config.job_lease, Duration::from_secs(60));
        let args =
            CommonArgs { job_retry_schedule: Some("1s,2m".into()), job_lease: Some("5m".into()), ..Default::default() };
        let config = Config::resolve(&args).expect("resolves");
        assert_eq!(config.job_retry_schedule, vec![Duration::from_secs(1), Duration::from_secs(120)]);
        assert_eq!(config.job_lease, Duration::from_secs(300));
        let args = CommonArgs { job_retry_schedule: Some("10s,fast".into()), ..Default::default() };
        let err = Config::resolve(&args).expect_err("refused");
        assert!(format!("{err:#}").contains("--job-retry-schedule"), "{err:#}");
        let args = CommonArgs { job_lease: Some("0s".into()), ..Default::default() };
        assert!(Config::resolve(&args).is_err());
    }

    #[test]
    fn email_settings_default_to_the_outbox_and_come_from_flags_or_toml() {
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert_eq!(config.smtp_url, None);
        assert_eq!(config.email_from, "Switchboard <no-reply@switchboard.localhost>");
        let dir = std::env::temp_dir().join(format!("sb-config-email-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("switchboard.toml");
        std::fs::write(&file, "smtp_url = \"smtps://mail.example.com\"\nemail_from = \"ops@example.com\"\n")
            .expect("write");
        let args = CommonArgs { config: Some(file.clone()), ..Default::default() };
        let config = Config::resolve(&args).expect("resolves");
        assert_eq!(config.smtp_url.as_deref(), Some("smtps://mail.example.com"));
        assert_eq!(config.email_from, "ops@example.com");
        let args = CommonArgs { config: Some(file), email_from: Some("a@example.com".into()), ..Default::default() };
        assert_eq!(Config::resolve(&args).expect("resolves").email_from, "a@example.com");
    }

    #[test]
    fn rate_limits_parse_with_a_unit_or_switch_off() {
        let parsed = RateLimit::parse("10/s").expect("parses");
        assert_eq!(parsed, Some(RateLimit { requests: 10, period: Duration::from_secs(1) }));
        assert_eq!(RateLimit::parse("off").expect("off"), None);
        assert_eq!(RateLimit::parse("0/m").expect("zero"), None);
        for bad in ["600", "600/d", "many/m", "-1/m", ""] {
            assert!(RateLimit::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert_eq!(config.api_rate_limit, Some(DEFAULT_API_RATE_LIMIT));
        let args = CommonArgs { ip_rate_limit: Some("off".into()), ..Default::default() };
        assert_eq!(Config::resolve(&args).expect("resolves").ip_rate_limit, None);
    }

    #[test]
    fn inbound_secrets_come_from_flags_or_the_toml_table_and_debug_hides_them() {
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert!(config.inbound.stripe_webhook_secret.is_none() && config.inbound.telnyx_public_key.is_none());
        let dir = std::env::temp_dir().join(format!("sb-config-inbound-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("switchboard.toml");
        std::fs::write(
            &file,
            "[inbound]\nstripe_webhook_secret = \"whsec_from_file\"\ntwilio_auth_token = \"tw-from-file\"\n\
             telnyx_public_key = \"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\"\n",
        )
        .expect("write");
        let mut args = CommonArgs { config: Some(file.clone()), ..Default::default() };
        args.inbound.stripe_webhook_secret = Some("whsec_from_flag".into());
        let config = Config::resolve(&args).expect("resolves");
        let inbound = &config.inbound;
        assert_eq!(inbound.stripe_webhook_secret.as_ref().map(|s| s.expose().as_str()), Some("whsec_from_flag"));
        assert_eq!(inbound.twilio_auth_token.as_ref().map(|s| s.expose().as_str()), Some("tw-from-file"));
        let printed = format!("{config:?}");
        assert!(!printed.contains("whsec_from_flag") && !printed.contains("tw-from-file"), "{printed}");

        std::fs::write(&file, "[inbound]\ntelnyx_public_key = \"bm90IGEga2V5\"\n").expect("write");
        let args = CommonArgs { config: Some(file.clone()), ..Default::default() };
        let err = Config::resolve(&args).expect_err("a key that is not 32 bytes is refused");
        assert!(format!("{err:#}").contains("--telnyx-public-key"), "{err:#}");
        std::fs::write(&file, "[inbound]\nstripe_secret = \"x\"\n").expect("write");
        let args = CommonArgs { config: Some(file), ..Default::default() };
        assert!(Config::resolve(&args).is_err(), "unknown keys in [inbound] are refused");
    }

    #[test]
    fn trusted_proxies_come_from_flags_or_toml_and_bad_ones_stop_start_up() {
        assert_eq!(
            Config::resolve(&CommonArgs::default()).expect("defaults").trusted_proxies,
            TrustedProxies::default()
        );
        let args = CommonArgs { trusted_proxies: Some("10.0.0.0/8, 192.0.2.7".into()), ..Default::default() };
        let config = Config::resolve(&args).expect("resolves");
        assert!(config.trusted_proxies.contains("192.0.2.7".parse().expect("ip")));
        let args = CommonArgs { trusted_proxies: Some("lb.internal".into()), ..Default::default() };
        let err = Config::resolve(&args).expect_err("refused");
        assert!(format!("{err:#}").contains("--trusted-proxies"), "{err:#}");
    }

    #[test]
    fn unknown_toml_keys_and_bad_public_urls_are_refused() {
        let dir = std::env::temp_dir().join(format!("sb-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("bad.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").expect("write");
        let args = CommonArgs { config: Some(file), ..Default::default() };
        assert!(Config::resolve(&args).is_err());
        let args = CommonArgs { public_url: Some("ftp://x".into()), ..Default::default() };
        assert!(Config::resolve(&args).is_err());
    }

    #[test]
    fn storage_is_local_by_default_and_s3_needs_a_bucket() {
        let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
        assert_eq!(config.storage, StorageConfig::Local { root: PathBuf::from("./data/files") });

        let s3 = |storage: StorageArgs| Config::resolve(&CommonArgs { storage, ..Default::default() });
        let err = s3(StorageArgs { backend: Some(StorageBackend::S3), ..Default::default() }).expect_err("no bucket");
        assert!(format!("{err:#}").contains("--s3-bucket"), "{err:#}");
        let err = s3(StorageArgs { s3_bucket: Some("b".into()), ..Default::default() }).expect_err("not s3");
        assert!(format!("{err:#}").contains("--storage s3"), "{err:#}");
        let half = StorageArgs {
            backend: Some(StorageBackend::S3),
            s3_bucket: Some("b".into()),
            s3_access_key_id: Some("AKIA".into()),
            ..Default::default()
        };
        assert!(s3(half).is_err(), "a key ID without its secret");

        let config = s3(StorageArgs {
            backend: Some(StorageBackend::S3),
            s3_bucket: Some("sb-files".into()),
            s3_endpoint: Some("http://127.0.0.1:9000".into()),
            s3_access_key_id: Some("AKIA".into()),
            s3_secret_access_key: Some("s3-very-secret".into()),
            s3_path_style: Some(true),
            ..Default::default()
        })
        .expect("resolves");
        let StorageConfig::S3(s3_config) = &config.storage else { panic!("{:?}", config.storage) };
        assert_eq!(s3_config.bucket, "sb-files");
        assert_eq!(s3_config.region, "us-east-1");
        assert!(s3_config.path_style);
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3-very-secret") && printed.contains("sb-files"), "{printed}");
    }

    #[test]
    fn storage_settings_come_from_a_toml_table_too() {
        let dir = std::env::temp_dir().join(format!("sb-config-storage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("switchboard.toml");
        std::fs::write(&file, "[storage]\nbackend = \"s3\"\ns3_bucket = \"from-toml\"\ns3_region = \"eu-west-1\"\n")
            .expect("write");
        let args = CommonArgs { config: Some(file.clone()), ..Default::default() };
        let StorageConfig::S3(s3) = Config::resolve(&args).expect("resolves").storage else { panic!("not s3") };
        assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("from-toml", "eu-west-1"));
        let args = CommonArgs {
            config: Some(file),
            storage: StorageArgs { s3_bucket: Some("from-flag".into()), ..Default::default() },
            ..Default::default()
        };
        let StorageConfig::S3(s3) = Config::resolve(&args).expect("resolves").storage else { panic!("not s3") };
        assert_eq!(s3.bucket, "from-flag");
    }
}
