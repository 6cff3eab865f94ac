//! Sign-in throttling per account and per IP address. Failures live in the
//! database, so every process sharing it counts the same attempts.
use chrono::{DateTime, Duration, Utc};
use switchboard_db::{Tx, execute, fetch_optional};

pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 30;

/// One counter to check: a normalised email or an IP address.
pub struct ThrottleKey {
    key: String,
    limit: i64,
}

impl ThrottleKey {
    pub fn account(normalized_email: &str) -> Self {
        Self { key: format!("account:{normalized_email}"), limit: MAX_FAILURES_PER_ACCOUNT }
    }

    pub fn ip(ip: &str) -> Self {
        Self { key: format!("ip:{ip}"), limit: MAX_FAILURES_PER_IP }
    }
}

#[derive(sqlx::FromRow)]
struct Window {
    failures: i64,
    oldest: Option<DateTime<Utc>>,
}

/// `Some(seconds)` until the next attempt is allowed, when any key is over
/// its limit within the window.
pub async fn retry_after(tx: &mut Tx, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<Option<u64>, sqlx::Error> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let mut wait: Option<u64> = None;
    for key in keys {
        let window = fetch_optional!(
            &mut *tx,
            Window,
            "SELECT COUNT(*) AS failures, MIN(failed_at) AS oldest
             FROM sign_in_failures WHERE throttle_key = $1 AND failed_at > $2",
            &key.key,
            since
        )?;
        if let Some(Window { failures, oldest: Some(oldest) }) = window
            && failures >= key.limit
        {
            let secs = (oldest + Duration::minutes(WINDOW_MINUTES) - now).num_seconds().max(1) as u64;
            wait = Some(wait.map_or(secs, |w| w.max(secs)));
        }
    }
    Ok(wait)
}

pub async fn record_failure(tx: &mut Tx, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    for key in keys {
        execute!(
            &mut *tx,
            "INSERT INTO sign_in_failures (id, throttle_key, failed_at) VALUES ($1, $2, $3)",
            ulid::Ulid::new().to_string(),
            &key.key,
            now
        )?;
    }
    // Old rows only ever matter inside the window; drop them as we go.
    execute!(
        &mut *tx,
        "DELETE FROM sign_in_failures WHERE failed_at < $1",
        now - Duration::minutes(WINDOW_MINUTES * 4)
    )?;
    Ok(())
}

/// A successful sign-in clears the account's failures (not the IP's).
pub async fn clear(tx: &mut Tx, key: &ThrottleKey) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "DELETE FROM sign_in_failures WHERE throttle_key = $1", &key.key)?;
    Ok(())
}
