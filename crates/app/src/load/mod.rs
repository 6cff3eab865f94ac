//! Bounds on heavy work, so a burst of requests cannot take the server's
//! memory: image decoding (up to ~200 MiB per avatar or logo upload) and
//! password hashing (argon2id, 19 MiB per hash) each run behind a
//! [`Gate`], a semaphore sized from the machine
//! (`std::thread::available_parallelism`). Both are CPU-bound, so more at
//! once than there are cores would only queue inside the blocking pool
//! while holding their memory.
//!
//! A request waits for a free slot at most `--busy-wait`; then it is
//! answered 503 `server_busy` with `Retry-After`, having allocated nothing.
//! The bounds are per process; the sizes are logged at start-up and
//! refusals counted in the `busy_refusals_total{work}` metric.
//!
//! The settings here also hold the per-user request rate of signed-in
//! browsers (see [`crate::ratelimit`]).
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::RateLimit;
use crate::error::{AppError, AppResult, Problem};

/// Flags and environment for load protection (`--image-workers`, …).
#[derive(Debug, Clone, Default, clap::Args, serde::Deserialize, serde::Serialize)]
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
    /// Requests each signed-in user may make (pages and the API with a
    /// session cookie), e.g. `1200/m`; `off` disables the limit.
    #[arg(long, env = "SWITCHBOARD_USER_RATE_LIMIT", global = true)]
    pub user_rate_limit: Option<String>,
}

pub const DEFAULT_BUSY_WAIT: Duration = Duration::from_secs(2);
/// 20 a second sustained, bursts of the whole amount: far above a person
/// clicking, far below a script hammering uploads or exports.
pub const DEFAULT_USER_RATE_LIMIT: RateLimit = RateLimit { requests: 1200, period: Duration::from_secs(60) };

/// [`LoadArgs`] resolved: every size known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadConfig {
    pub image_workers: usize,
    pub password_workers: usize,
    pub busy_wait: Duration,
    /// Per signed-in user; `None` when switched off.
    pub user_rate_limit: Option<RateLimit>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        let cpus = cpus();
        LoadConfig {
            image_workers: cpus,
            password_workers: cpus,
            busy_wait: DEFAULT_BUSY_WAIT,
            user_rate_limit: Some(DEFAULT_USER_RATE_LIMIT),
        }
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl LoadConfig {
    /// Flags and environment over the TOML file's `[load]` table.
    pub fn resolve(args: &LoadArgs, file: Option<&LoadArgs>) -> anyhow::Result<LoadConfig> {
        let file = file.cloned().unwrap_or_default();
        let args = LoadArgs {
            image_workers: args.image_workers.or(file.image_workers),
            password_workers: args.password_workers.or(file.password_workers),
            busy_wait: args.busy_wait.clone().or(file.busy_wait),
            user_rate_limit: args.user_rate_limit.clone().or(file.user_rate_limit),
        };
        let default = LoadConfig::default();
        let workers = |value: Option<usize>, default: usize, flag: &str| match value {
            Some(0) => anyhow::bail!("{flag} must be at least 1"),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let busy_wait = match &args.busy_wait {
            Some(raw) => crate::config::parse_duration(raw).with_context(|| format!("--busy-wait {raw:?}"))?,
            None => default.busy_wait,
        };
        let user_rate_limit = match &args.user_rate_limit {
            Some(raw) => RateLimit::parse(raw).with_context(|| format!("rate limit (--user-rate-limit) {raw:?}"))?,
            None => default.user_rate_limit,
        };
        Ok(LoadConfig {
            image_workers: workers(args.image_workers, default.image_workers, "--image-workers")?,
            password_workers: workers(args.password_workers, default.password_workers, "--password-workers")?,
            busy_wait,
            user_rate_limit,
        })
    }
}

/// A bound on one kind of heavy work.
pub struct Gate {
    /// For the refusal and the metric: `image`, `password`.
    work: &'static str,
    slots: Arc<Semaphore>,
    size: usize,
    wait: Duration,
}

impl Gate {
    fn new(work: &'static str, size: usize, wait: Duration) -> Gate {
        Gate { work, slots: Arc::new(Semaphore::new(size)), size, wait }
    }

    /// How many may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A slot, waiting for one at most the configured time; else the 503.
    /// Hold the permit until the work is done (move it into the blocking
    /// task, so a client that hangs up does not free the slot early).
    pub async fn enter(&self) -> AppResult<OwnedSemaphorePermit> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out (the semaphore is never closed).
            _ => {
                metrics::counter!("busy_refusals_total", "work" => self.work).increment(1);
                Err(busy(self.wait))
            }
        }
    }
}

