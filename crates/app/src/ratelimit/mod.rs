//! Rate limiting per API token, per signed-in user (`--user-rate-limit`)
//! and, for requests with neither session nor token, per IP address.
//!
//! The algorithm is GCRA (the generic cell rate algorithm): each bucket
//! keeps one number, its theoretical arrival time (TAT). A limit of
//! `requests` per `period` spaces requests by the emission interval
//! `T = period / requests` and tolerates bursts of up to `requests` at once.
//! The state lives in the database (`rate_limits`, see [`store`]), updated
//! by one upsert, so every process sharing a PostgreSQL database shares
//! each bucket's budget. [`check`] spends one request per upsert, exactly;
//! the request layer goes through [`Allowances`], which reserves a busy
//! bucket's requests in batches and spends them in memory, admitting at
//! most a small, stated number more than the exact limiter (see [`local`]).
//!
//! Responses carry the `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset` and `RateLimit-Policy` fields of
//! draft-ietf-httpapi-ratelimit-headers-06; a refusal is a 429
//! problem+json with `Retry-After`.
mod layer;
mod local;
pub mod settings;
mod store;

pub(crate) use layer::ip_bucket;
pub use layer::{charge_failed_auth, limit};
pub use local::{Allowances, LEASE_MS, max_batch};

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use switchboard_db::Db;

use crate::config::RateLimit;
use crate::error::{AppError, Problem};

/// The problem code of a refused request.
pub const RATE_LIMITED: &str = "rate_limited";

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// A limit in GCRA's terms, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gcra {
    /// The emission interval T, rounded up to a whole millisecond (at least
    /// 1), so the sustained rate never exceeds the configured one.
    emission_ms: i64,
    /// `(requests − 1) · T`: `period − T` when T divides the period. A
    /// request is allowed while the TAT is at most `now + tolerance`, which
    /// lets exactly `requests` through at once on a fresh bucket.
    tolerance_ms: i64,
}

impl Gcra {
    fn new(limit: RateLimit) -> Self {
        let requests = i64::from(limit.requests.max(1));
        // Periods are seconds to hours; the clamp only keeps the arithmetic
        // below far from overflow for absurd configurations.
        let period_ms = i64::try_from(limit.period.as_millis()).unwrap_or(i64::MAX).min(1 << 40);
        let emission_ms = ((period_ms + requests - 1) / requests).max(1);
        Gcra { emission_ms, tolerance_ms: emission_ms * (requests - 1) }
    }
}

/// What the limiter decided for one request, and what to tell the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: RateLimit,
    /// Requests that would still be allowed right now, after this one.
    pub remaining: u32,
    /// Until the bucket has its whole burst back.
    pub reset_after: Duration,
    /// On a refusal, until the next request would be allowed.
    pub retry_after: Option<Duration>,
}

/// Counts one request against `bucket` (e.g. `token:tok_…`, `ip:192.0.2.1`)
/// and decides it, atomically, in one statement: exact, for the budgets
/// that guard secrets (sign-in attempts, reset emails).
pub async fn check(db: &Db, bucket: &str, limit: RateLimit, now: DateTime<Utc>) -> Result<Decision, sqlx::Error> {
    let gcra = Gcra::new(limit);
    let now_ms = now.timestamp_millis();
    let row = store::reserve(db, bucket, now_ms, gcra, 1, 1).await?;
    Ok(Decision::from_state(limit, gcra, now_ms, row.tat_ms, row.granted > 0))
}

/// Deletes the buckets that have their whole burst back (their TAT has
/// passed), which changes no decision; returns how many rows went. Meant
/// for a periodic cleanup.
pub async fn delete_idle(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    store::delete_idle(db, now.timestamp_millis()).await
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Whole seconds, rounded up, as the headers want them.
fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

impl Decision {
    /// The decision, given the bucket's TAT after the request was counted
    /// (unchanged when it was refused).
    fn from_state(limit: RateLimit, gcra: Gcra, now_ms: i64, tat_ms: i64, allowed: bool) -> Decision {
        // The next k requests pass while tat + (k − 1)·T ≤ now + tolerance.
        let slack = now_ms + gcra.tolerance_ms + gcra.emission_ms - tat_ms;
        let remaining = (slack.max(0) / gcra.emission_ms).min(i64::from(limit.requests));
        Decision {
            allowed,
            limit,
            remaining: u32::try_from(remaining).unwrap_or(0),
            reset_after: millis(tat_ms - now_ms),
            retry_after: (!allowed).then(|| millis(tat_ms - gcra.tolerance_ms - now_ms)),
        }
    }

    /// `Retry-After` in whole seconds: rounded up, so a client that waits
    /// that long is allowed, and at least 1.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|d| ceil_secs(d).max(1))
    }

    /// Sets the `RateLimit-*` fields, e.g. `RateLimit-Limit: 600`,
    /// `RateLimit-Remaining: 599`, `RateLimit-Reset: 1` and
    /// `RateLimit-Policy: 600;w=60`.
    pub fn set_headers(&self, headers: &mut HeaderMap) {
        headers.insert(RATELIMIT_LIMIT, HeaderValue::from(self.limit.requests));
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(ceil_secs(self.reset_after)));
        let policy = format!("{};w={}", self.limit.requests, self.limit.period.as_secs().max(1));
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(RATELIMIT_POLICY, value);
        }
    }

    /// The 429 for a refused request: problem+json with `code:
    /// rate_limited`, `Retry-After` and the `RateLimit-*` fields. `who`
    /// names the bucket's owner in the message ("this token").
    pub fn refusal(&self, who: &str) -> Response {
        let secs = self.retry_after_secs().unwrap_or(1);
        let detail = format!(
            "Too many requests: {who} may make {} {} {}. Try again in {secs} {}.",
            self.limit.requests,
            if self.limit.requests == 1 { "request" } else { "requests" },
            per(self.limit.period),
            if secs == 1 { "second" } else { "seconds" },
        );
        let mut response = AppError::Client(Problem {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: RATE_LIMITED,
            detail,
            fields: Vec::new(),
            retry_after_secs: Some(secs),
        })
        .into_response();
        self.set_headers(response.headers_mut());
        response
    }
}

