//! The delivery worker. Deliveries are a durable queue in the database;
//! a worker claims one by moving it to `sending` with a lease (its
//! `next_attempt_at` becomes the lease's end), so a worker killed
//! mid-attempt leaves it to be claimed again when the lease runs out —
//! at-least-once, with the same `webhook-id`. PostgreSQL claims use
//! `FOR UPDATE SKIP LOCKED`, so processes never claim the same row; SQLite
//! serialises writers. A claim skips endpoints that already have
//! `--webhook-endpoint-concurrency` attempts in flight, so one slow
//! endpoint cannot hold every worker.
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::{WebhookDeliveryId, WebhookEndpointId, WebhookMessageId, WorkspaceId};
use switchboard_db::{Db, Query, dialect, execute};
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::{secret, service, ssrf, store};
use crate::config::WebhookConfig;
use crate::state::AppState;

/// Response bodies are kept up to this many bytes.
pub const RESPONSE_BODY_LIMIT: usize = 4 * 1024;
/// Attempts in flight in one process, over all endpoints.
const MAX_IN_FLIGHT: usize = 64;
/// How often an idle worker looks for due deliveries (other processes'
/// events, retries coming due); this process's own changes wake it at once.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A claimed delivery and what sending it needs.
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

/// The HTTP client webhooks go out with: no redirects (a 3xx is a
/// failure, per Standard Webhooks), time limits, and the public-only
/// resolver unless private targets are allowed. No proxy, whatever
/// `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` say: through a proxy the
/// proxy resolves the name, and the resolver's check would be skipped.
pub fn client(config: &WebhookConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(8);
    if !config.allow_private_targets {
        builder = builder.dns_resolver(Arc::new(ssrf::PublicOnlyResolver));
    }
    Ok(builder.build()?)
}

/// Endpoints below their in-flight limit (`$1` now, `$3` the limit).
const OPEN_ENDPOINTS: &str = "SELECT e.id FROM webhook_endpoints e
     WHERE e.enabled = TRUE
       AND (SELECT COUNT(*) FROM webhook_deliveries x
            WHERE x.status = 'sending' AND x.next_attempt_at > $1 AND x.endpoint_id = e.id) < $3";

/// Claims the next due delivery, if any: first one whose lease ran out (its
/// worker died mid-attempt), then the longest-waiting pending one, of an
/// enabled endpoint below `--webhook-endpoint-concurrency`.
///
/// Cost matters here: the worker claims again after every attempt, also
/// when every endpoint is at its limit. One status per query lets each
/// walk the `(status, next_attempt_at)` index in order and stop at the first
/// claimable row; the in-flight count is taken once per endpoint (not per
/// candidate row), and the uncorrelated `EXISTS` is evaluated once, so a
/// claim with every endpoint busy returns at once instead of visiting every
/// due row. (The earlier single query sorted all due rows and counted per
/// row: with a backlog of 10,000 a claim took 1–2 s on PostgreSQL.)
pub async fn claim_one(db: &Db, config: &WebhookConfig, now: DateTime<Utc>) -> Result<Option<Claimed>, sqlx::Error> {
    let lease_until = now + chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(60));
    let limit = i64::from(config.endpoint_concurrency);
    for status in ["sending", "pending"] {
        // $1 now, $2 the lease's end, $3 the per-endpoint limit, $4 the status.
        let mut q = Query::new(
            "UPDATE webhook_deliveries
             SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2, updated_at = $1
             WHERE id = (
                 SELECT d.id FROM webhook_deliveries d
                 WHERE d.status = $4 AND d.next_attempt_at <= $1
                   AND EXISTS (",
        );
        q.push(OPEN_ENDPOINTS).push(") AND d.endpoint_id IN (").push(OPEN_ENDPOINTS).push(")");
        q.push(" ORDER BY d.next_attempt_at LIMIT 1 ").push(dialect::skip_locked(db.backend())).push(
            ")
             RETURNING id, workspace_id, endpoint_id, message_id, event_type, attempts",
        );
        q.param(now);
        q.param(lease_until);
        q.param(limit);
        q.param(status);
        let claimed: Option<Claimed> = q.fetch_optional(db).await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
    }
    Ok(None)
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

/// Sends one claimed delivery and records the outcome.
pub async fn attempt(state: &AppState, client: &reqwest::Client, claimed: Claimed) -> anyhow::Result<Outcome> {
    let endpoint = store::find_endpoint(&state.db, &claimed.workspace_id, &claimed.endpoint_id).await?;
    let payload = store::message_payload(&state.db, &claimed.workspace_id, &claimed.message_id).await?;
    let (Some(endpoint), Some(payload)) = (endpoint, payload) else {
        // Deleted meanwhile (the cascade removes the delivery too).
        anyhow::bail!("delivery {} lost its endpoint or message", claimed.id);
    };
    let now = state.clock.now();
    let outcome = match live_secrets(state, &endpoint, now) {
        Ok(secrets) => send(state, client, &endpoint.url, claimed.message_id.as_str(), &secrets, payload).await,
        Err(err) => {
            // Nothing can be signed. Recorded as a failed attempt, so the
            // retry schedule runs its course and ends, rather than the
            // delivery being claimed again after every lease, forever.
            tracing::error!(endpoint = %endpoint.id, error = %format!("{err:#}"), "webhook secret does not open");
            Outcome {
                started_at: now,
                latency_ms: 0,
                status: None,
                error: Some("not sent: the signing secret does not open with this server's key".into()),
                request: json!({"method": "POST", "url": endpoint.url}),
                response_body: None,
            }
        }
    };
    service::record_outcome(state, &claimed, &outcome).await?;
    Ok(outcome)
}

/// The secrets that sign now: the current one, and the previous one during
/// a rotation's overlap.
fn live_secrets(state: &AppState, endpoint: &store::EndpointRow, now: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    let mut secrets = vec![secret::open(&state.server_key, endpoint.id.as_str(), &endpoint.secret_enc)?.into_exposed()];
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret_enc, endpoint.previous_secret_until)
        && until > now
    {
        secrets.push(secret::open(&state.server_key, endpoint.id.as_str(), previous)?.into_exposed());
    }
    Ok(secrets)
}

/// One HTTP POST, per Standard Webhooks.
pub async fn send(
    state: &AppState,
    client: &reqwest::Client,
    url: &str,
    msg_id: &str,
    secrets: &[String],
    payload: String,
) -> Outcome {
    let started_at = state.clock.now();
    let timestamp = started_at.timestamp();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = secret::signature_header(&refs, msg_id, timestamp, payload.as_bytes());
    let request = json!({
        "method": "POST",
        "url": url,
        "headers": {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp.to_string(),
            "webhook-signature": signature,
        },
    });
    let clock = Instant::now();
    let mut outcome = Outcome { started_at, latency_ms: 0, status: None, error: None, request, response_body: None };
    let refused = url::Url::parse(url)
        .ok()
        .filter(|_| !state.config.webhooks.allow_private_targets)
        .and_then(|u| ssrf::literal_host_reason(&u));
    if let Some(reason) = refused {
        outcome.error = Some(format!("refused: the URL points to a {reason} address"));
        return outcome;
    }
    let result = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload)
        .send()
        .await;
    match result {
        Ok(mut response) => {
            outcome.status = Some(response.status().as_u16());
            let mut body = Vec::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = RESPONSE_BODY_LIMIT.saturating_sub(body.len());
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if body.len() >= RESPONSE_BODY_LIMIT {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        outcome.error = Some(format!("reading the response: {}", error_text(&err)));
                        break;
                    }
                }
            }
            outcome.response_body = Some(String::from_utf8_lossy(&body).into_owned());
        }
        Err(err) => outcome.error = Some(error_text(&err)),
    }
    outcome.latency_ms = clock.elapsed().as_millis() as i64;
    outcome
}