/// 503 `server_busy` with `Retry-After`.
fn busy(wait: Duration) -> AppError {
    let secs = wait.as_secs().max(1);
    AppError::Client(Problem {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "server_busy",
        detail: format!("The server is busy; try again in {secs} second{}.", if secs == 1 { "" } else { "s" }),
        fields: Vec::new(),
        retry_after_secs: Some(secs),
    })
}

/// The gates of this process.
pub struct Gates {
    pub images: Gate,
    pub passwords: Gate,
}

impl Gates {
    pub fn new(config: &LoadConfig) -> Gates {
        Gates {
            images: Gate::new("image", config.image_workers, config.busy_wait),
            passwords: Gate::new("password", config.password_workers, config.busy_wait),
        }
    }
}

/// Process-wide, like the memory they protect; installed at start-up from
/// the configuration (see [`install`]), machine-sized until then.
static GATES: RwLock<Option<Arc<Gates>>> = RwLock::new(None);

/// Sets this process's gates (at start-up, from the configuration).
pub fn install(config: &LoadConfig) {
    tracing::info!(
        image_workers = config.image_workers,
        password_workers = config.password_workers,
        busy_wait = ?config.busy_wait,
        "heavy work bounded"
    );
    let gates = Arc::new(Gates::new(config));
    match GATES.write() {
        Ok(mut slot) => *slot = Some(gates),
        Err(poisoned) => *poisoned.into_inner() = Some(gates),
    }
}

/// This process's gates.
pub fn gates() -> Arc<Gates> {
    if let Ok(slot) = GATES.read()
        && let Some(gates) = slot.as_ref()
    {
        return gates.clone();
    }
    let mut slot = GATES.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    slot.get_or_insert_with(|| Arc::new(Gates::new(&LoadConfig::default()))).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_come_from_the_machine_unless_set() {
        let config = LoadConfig::resolve(&LoadArgs::default(), None).expect("defaults");
        assert_eq!(config.image_workers, cpus());
        assert_eq!(config.password_workers, cpus());
        assert_eq!(config.user_rate_limit, Some(DEFAULT_USER_RATE_LIMIT));
        let args = LoadArgs {
            image_workers: Some(1),
            password_workers: Some(3),
            busy_wait: Some("5s".into()),
            user_rate_limit: Some("off".into()),
        };
        let config = LoadConfig::resolve(&args, None).expect("set");
        assert_eq!((config.image_workers, config.password_workers), (1, 3));
        assert_eq!(config.busy_wait, Duration::from_secs(5));
        assert_eq!(config.user_rate_limit, None);
        let zero = LoadArgs { image_workers: Some(0), ..Default::default() };
        assert!(LoadConfig::resolve(&zero, None).is_err());
    }

    #[tokio::test]
    async fn a_full_gate_answers_503_with_retry_after() {
        let gate = Gate::new("image", 1, Duration::from_millis(50));
        let held = gate.enter().await.expect("a free slot");
        let refused = gate.enter().await.expect_err("full");
        let problem = refused.problem().expect("a client error");
        assert_eq!(problem.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem.code, "server_busy");
        assert_eq!(problem.retry_after_secs, Some(1));
        drop(held);
        let _again = gate.enter().await.expect("free again");
    }
}
