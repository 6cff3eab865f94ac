//! Configuration: command-line flags, then environment variables, then an
//! optional TOML file, then defaults — in that order of precedence.
//!
//! Each setting is written once. A group of settings is one struct (for
//! example [`crate::webhooks::settings::WebhookArgs`]) that is at the same
//! time the clap flags with their environment variables and the TOML table
//! of the same name; it lives with the code that reads it and resolves
//! itself into the typed settings that code uses. [`CommonArgs`] gathers the
//! groups — this module is where features' settings are listed, as
//! `registry.rs` lists their routes. The file is read into the same
//! [`CommonArgs`], and flags and environment are laid over it key by key
//! ([`CommonArgs::over`]), so adding a setting never means writing it three
//! times.
mod cli;
mod email;
mod storage;
pub mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

pub use crate::audit::settings::{AuditArgs, AuditSettings};
pub use crate::inbound::settings::{InboundArgs, InboundConfig};
pub use crate::jobs::settings::{JobArgs, JobSettings};
pub use crate::load::{LoadArgs, LoadConfig};
pub use crate::ops::{MetricsArgs, MetricsConfig};
pub use crate::phone_numbers::settings::{CarrierArgs, CarrierConfig, PlatformCarrier};
pub use crate::ratelimit::settings::{RateLimit, RateLimitArgs, RateLimits};
pub use crate::subscription::settings::{BillingArgs, BillingConfig};
pub use crate::webhooks::settings::{WebhookArgs, WebhookConfig};
pub use cli::{
    AuditCommand, Cli, Command, CreditsCommand, KeyCommand, MembersCommand, SubscriptionCommand, UsageCommand,
};
pub use email::{EmailArgs, EmailSettings};
pub use storage::{StorageArgs, StorageBackend, StorageConfig};
pub use values::{parse_duration, parse_duration_list};

use crate::web::client_ip::TrustedProxies;

/// Flags shared by every subcommand, and the TOML file's shape: the
/// server's own settings at the top level, each feature's in its table.
/// Every field is optional so that the file can fill what neither a flag
/// nor the environment set.
#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonArgs {
    /// Optional TOML configuration file.
    #[arg(long, env = "SWITCHBOARD_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "SWITCHBOARD_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Folder for the SQLite database, uploaded files, the outbox and the server key.
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite:PATH` or `postgres://…`; defaults to a SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Maximum database connections in the pool.
    #[arg(long, env = "SWITCHBOARD_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// The URL people use to reach this server, for links and emails.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// File holding the server key (32 random bytes, base64) that signs audit
    /// checkpoints; created with mode 0600 when missing. Every process
    /// sharing a database must use the same key. Default `<data-dir>/server.key`.
    #[arg(long, env = "SWITCHBOARD_SERVER_KEY_FILE", global = true)]
    pub server_key_file: Option<PathBuf>,
    /// Reverse proxies (IPs and CIDRs, comma-separated, e.g. `10.0.0.0/8`)
    /// whose `X-Forwarded-For` names the client; none by default.
    #[arg(long, env = "SWITCHBOARD_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    #[command(flatten)]
    #[serde(default)]
    pub email: EmailArgs,
    #[command(flatten)]
    #[serde(default)]
    pub jobs: JobArgs,
    #[command(flatten)]
    #[serde(default)]
    pub rate_limits: RateLimitArgs,
    #[command(flatten)]
    #[serde(default)]
    pub audit: AuditArgs,
    #[command(flatten)]
    #[serde(default)]
    pub storage: StorageArgs,
    #[command(flatten)]
    #[serde(default)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    #[serde(default)]
    pub inbound: InboundArgs,
    #[command(flatten)]
    #[serde(default)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    #[serde(default)]
    pub load: LoadArgs,
    #[command(flatten)]
    #[serde(default)]
    pub billing: BillingArgs,
    #[command(flatten)]
    #[serde(default)]
    pub carrier: CarrierArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The resolved configuration the rest of the app reads. `Debug` prints the
/// database and SMTP URLs without their passwords and no secret.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_max_connections: u32,
    /// Set explicitly, or derived from the bound address at start-up.
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    /// Where the server key lives (see [`crate::server_key`]).
    pub server_key_file: PathBuf,
    /// Peers whose `X-Forwarded-For` names the client (see [`TrustedProxies`]).
    pub trusted_proxies: TrustedProxies,
    pub email: EmailSettings,
    pub jobs: JobSettings,
    pub rate_limits: RateLimits,
    pub audit: AuditSettings,
    pub storage: StorageConfig,
    pub webhooks: WebhookConfig,
    pub inbound: InboundConfig,
    /// Who may read `/metrics` (see `crate::ops::access`).
    pub metrics: MetricsConfig,
    /// Bounds on heavy work (see `crate::load`).
    pub load: LoadConfig,
    /// The plan table and the payment processor (see `crate::subscription`).
    pub billing: BillingConfig,
    /// The platform's carrier and the callbacks' settings (see `crate::phone_numbers`).
    pub carrier: CarrierConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &crate::server::redact_url(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("server_key_file", &self.server_key_file)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("email", &self.email)
            .field("jobs", &self.jobs)
            .field("rate_limits", &self.rate_limits)
            .field("audit", &self.audit)
            .field("storage", &self.storage)
            .field("webhooks", &self.webhooks)
            .field("inbound", &self.inbound)
            .field("metrics", &self.metrics)
            .field("load", &self.load)
            .field("billing", &self.billing)
            .field("carrier", &self.carrier)
            .finish()
    }
}

