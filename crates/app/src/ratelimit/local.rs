//! A process's share of each busy bucket: requests reserved from the shared
//! row in batches and spent here without touching the database.
//!
//! The first request of a bucket reserves one request (one upsert, exactly
//! as [`super::check`]). When a reservation is spent within its lease ([`LEASE_MS`]),
//! the next one asks for twice as many, up to [`max_batch`]; when a lease
//! ends with requests unspent, they are dropped (never handed back) and
//! the next reservation asks for half. A quiet bucket therefore costs one
//! write a request, exactly as before, and a busy one one write per batch.
//!
//! What it gives up, and why that is bounded: a reserved request counts
//! against the shared budget when it is reserved, not when it is spent. A
//! process can thus admit, within any window, up to `k − 1` requests that
//! were reserved just before it (`k` = [`max_batch`]); across `N` processes
//! sharing a database that is at most `N·(k − 1)` more than an exact
//! limiter would admit in that window, and never more in total over time.
//! Unspent requests are lost when their lease ends, so a bucket that slows
//! down may be refused up to `k − 1` requests early in the following
//! second; the halving keeps that small. Refusals are remembered until the
//! next request could pass, so a client hammering a spent bucket costs no
//! writes either. Limits small enough that `k` is 1 behave exactly as the
//! plain limiter.
//!
//! Why not a crate (governor): its state is in-process only, and the budget
//! here must stay shared through the database.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use switchboard_db::Db;

use super::{Decision, Gcra, store};
use crate::config::RateLimit;

/// How long reserved requests may be spent after their reservation.
pub const LEASE_MS: i64 = 1_000;
/// Buckets remembered at most; past it the map starts afresh (which only
/// drops unspent reservations: it never admits more).
const MAX_BUCKETS: usize = 10_000;

/// The largest batch for a limit: at most half a second of its sustained
/// rate, a fiftieth of its burst, and 64; at least 1.
pub fn max_batch(limit: RateLimit) -> u32 {
    let requests = u64::from(limit.requests);
    let period_ms = u64::try_from(limit.period.as_millis()).unwrap_or(u64::MAX).max(1);
    let half_second = requests.saturating_mul(500) / period_ms;
    let k = half_second.min(requests / 50).clamp(1, 64);
    u32::try_from(k).unwrap_or(1)
}

#[derive(Debug, Default)]
struct Allowance {
    /// The limit the last reservation was made under; another limit (the
    /// plan changed) starts afresh.
    limit: Option<RateLimit>,
    reserved_at_ms: i64,
    /// Reserved and not yet spent.
    unspent: u32,
    /// The bucket's TAT after the last reservation (or the blocking one).
    tat_ms: i64,
    /// The size of the last reservation asked for.
    batch: u32,
    /// The last reservation was refused.
    refused: bool,
}

impl Allowance {
    fn live(&self, limit: RateLimit, now_ms: i64) -> bool {
        self.limit == Some(limit) && (self.reserved_at_ms..self.reserved_at_ms + LEASE_MS).contains(&now_ms)
    }
}

/// Every bucket's local allowance in this process (see the module header).
#[derive(Default)]
pub struct Allowances {
    buckets: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Allowance>>>>,
    /// Reservations made (database writes), for tests and the benchmark.
    reservations: AtomicU64,
}

impl Allowances {
    /// How many reservations (database writes) this process has made.
    pub fn reservations(&self) -> u64 {
        self.reservations.load(Ordering::Relaxed)
    }

    fn bucket(&self, key: &str) -> Arc<tokio::sync::Mutex<Allowance>> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = buckets.get(key) {
            return bucket.clone();
        }
        if buckets.len() >= MAX_BUCKETS {
            buckets.clear();
        }
        buckets.entry(key.to_owned()).or_default().clone()
    }

    /// Counts one request against `bucket` and decides it: from this
    /// process's reservation when it has one, else by reserving a batch.
    /// Callers of one bucket queue behind a reservation in flight rather
    /// than each reserving their own.
    pub async fn check(
        &self,
        db: &Db,
        bucket: &str,
        limit: RateLimit,
        now: DateTime<Utc>,
    ) -> Result<Decision, sqlx::Error> {
        let gcra = Gcra::new(limit);
        let now_ms = now.timestamp_millis();
        let slot = self.bucket(bucket);
        let mut allowance = slot.lock().await;
        if allowance.live(limit, now_ms) {
            if allowance.unspent > 0 {
                allowance.unspent -= 1;
                return Ok(allowance.decision(limit, gcra, now_ms, true));
            }
            // Refused, and nothing has refilled since: refuse here too.
            if allowance.refused && allowance.tat_ms > now_ms + gcra.tolerance_ms {
                return Ok(allowance.decision(limit, gcra, now_ms, false));
            }
        }
        let spent_in_time = allowance.live(limit, now_ms) && !allowance.refused;
        let batch = match allowance.batch {
            0 => 1,
            last if spent_in_time => last.saturating_mul(2),
            last => last / 2,
        }
        .clamp(1, max_batch(limit));
        let first_grant = i64::from(batch.min(limit.requests.max(1)));
        let row = store::reserve(db, bucket, now_ms, gcra, i64::from(batch), first_grant).await?;
        self.reservations.fetch_add(1, Ordering::Relaxed);
        let granted = u32::try_from(row.granted).unwrap_or(0);
        *allowance = Allowance {
            limit: Some(limit),
            reserved_at_ms: now_ms,
            unspent: granted.saturating_sub(1),
            tat_ms: row.tat_ms,
            batch,
            refused: granted == 0,
        };
        Ok(allowance.decision(limit, gcra, now_ms, granted > 0))
    }
}

impl Allowance {
    /// The decision as the client sees it: the shared bucket's state plus
    /// what this process still holds of it.
    fn decision(&self, limit: RateLimit, gcra: Gcra, now_ms: i64, allowed: bool) -> Decision {
        let mut decision = Decision::from_state(limit, gcra, now_ms, self.tat_ms, allowed);
        if allowed {
            decision.remaining = decision.remaining.saturating_add(self.unspent).min(limit.requests);
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn batches_are_small_against_the_rate_and_the_burst() {
        let per_minute = |requests| RateLimit { requests, period: Duration::from_secs(60) };
        assert_eq!(max_batch(per_minute(3)), 1);
        assert_eq!(max_batch(per_minute(60)), 1);
        assert_eq!(max_batch(per_minute(300)), 2, "half a second of 5/s");
        assert_eq!(max_batch(per_minute(1200)), 10);
        assert_eq!(max_batch(per_minute(6000)), 50);
        let per_second = RateLimit { requests: 100_000_000, period: Duration::from_secs(1) };
        assert_eq!(max_batch(per_second), 64);
        assert_eq!(max_batch(RateLimit { requests: 100, period: Duration::from_secs(1) }), 2, "a fiftieth of 100");
    }
}
