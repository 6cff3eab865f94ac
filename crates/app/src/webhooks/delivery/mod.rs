//! The delivery worker. Deliveries are a durable queue in the database; a
//! worker claims a batch by moving them to `sending` with a lease (their
//! `next_attempt_at` becomes the lease's end), so a worker killed
//! mid-attempt leaves them to be claimed again when the lease runs out —
//! at-least-once, with the same `webhook-id`. Claims are serialised over
//! every process (an advisory lock on PostgreSQL, the single writer on
//! SQLite), so `--webhook-endpoint-concurrency` holds exactly over all of
//! them and one slow endpoint cannot hold every worker.
//!
//! - [`claim`]: the batch claim and what sending needs (payloads, secrets);
//! - [`send`]: the HTTP client (keep-alive) and one signed POST;
//! - [`record`]: outcomes, the successes of a batch in one transaction.
//!
//! The worker ([`spawn`]) keeps up to [`MAX_IN_FLIGHT`] attempts going. A
//! finished attempt goes to one recorder task, which writes whatever has
//! finished meanwhile as one batch, and then wakes the claimer: the
//! endpoints' slots free up in the database when their outcomes commit.
mod claim;
mod record;
mod send;

pub use claim::{ClaimedRow, Job, Target, Targets, claim, claim_batch, claim_one, prepare};
pub use record::record_all;
pub use send::{client, send};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::{WebhookDeliveryId, WebhookEndpointId, WebhookMessageId, WorkspaceId};
use switchboard_db::{Db, execute};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::{secret, store};
use crate::state::AppState;

/// Response bodies are kept up to this many bytes.
pub const RESPONSE_BODY_LIMIT: usize = 4 * 1024;
/// Attempts in flight in one process, over all endpoints.
pub const MAX_IN_FLIGHT: usize = 128;
/// The worker's own connections: the claimer's and the recorder's.
const WORKER_CONNECTIONS: u32 = 2;
/// Deliveries claimed by one claim at most.
const MAX_BATCH: usize = 100;
/// How often an idle worker looks for due deliveries (other processes'
/// events, retries coming due); this process's own changes wake it at once.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often the worker's claim also looks for deliveries whose lease ran
/// out (a lease lasts a minute or more, so this adds at most a second).
const EXPIRED_LEASES_EVERY: Duration = Duration::from_secs(1);

/// A claimed delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    #[sqlx(try_from = "String")]
    pub id: WebhookDeliveryId,
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    pub endpoint_id: WebhookEndpointId,
    #[sqlx(try_from = "String")]
    pub message_id: WebhookMessageId,
    pub event_type: String,
    pub attempts: i32,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started_at: DateTime<Utc>,
    pub latency_ms: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub request: serde_json::Value,
    pub response_body: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The secrets that sign now: the current one, and the previous one during
/// a rotation's overlap.
fn secrets_of(state: &AppState, endpoint: &store::EndpointRow, now: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    let mut secrets = vec![secret::open(&state.server_key, endpoint.id.as_str(), &endpoint.secret_enc)?.into_exposed()];
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret_enc, endpoint.previous_secret_until)
        && until > now
    {
        secrets.push(secret::open(&state.server_key, endpoint.id.as_str(), previous)?.into_exposed());
    }
    Ok(secrets)
}

/// Sends one prepared delivery. Without a secret that opens, nothing is
/// sent: that is recorded as a failed attempt, so the retry schedule runs
/// its course and ends, rather than the delivery being claimed again after
/// every lease, forever.
pub async fn attempt(state: &AppState, client: &reqwest::Client, job: Job) -> (Claimed, Outcome) {
    let outcome = match &job.target.secrets {
        Ok(secrets) => {
            send(state, client, &job.target.url, job.claimed.message_id.as_str(), secrets, job.payload).await
        }
        Err(reason) => Outcome {
            started_at: state.clock.now(),
            latency_ms: 0,
            status: None,
            error: Some(reason.clone()),
            request: json!({"method": "POST", "url": job.target.url}),
            response_body: None,
        },
    };
    (job.claimed, outcome)
}