/// The useful part of a reqwest error: the innermost cause (the resolver's
/// refusal, "connection refused", "operation timed out").
fn error_text(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() { "timed out".to_string() } else { err.to_string() };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text = inner.to_string();
        source = inner.source();
    }
    if err.is_timeout() && !text.contains("timed out") {
        text = format!("timed out ({text})");
    }
    text
}

/// Claims and sends every due delivery, concurrently, until none is due;
/// returns how many attempts were made. Tests drive delivery with it.
pub async fn run_due(state: &AppState) -> anyhow::Result<usize> {
    let client = client(&state.config.webhooks)?;
    let mut total = 0;
    loop {
        let mut set = JoinSet::new();
        while let Some(claimed) = claim_one(&state.db, &state.config.webhooks, state.clock.now()).await? {
            let (state, client) = (state.clone(), client.clone());
            set.spawn(async move { attempt(&state, &client, claimed).await });
        }
        if set.is_empty() {
            return Ok(total);
        }
        while let Some(done) = set.join_next().await {
            total += 1;
            if let Ok(Err(err)) = done {
                tracing::warn!(error = %format!("{err:#}"), "webhook attempt not recorded");
            }
        }
    }
}

/// The worker inside `serve`: keeps up to [`MAX_IN_FLIGHT`] attempts going,
/// claims as slots free up, and stops when `shutdown` turns true (attempts
/// in flight get a moment to finish; the rest are retried after their
/// lease).
pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<JoinHandle<()>> {
    let client = client(&state.config.webhooks)?;
    Ok(tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut set = JoinSet::new();
        while !*shutdown.borrow() {
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                match claim_one(&state.db, &state.config.webhooks, state.clock.now()).await {
                    Ok(Some(claimed)) => {
                        let (state, client) = (state.clone(), client.clone());
                        set.spawn(async move {
                            let _permit = permit;
                            if let Err(err) = attempt(&state, &client, claimed).await {
                                tracing::warn!(error = %format!("{err:#}"), "webhook attempt not recorded");
                            }
                        });
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, "could not claim a webhook delivery");
                        break;
                    }
                }
            }
            tokio::select! {
                Some(_) = set.join_next(), if !set.is_empty() => {}
                () = state.webhooks_wakeup.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), async { while set.join_next().await.is_some() {} }).await;
    }))
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
