//! The bounds' settings: `--image-workers`, `--password-workers`,
//! `--busy-wait`, their environment variables and the TOML `[load]` table.
use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::duration_or;

#[derive(Debug, Clone, Default, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadArgs {
    /// Images decoded at once (avatar and logo uploads, up to ~200 MiB
    /// each). Default: the number of CPUs.
    #[arg(long, env = "SWITCHBOARD_IMAGE_WORKERS", global = true)]
    pub image_workers: Option<usize>,
    /// Passwords hashed at once (argon2id, 19 MiB each). Default: the
    /// number of CPUs.
    #[arg(long, env = "SWITCHBOARD_PASSWORD_WORKERS", global = true)]
    pub password_workers: Option<usize>,
    /// How long a request waits for a free image or password worker before
    /// it is answered 503 with `Retry-After`, e.g. `2s`.
    #[arg(long, env = "SWITCHBOARD_BUSY_WAIT", global = true)]
    pub busy_wait: Option<String>,
}

pub const DEFAULT_BUSY_WAIT: Duration = Duration::from_secs(2);

/// [`LoadArgs`] resolved: every size known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadConfig {
    pub image_workers: usize,
    pub password_workers: usize,
    pub busy_wait: Duration,
}

impl Default for LoadConfig {
    fn default() -> Self {
        let cpus = cpus();
        LoadConfig { image_workers: cpus, password_workers: cpus, busy_wait: DEFAULT_BUSY_WAIT }
    }
}

pub(super) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl LoadArgs {
    pub fn resolve(&self) -> anyhow::Result<LoadConfig> {
        let default = LoadConfig::default();
        let workers = |value: Option<usize>, default: usize, flag: &str| match value {
            Some(0) => anyhow::bail!("{flag} must be at least 1"),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        Ok(LoadConfig {
            image_workers: workers(self.image_workers, default.image_workers, "--image-workers")?,
            password_workers: workers(self.password_workers, default.password_workers, "--password-workers")?,
            busy_wait: duration_or(&self.busy_wait, default.busy_wait, "--busy-wait")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_come_from_the_machine_unless_set() {
        let config = LoadArgs::default().resolve().expect("defaults");
        assert_eq!(config.image_workers, cpus());
        assert_eq!(config.password_workers, cpus());
        let args = LoadArgs { image_workers: Some(1), password_workers: Some(3), busy_wait: Some("5s".into()) };
        let config = args.resolve().expect("set");
        assert_eq!((config.image_workers, config.password_workers), (1, 3));
        assert_eq!(config.busy_wait, Duration::from_secs(5));
        let zero = LoadArgs { image_workers: Some(0), ..Default::default() };
        assert!(zero.resolve().is_err());
    }
}
