//! Claiming from the queue, in batches: one transaction moves up to `max`
//! due deliveries to `sending` under a lease, never past an endpoint's
//! `--webhook-endpoint-concurrency` counted over every process, and returns
//! their payloads with them. Endpoints (URL, opened secrets) are kept by
//! the worker and read again only when their `updated_at` moved.
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use switchboard_core::WebhookEndpointId;
use switchboard_db::dialect::{self, Serialized};
use switchboard_db::{Db, Query, execute};

use super::{Claimed, secrets_of};
use crate::config::WebhookConfig;
use crate::state::AppState;
use crate::webhooks::store;

/// Due rows looked at per claim, per status, for each one wanted: enough
/// that a claim finds work for the open endpoints behind a few busy ones,
/// few enough to stay cheap with a backlog of millions (the walk follows
/// `(status, next_attempt_at)`; the window then sorts only these).
const CANDIDATES_PER_CLAIM: usize = 4;
const CANDIDATES_MIN: usize = 64;
const CANDIDATES_MAX: usize = 1_000;

/// The claim, for one status (`sending` whose lease ran out, or `pending`).
///
/// Parameters: `$1` now, `$2` the lease's end, `$3` the per-endpoint limit,
/// `$4` the status, `$5` how many to claim, `$6` how many candidates to
/// look at.
///
/// The innermost walk takes the oldest due rows of enabled endpoints that
/// are not at their limit (the two uncorrelated subqueries run once); each
/// candidate is numbered within its endpoint, and kept while its number
/// plus the endpoint's attempts in flight stays within the limit. The outer
/// `status`/`next_attempt_at` test is checked again by PostgreSQL on a row
/// another transaction changed meanwhile (an outcome being recorded).
const CLAIM: &str = "UPDATE webhook_deliveries
     SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2, updated_at = $1
     WHERE status = $4 AND next_attempt_at <= $1 AND id IN (
         SELECT r.id FROM (
             SELECT c.id, c.next_attempt_at,
                    ROW_NUMBER() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.id) AS rn,
                    COALESCE(b.busy, 0) AS busy
             FROM (
                 SELECT d.id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
                 WHERE d.status = $4 AND d.next_attempt_at <= $1
                   AND d.endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.enabled = TRUE)
                   AND d.endpoint_id NOT IN (
                       SELECT x.endpoint_id FROM webhook_deliveries x
                       WHERE x.status = 'sending' AND x.next_attempt_at > $1
                       GROUP BY x.endpoint_id HAVING COUNT(*) >= $3)
                 ORDER BY d.next_attempt_at LIMIT $6
             ) c
             LEFT JOIN (
                 SELECT x.endpoint_id, COUNT(*) AS busy FROM webhook_deliveries x
                 WHERE x.status = 'sending' AND x.next_attempt_at > $1
                 GROUP BY x.endpoint_id
             ) b ON b.endpoint_id = c.endpoint_id
         ) r
         WHERE r.rn + r.busy <= $3
         ORDER BY r.next_attempt_at LIMIT $5
     )
     RETURNING id, workspace_id, endpoint_id, message_id, event_type, attempts,
         (SELECT m.payload FROM webhook_messages m WHERE m.id = webhook_deliveries.message_id) AS payload,
         (SELECT e.updated_at FROM webhook_endpoints e WHERE e.id = webhook_deliveries.endpoint_id)
             AS endpoint_updated_at";

/// A claimed delivery as the claim returns it: with its payload, and its
/// endpoint's version (to tell whether the worker's copy is current).
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimedRow {
    #[sqlx(flatten)]
    pub claimed: Claimed,
    pub payload: Option<String>,
    pub endpoint_updated_at: Option<DateTime<Utc>>,
}

/// Claims up to `max` due deliveries: first those whose lease ran out (their
/// worker died mid-attempt), then the longest-waiting pending ones.
pub async fn claim_batch(
    db: &Db,
    config: &WebhookConfig,
    now: DateTime<Utc>,
    max: usize,
) -> anyhow::Result<Vec<Claimed>> {
    Ok(claim(db, config, now, max, true).await?.into_iter().map(|row| row.claimed).collect())
}