impl CommonArgs {
    /// These settings laid over `file`'s, key by key and table by table: a
    /// setting given here (flag or environment) wins, one left out falls
    /// back to the file's.
    pub fn over(&self, file: &CommonArgs) -> anyhow::Result<CommonArgs> {
        let toml::Value::Table(mut merged) = toml::Value::try_from(file).context("configuration file")? else {
            anyhow::bail!("the configuration file is not a table");
        };
        let toml::Value::Table(given) = toml::Value::try_from(self).context("flags")? else {
            anyhow::bail!("the flags are not a table");
        };
        lay_over(&mut merged, given);
        let mut layered: CommonArgs = toml::Value::Table(merged).try_into().context("merging the configuration")?;
        layered.config = self.config.clone();
        Ok(layered)
    }

    /// The settings read from `--config`, or none.
    fn file(&self) -> anyhow::Result<CommonArgs> {
        let Some(path) = &self.config else { return Ok(CommonArgs::default()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str::<CommonArgs>(&text).map_err(|err| {
            let hint = moved_key_hint(&text).map(|hint| format!(" ({hint})")).unwrap_or_default();
            anyhow::anyhow!("parsing config file {}{hint}: {err}", path.display())
        })
    }
}

/// `top`'s keys replace `base`'s; tables present in both are merged the same way.
fn lay_over(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(below)), toml::Value::Table(above)) => lay_over(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Top-level keys of earlier versions that now live in a feature's table.
fn moved_key_hint(text: &str) -> Option<String> {
    let table: toml::Table = text.parse().ok()?;
    table.keys().find_map(|key| {
        let new = match key.as_str() {
            "smtp_url" => "[email] smtp_url".to_string(),
            "email_from" => "[email] from".to_string(),
            "job_retry_schedule" => "[jobs] retry_schedule".to_string(),
            "job_lease" => "[jobs] lease".to_string(),
            "api_rate_limit" => "[rate_limits] api".to_string(),
            "ip_rate_limit" => "[rate_limits] ip".to_string(),
            "audit_retention" => "[audit] retention".to_string(),
            other => format!("[webhooks] {}", other.strip_prefix("webhook_")?),
        };
        Some(format!("`{key}` is now `{new}`"))
    })
}

impl Config {
    pub fn resolve(args: &CommonArgs) -> anyhow::Result<Config> {
        let settings = args.over(&args.file()?)?;
        let data_dir = settings.data_dir.clone().unwrap_or_else(|| PathBuf::from("./data"));
        let public_url = values::text(&settings.public_url).map(|u| u.trim_end_matches('/').to_string());
        if let Some(url) = &public_url {
            let parsed = url::Url::parse(url).with_context(|| format!("public URL {url:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "public URL must start with http:// or https://"
            );
        }
        let trusted_proxies = match &settings.trusted_proxies {
            Some(raw) => {
                TrustedProxies::parse(raw).with_context(|| format!("trusted proxies (--trusted-proxies) {raw:?}"))?
            }
            None => TrustedProxies::default(),
        };
        Ok(Config {
            listen: settings.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url: values::text(&settings.database_url).unwrap_or_else(|| default_sqlite_url(&data_dir)),
            db_max_connections: settings.db_max_connections.unwrap_or(10),
            public_url,
            log_format: settings.log_format.unwrap_or_default(),
            server_key_file: settings.server_key_file.clone().unwrap_or_else(|| data_dir.join("server.key")),
            trusted_proxies,
            email: settings.email.resolve(),
            jobs: settings.jobs.resolve()?,
            rate_limits: settings.rate_limits.resolve()?,
            audit: settings.audit.resolve()?,
            storage: settings.storage.resolve(&data_dir)?,
            webhooks: settings.webhooks.resolve()?,
            inbound: settings.inbound.resolve()?,
            metrics: settings.metrics.resolve()?,
            load: settings.load.resolve()?,
            billing: settings.billing.resolve()?,
            carrier: settings.carrier.resolve()?,
            data_dir,
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

#[cfg(test)]
mod tests;
