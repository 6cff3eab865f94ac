//! Where uploaded files live: `--storage` and the `--s3-*` flags, their
//! environment variables and the TOML `[storage]` table (`backend = "s3"`,
//! `s3_bucket = …`).
use std::path::Path;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};
use switchboard_providers::storage::S3Config;

use super::values::text;

/// Where uploaded files live: flags and environment, and the same keys in
/// the TOML file's `[storage]` table (`backend = "s3"`, `s3_bucket = …`).
#[derive(Debug, Args, Default, Serialize, Deserialize, Clone)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
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

impl StorageArgs {
    pub fn resolve(&self, data_dir: &Path) -> anyhow::Result<StorageConfig> {
        let s3_settings = [
            ("--s3-bucket", text(&self.s3_bucket)),
            ("--s3-endpoint", text(&self.s3_endpoint)),
            ("--s3-access-key-id", text(&self.s3_access_key_id)),
        ];
        match self.backend.unwrap_or_default() {
            StorageBackend::Local => {
                // An S3 setting without `--storage s3` is almost surely a
                // forgotten flag: files would silently stay on local disk.
                if let Some((flag, _)) = s3_settings.iter().find(|(_, value)| value.is_some()) {
                    anyhow::bail!("{flag} is set but storage is local: add --storage s3 (SWITCHBOARD_STORAGE=s3)");
                }
                Ok(StorageConfig::Local { root: data_dir.join("files") })
            }
            StorageBackend::S3 => {
                let [(_, bucket), (_, endpoint), (_, access_key_id)] = s3_settings;
                let bucket =
                    bucket.ok_or_else(|| anyhow::anyhow!("--storage s3 needs --s3-bucket (SWITCHBOARD_S3_BUCKET)"))?;
                if let Some(endpoint) = &endpoint {
                    let parsed = url::Url::parse(endpoint)
                        .with_context(|| format!("--s3-endpoint {endpoint:?} is not a URL"))?;
                    anyhow::ensure!(
                        matches!(parsed.scheme(), "http" | "https"),
                        "--s3-endpoint must start with http:// or https://"
                    );
                }
                let secret_access_key = text(&self.s3_secret_access_key);
                anyhow::ensure!(
                    access_key_id.is_some() == secret_access_key.is_some(),
                    "set both --s3-access-key-id and --s3-secret-access-key, or neither (to use the AWS defaults)"
                );
                Ok(StorageConfig::S3(S3Config {
                    bucket,
                    region: text(&self.s3_region).unwrap_or_else(|| "us-east-1".to_string()),
                    endpoint,
                    access_key_id,
                    secret_access_key,
                    path_style: self.s3_path_style.unwrap_or(false),
                }))
            }
        }
    }
}