/// Claims up to `max` due deliveries, those whose lease ran out first when
/// `expired_leases` (the worker looks for them once a second: a lease lasts
/// a minute or more), then the longest-waiting pending ones.
///
/// Claims never run side by side (see [`dialect::serialize`]): each counts
/// the attempts in flight per endpoint and adds to them, so two at once
/// could both see room for the same slot. Serialised, the limit holds over
/// every process; a claim takes a few milliseconds and fetches a whole
/// batch, so the queue behind it is short.
pub async fn claim(
    db: &Db,
    config: &WebhookConfig,
    now: DateTime<Utc>,
    max: usize,
    expired_leases: bool,
) -> anyhow::Result<Vec<ClaimedRow>> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let lease_until = now + chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(60));
    let limit = i64::from(config.endpoint_concurrency);
    let mut tx = db.begin().await?;
    if let Some(lock) = dialect::serialize(db.backend(), Serialized::WebhookClaims) {
        execute!(&mut tx, lock)?;
    }
    let mut claimed: Vec<ClaimedRow> = Vec::new();
    let statuses: &[&str] = if expired_leases { &["sending", "pending"] } else { &["pending"] };
    for status in statuses {
        let room = max - claimed.len();
        if room == 0 {
            break;
        }
        let candidates = (room * CANDIDATES_PER_CLAIM).clamp(CANDIDATES_MIN, CANDIDATES_MAX);
        let mut q = Query::new(CLAIM);
        q.param(now);
        q.param(lease_until);
        q.param(limit);
        q.param(*status);
        q.param(i64::try_from(room).unwrap_or(i64::MAX));
        q.param(i64::try_from(candidates).unwrap_or(i64::MAX));
        claimed.extend(q.fetch_all::<ClaimedRow>(&mut tx).await?);
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Claims the next due delivery, if any (see [`claim_batch`]).
pub async fn claim_one(db: &Db, config: &WebhookConfig, now: DateTime<Utc>) -> anyhow::Result<Option<Claimed>> {
    Ok(claim_batch(db, config, now, 1).await?.pop())
}

/// An endpoint as one batch sends to it: its URL and the secrets that sign
/// now (or why none opens).
pub struct Target {
    pub url: String,
    pub secrets: Result<Vec<String>, String>,
}

/// A claimed delivery with what sending it needs.
pub struct Job {
    pub claimed: Claimed,
    pub target: Arc<Target>,
    pub payload: String,
}

/// The worker's copies of the endpoints it sends to, each with its secrets
/// opened once, read again when the claim shows a newer `updated_at` (a
/// changed URL, a rotated secret).
#[derive(Default)]
pub struct Targets(HashMap<WebhookEndpointId, Copy>);

struct Copy {
    /// The endpoint's `updated_at` when read.
    version: DateTime<Utc>,
    /// When the previous secret stops signing: read again then.
    until: Option<DateTime<Utc>>,
    target: Arc<Target>,
}

impl Targets {
    /// Past this many endpoints the copies start afresh.
    const MAX: usize = 10_000;
}

/// Pairs each claimed delivery with its endpoint, reading the endpoints
/// that `targets` has no current copy of in one query. A delivery whose
/// endpoint or message is gone (deleted meanwhile, with the delivery by
/// the cascade) is left out.
pub async fn prepare(state: &AppState, targets: &mut Targets, rows: Vec<ClaimedRow>) -> Result<Vec<Job>, sqlx::Error> {
    let now = state.clock.now();
    let mut stale: Vec<&WebhookEndpointId> = rows
        .iter()
        .filter(|r| match (targets.0.get(&r.claimed.endpoint_id), r.endpoint_updated_at) {
            (Some(copy), Some(current)) => copy.version != current || copy.until.is_some_and(|until| until <= now),
            _ => true,
        })
        .map(|r| &r.claimed.endpoint_id)
        .collect();
    stale.sort();
    stale.dedup();
    if !stale.is_empty() {
        if targets.0.len() + stale.len() > Targets::MAX {
            targets.0.clear();
        }
        for e in store::endpoints_by_id(&state.db, &stale).await? {
            let secrets = secrets_of(state, &e, now).map_err(|err| {
                tracing::error!(endpoint = %e.id, error = %format!("{err:#}"), "webhook secret does not open");
                "not sent: the signing secret does not open with this server's key".to_string()
            });
            let until = e.previous_secret_until.filter(|until| *until > now);
            let target = Arc::new(Target { url: e.url, secrets });
            targets.0.insert(e.id.clone(), Copy { version: e.updated_at, until, target });
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let target = targets.0.get(&row.claimed.endpoint_id)?.target.clone();
            Some(Job { claimed: row.claimed, target, payload: row.payload? })
        })
        .collect())
}
