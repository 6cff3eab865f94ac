//! The durable job queue: [`enqueue`] writes a job in the caller's
//! transaction (it exists iff the caller commits), and the worker
//! ([`spawn_worker`], or [`run_pending_jobs`] in tests) runs due jobs through
//! the [`JobHandler`] registered for their kind.
//!
//! A claim is a lease (`locked_until`), so a job whose process died is
//! claimed again once the lease expires: delivery is at least once, and
//! handlers must tolerate a repeat (an email carries a stable Message-ID).
//! A failed run is retried on the configured schedule with ±20 % jitter,
//! then marked `failed`. Payloads are never logged: they may hold secrets.
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use switchboard_core::{JobId, WorkspaceId};
use switchboard_db::Tx;

use crate::state::AppState;

pub mod email;
pub mod settings;
mod store;
mod worker;

pub use worker::{
    POLL_INTERVAL, claim_next, cleanup_done_jobs, hourly_cleanup, run_claimed, run_pending_jobs, spawn_worker,
};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The handler's [`JobHandler::kind`], `resource.verb` (`email.send`).
    pub kind: &'static str,
    /// The handler's input. Never logged.
    pub payload: serde_json::Value,
    /// The workspace the job belongs to; its jobs go when it is deleted.
    pub workspace_id: Option<WorkspaceId>,
    /// Not run before this time. Also recorded as the job's `created_at`.
    pub run_at: DateTime<Utc>,
}

/// Writes `job` in the caller's transaction: the job exists iff the caller commits.
pub async fn enqueue(tx: &mut Tx, job: NewJob) -> Result<JobId, sqlx::Error> {
    store::insert(tx, &job).await
}

/// A claimed job, as a handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub workspace_id: Option<WorkspaceId>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This run's number: 1 on the first run.
    pub attempts: u32,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Job {
    /// The payload as `T`; a payload that does not fit will never fit, so
    /// the error is permanent.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.payload.clone())
            .map_err(|e| JobError::Permanent(format!("the {} payload does not decode: {e}", self.kind)))
    }
}

/// How a run failed. Messages are stored in `last_error` and logged: keep
/// secrets (links, tokens, bodies) out of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Try again on the retry schedule; fail once it is exhausted.
    Retry(String),
    /// Retrying will not help: fail now.
    Permanent(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Retry(msg) => write!(f, "{msg}"),
            JobError::Permanent(msg) => write!(f, "permanent: {msg}"),
        }
    }
}

impl std::error::Error for JobError {}

impl From<anyhow::Error> for JobError {
    fn from(err: anyhow::Error) -> Self {
        JobError::Retry(format!("{err:#}"))
    }
}

/// Runs the jobs of one kind.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The kind this handler runs, `resource.verb` (`email.send`).
    fn kind(&self) -> &'static str;
    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError>;
}

/// Job kind → handler. A job of a kind with no handler fails.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `handler` for its kind.
    ///
    /// # Panics
    /// When the kind already has a handler: two features claiming one kind
    /// is a programming error, caught when the app is built.
    #[must_use]
    pub fn with(mut self, handler: impl JobHandler) -> Self {
        let kind = handler.kind();
        let previous = self.handlers.insert(kind, Arc::new(handler));
        assert!(previous.is_none(), "two job handlers for the kind {kind:?}");
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("kinds", &self.kinds()).finish()
    }
}

/// The app's handlers: one line per kind of job.
/// Runs `pass` now and then every `interval` until `shutdown` turns true:
/// the loop of the workers that scan for due work (subscription and
/// number renewals). A failed pass is logged as `what` and retried on the
/// next tick.
pub fn spawn_periodic<F, Fut, T>(
    state: AppState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    interval: std::time::Duration,
    what: &'static str,
    pass: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send,
{
    tokio::spawn(async move {
        while !*shutdown.borrow() {
            if let Err(err) = pass(state.clone()).await {
                tracing::warn!(error = ?err, "{what} pass failed");
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}

/// The platform's own job kinds; building the app adds every registered
/// feature's (`Feature::jobs`).
pub fn registry() -> Registry {
    Registry::new().with(email::SendEmail).with(crate::key_rotation::Reseal)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Noop(&'static str);

    #[async_trait]
    impl JobHandler for Noop {
        fn kind(&self) -> &'static str {
            self.0
        }
        async fn run(&self, _: &AppState, _: &Job) -> Result<(), JobError> {
            Ok(())
        }
    }

    #[test]
    fn the_registry_finds_handlers_by_kind() {
        let registry = Registry::new().with(Noop("a.run")).with(Noop("b.run"));
        assert_eq!(registry.kinds(), vec!["a.run", "b.run"]);
        assert!(registry.get("a.run").is_some());
        assert!(registry.get("c.run").is_none());
    }

    #[test]
    #[should_panic(expected = "two job handlers")]
    fn a_kind_has_one_handler() {
        let _ = Registry::new().with(Noop("a.run")).with(Noop("a.run"));
    }

    #[test]
    fn anyhow_errors_are_retried() {
        let err: JobError = anyhow::anyhow!("connection refused").context("sending").into();
        assert_eq!(err, JobError::Retry("sending: connection refused".into()));
    }
}
