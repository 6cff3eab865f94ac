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
mod settings;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult, Problem};
pub use settings::{LoadArgs, LoadConfig};

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