/// Claims and sends every due delivery, a batch at a time, until none is
/// due; returns how many attempts were made. Tests drive delivery with it.
pub async fn run_due(state: &AppState) -> anyhow::Result<usize> {
    let client = client(&state.config.webhooks)?;
    let mut targets = Targets::default();
    let mut total = 0;
    loop {
        let claimed = claim(&state.db, &state.config.webhooks, state.clock.now(), MAX_BATCH, true).await?;
        if claimed.is_empty() {
            return Ok(total);
        }
        let mut set = JoinSet::new();
        for job in prepare(state, &mut targets, claimed).await? {
            let (state, client) = (state.clone(), client.clone());
            set.spawn(async move { attempt(&state, &client, job).await });
        }
        let mut done = Vec::new();
        while let Some(result) = set.join_next().await {
            done.extend(result.ok());
        }
        total += done.len();
        record_all(state, done).await;
    }
}

/// A finished attempt on its way to the recorder, holding its slot.
type Finished = (Claimed, Outcome, OwnedSemaphorePermit);

/// The worker inside `serve`: claims as slots free up, sends, and hands
/// outcomes to the recorder; stops when `shutdown` turns true (attempts in
/// flight get a moment to finish and be recorded; the rest are retried
/// after their lease).
pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<JoinHandle<()>> {
    let client = client(&state.config.webhooks)?;
    Ok(tokio::spawn(async move {
        // Connections of its own: with the shared pool busy serving
        // requests, every claim and every batch of outcomes would wait in
        // line behind them, and delivery would crawl exactly when changes
        // (and so events) come fastest.
        let state = match Db::connect(&state.config.database_url, WORKER_CONNECTIONS).await {
            Ok(db) => state.with_db(db),
            Err(err) => {
                tracing::warn!(error = %err, "webhook worker: no connections of its own; sharing the pool");
                state
            }
        };
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let recorded = Arc::new(Notify::new());
        let (finished, inbox) = mpsc::unbounded_channel::<Finished>();
        let recorder = tokio::spawn(record_loop(state.clone(), inbox, recorded.clone()));
        let mut sending = JoinSet::new();
        let mut targets = Targets::default();
        let mut leases_checked: Option<Instant> = None;
        while !*shutdown.borrow() {
            while sending.try_join_next().is_some() {}
            let free = slots.available_permits().min(MAX_BATCH);
            if free > 0 {
                let expired_leases = leases_checked.is_none_or(|at| at.elapsed() >= EXPIRED_LEASES_EVERY);
                if expired_leases {
                    leases_checked = Some(Instant::now());
                }
                match claim_and_prepare(&state, &mut targets, free, expired_leases).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let Ok(permit) = slots.clone().try_acquire_owned() else { break };
                            let (state, client, finished) = (state.clone(), client.clone(), finished.clone());
                            sending.spawn(async move {
                                let (claimed, outcome) = attempt(&state, &client, job).await;
                                let _ = finished.send((claimed, outcome, permit));
                            });
                        }
                    }
                    Err(err) => tracing::warn!(error = %format!("{err:#}"), "could not claim webhook deliveries"),
                }
            }
            tokio::select! {
                () = recorded.notified() => {}
                () = state.webhooks_wakeup.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while sending.join_next().await.is_some() {}
            drop(finished);
            let _ = recorder.await;
        })
        .await;
    }))
}

async fn claim_and_prepare(
    state: &AppState,
    targets: &mut Targets,
    max: usize,
    expired_leases: bool,
) -> anyhow::Result<Vec<Job>> {
    let claimed = claim(&state.db, &state.config.webhooks, state.clock.now(), max, expired_leases).await?;
    Ok(prepare(state, targets, claimed).await?)
}

/// Records finished attempts as they come, each time everything that has
/// finished since the last write; then frees their slots and wakes the
/// claimer.
async fn record_loop(state: AppState, mut inbox: mpsc::UnboundedReceiver<Finished>, recorded: Arc<Notify>) {
    let mut batch = Vec::new();
    while inbox.recv_many(&mut batch, MAX_IN_FLIGHT).await > 0 {
        let (done, permits): (Vec<_>, Vec<_>) = batch.drain(..).map(|(c, o, p)| ((c, o), p)).unzip();
        record_all(&state, done).await;
        drop(permits);
        recorded.notify_one();
    }
}

/// Deletes `succeeded`/`failed` deliveries' messages older than `keep`
/// (the worker's hourly cleanup), so the log shows recent history.
pub async fn delete_old(db: &Db, now: DateTime<Utc>, keep: chrono::Duration) -> Result<u64, sqlx::Error> {
    execute!(
        db,
        "DELETE FROM webhook_messages WHERE created_at < $1 AND NOT EXISTS (
             SELECT 1 FROM webhook_deliveries d WHERE d.message_id = webhook_messages.id
               AND d.status IN ('pending', 'sending'))",
        now - keep
    )
}