/// "per minute", "per 10 seconds"…
fn per(period: Duration) -> String {
    match period.as_secs() {
        1 => "per second".to_string(),
        60 => "per minute".to_string(),
        3600 => "per hour".to_string(),
        secs => format!("per {secs} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PER_MINUTE: RateLimit = RateLimit { requests: 600, period: Duration::from_secs(60) };

    fn decision(limit: RateLimit, now_ms: i64, tat_ms: i64, allowed: bool) -> Decision {
        Decision::from_state(limit, Gcra::new(limit), now_ms, tat_ms, allowed)
    }

    #[test]
    fn gcra_spaces_requests_by_period_over_requests() {
        assert_eq!(Gcra::new(PER_MINUTE), Gcra { emission_ms: 100, tolerance_ms: 59_900 });
        let one_per_hour = RateLimit { requests: 1, period: Duration::from_secs(3600) };
        assert_eq!(Gcra::new(one_per_hour), Gcra { emission_ms: 3_600_000, tolerance_ms: 0 });
        // 7/s does not divide: T rounds up, never above the configured rate.
        let seven = RateLimit { requests: 7, period: Duration::from_secs(1) };
        assert_eq!(Gcra::new(seven), Gcra { emission_ms: 143, tolerance_ms: 858 });
        // Faster than one per millisecond is capped at one per millisecond.
        let fast = RateLimit { requests: 5000, period: Duration::from_secs(1) };
        assert_eq!(Gcra::new(fast).emission_ms, 1);
    }

    #[test]
    fn a_first_request_leaves_the_rest_of_the_burst() {
        let d = decision(PER_MINUTE, 1_000_000, 1_000_100, true);
        assert_eq!(d.remaining, 599);
        assert_eq!(d.reset_after, Duration::from_millis(100));
        assert_eq!(d.retry_after, None);
        assert_eq!(d.retry_after_secs(), None);
    }

    #[test]
    fn the_last_request_of_a_burst_leaves_none() {
        let now = 1_000_000;
        let d = decision(PER_MINUTE, now, now + 60_000, true);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset_after, Duration::from_secs(60));
    }

    #[test]
    fn a_refusal_says_when_the_next_request_passes() {
        let now = 1_000_000;
        // Full bucket, 30 ms after the burst: the next slot opens at
        // tat − tolerance = now + 70 ms.
        let d = decision(PER_MINUTE, now, now + 60_000 - 30, false);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after, Some(Duration::from_millis(70)));
        assert_eq!(d.retry_after_secs(), Some(1), "rounded up to at least a second");
        let slow = RateLimit { requests: 2, period: Duration::from_secs(10) };
        let d = decision(slow, now, now + 12_001, false);
        assert_eq!(d.retry_after, Some(Duration::from_millis(7_001)));
        assert_eq!(d.retry_after_secs(), Some(8));
    }

    #[test]
    fn remaining_counts_the_slots_that_have_refilled() {
        let now = 1_000_000;
        // Half a minute after a full burst, 300 of 600 are back (one is spent now).
        let d = decision(PER_MINUTE, now, now + 30_000 + 100, true);
        assert_eq!(d.remaining, 299);
        assert_eq!(d.reset_after, Duration::from_millis(30_100));
    }

    #[test]
    fn headers_follow_the_ietf_draft() {
        let mut headers = HeaderMap::new();
        decision(PER_MINUTE, 1_000_000, 1_002_500, true).set_headers(&mut headers);
        assert_eq!(headers[RATELIMIT_LIMIT], "600");
        assert_eq!(headers[RATELIMIT_REMAINING], "575");
        assert_eq!(headers[RATELIMIT_RESET], "3", "2.5 s rounds up");
        assert_eq!(headers[RATELIMIT_POLICY], "600;w=60");
    }

    #[tokio::test]
    async fn a_refusal_is_a_429_problem_with_retry_after() {
        let now = 1_000_000;
        let response = decision(PER_MINUTE, now, now + 62_400, false).refusal("this token");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "3");
        assert_eq!(response.headers()[RATELIMIT_REMAINING], "0");
        assert_eq!(response.headers()[axum::http::header::CONTENT_TYPE], "application/problem+json");
        let bytes = axum::body::to_bytes(response.into_body(), 10_000).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(json["code"], "rate_limited");
        assert_eq!(json["status"], 429);
        assert_eq!(
            json["detail"],
            "Too many requests: this token may make 600 requests per minute. Try again in 3 seconds."
        );
    }
}
