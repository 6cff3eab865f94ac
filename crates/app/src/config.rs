//! Configuration: command-line flags, then environment variables, then an
//! optional TOML file, then defaults — in that order of precedence. The
//! result is one [`Config`] that the rest of the app reads.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

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
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Set explicitly, or derived from the bound address at start-up.
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    pub db_max_connections: u32,
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
        Ok(Config {
            listen,
            data_dir,
            database_url,
            public_url,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            db_max_connections: args.db_max_connections.or(file.db_max_connections).unwrap_or(10),
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
mod tests {
    use super::*;

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
}
