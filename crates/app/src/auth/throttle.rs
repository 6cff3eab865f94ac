//! Sign-in throttling: how many passwords may be tried, by whom, for whom.
//!
//! Every attempt is counted *before* its password is checked, by one atomic
//! upsert per counter ([`reserve`]). A check-then-record pair around the
//! (slow) password hash let 40 parallel guesses all pass the check before
//! the first failure was recorded; with the count taken first, the sixth
//! concurrent attempt is refused whatever the timing. The upsert's row lock
//! (PostgreSQL) or the single writer (SQLite) makes read-decide-write one
//! step, so processes sharing a database share each counter exactly.
//!
//! Each attempt counts against two counters, each a fixed window that
//! starts at its first attempt:
//! - the account **and** the client (the IP address `ClientMeta` gives,
//!   trusted-proxy aware; an IPv6 client counts by its /64):
//!   [`MAX_ATTEMPTS_PER_ACCOUNT_AND_CLIENT`] per [`WINDOW_MINUTES`]. Keyed on
//!   both, so a stranger's wrong guesses lock the stranger out and never the
//!   owner signing in from elsewhere;
//! - the client alone: [`MAX_ATTEMPTS_PER_CLIENT`], whatever the accounts.
//!
//! A right password gives its slots back ([`release`]): the account-and-
//! client counter is cleared and the client's gives back the one attempt.
//! [`clear_for_account`] clears every client's counter of one account; a
//! used password-reset link (proof of the mailbox) should call it.
use chrono::{DateTime, Duration, Utc};
use switchboard_db::{Db, IntoExec, Tx, execute, fetch_one};

pub const WINDOW_MINUTES: i64 = 15;
/// Attempts one client may make at one account per window.
pub const MAX_ATTEMPTS_PER_ACCOUNT_AND_CLIENT: i64 = 5;
/// Attempts one client may make per window, at any accounts.
pub const MAX_ATTEMPTS_PER_CLIENT: i64 = 30;

/// One counter: an account as seen from one client, or a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey {
    key: String,
    /// The normalised email, on account counters.
    account: Option<String>,
    limit: i64,
}

impl ThrottleKey {
    /// `normalized_email` as tried from `ip` (`None`: a peer without an
    /// address, which only tests and Unix sockets have).
    pub fn account_and_client(normalized_email: &str, ip: Option<&str>) -> Self {
        Self {
            key: format!("account:{normalized_email} {}", client(ip)),
            account: Some(normalized_email.to_owned()),
            limit: MAX_ATTEMPTS_PER_ACCOUNT_AND_CLIENT,
        }
    }

    pub fn client(ip: Option<&str>) -> Self {
        Self { key: client(ip), account: None, limit: MAX_ATTEMPTS_PER_CLIENT }
    }

    /// Both counters a password attempt for `normalized_email` from `ip`
    /// spends, account first (the order every caller locks them in).
    pub fn sign_in(normalized_email: &str, ip: Option<&str>) -> [Self; 2] {
        [Self::account_and_client(normalized_email, ip), Self::client(ip)]
    }
}

fn client(ip: Option<&str>) -> String {
    match ip {
        Some(ip) => crate::ratelimit::ip_bucket(ip),
        None => "ip:unknown".to_owned(),
    }
}

#[derive(sqlx::FromRow)]
struct Counter {
    attempts: i64,
    window_start_ms: i64,
}

const WINDOW_MS: i64 = WINDOW_MINUTES * 60 * 1000;

/// Counts one attempt against every key, each in one atomic statement.
/// `Some(seconds)` when any key is over its limit: the attempt must then be
/// refused without checking the password, and may be retried after that
/// long. Refused attempts count too (the window does not move).
pub async fn reserve(db: &Db, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<Option<u64>, sqlx::Error> {
    let now_ms = now.timestamp_millis();
    let mut wait: Option<u64> = None;
    for key in keys {
        let counter = count(db, key, now_ms).await?;
        if counter.attempts > key.limit {
            let ms = counter.window_start_ms + WINDOW_MS - now_ms;
            let secs = u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000).max(1);
            wait = Some(wait.map_or(secs, |w| w.max(secs)));
        }
    }
    Ok(wait)
}

/// Counts one more failed attempt against every key, in the caller's
/// transaction: a wrong second-factor code after a right password, so
/// that signing in again and again buys no more guesses.
pub async fn record_failure(tx: &mut Tx, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    for key in keys {
        count(&mut *tx, key, now.timestamp_millis()).await?;
    }
    Ok(())
}

/// One attempt more on `key`'s counter, in one statement; a window that
/// has passed starts afresh at this attempt.
async fn count<'a>(ex: impl IntoExec<'a>, key: &ThrottleKey, now_ms: i64) -> Result<Counter, sqlx::Error> {
    fetch_one!(
        ex,
        Counter,
        "INSERT INTO sign_in_attempts (throttle_key, account, attempts, window_start_ms)
         VALUES ($1, $2, 1, $3)
         ON CONFLICT (throttle_key) DO UPDATE SET
             attempts = CASE WHEN sign_in_attempts.window_start_ms <= $4 THEN 1
                             ELSE sign_in_attempts.attempts + 1 END,
             window_start_ms = CASE WHEN sign_in_attempts.window_start_ms <= $4 THEN $3
                                    ELSE sign_in_attempts.window_start_ms END
         RETURNING attempts, window_start_ms",
        &key.key,
        key.account.as_deref(),
        now_ms,
        now_ms - WINDOW_MS
    )
}

/// After a right password: the account-and-client counters are cleared and
/// the client counters give back the attempt [`reserve`] took, so people
/// signing in behind one address (an office) do not use up its budget.
pub async fn release(tx: &mut Tx, keys: &[ThrottleKey]) -> Result<(), sqlx::Error> {
    for key in keys {
        if key.account.is_some() {
            execute!(&mut *tx, "DELETE FROM sign_in_attempts WHERE throttle_key = $1", &key.key)?;
        } else {
            execute!(
                &mut *tx,
                "UPDATE sign_in_attempts SET attempts = attempts - 1 WHERE throttle_key = $1 AND attempts > 0",
                &key.key
            )?;
        }
    }
    Ok(())
}

/// Gives back the attempt [`reserve`] took when the password was never
/// checked (the server was too busy to hash it).
pub async fn unreserve(db: &Db, keys: &[ThrottleKey]) -> Result<(), sqlx::Error> {
    for key in keys {
        execute!(
            db,
            "UPDATE sign_in_attempts SET attempts = attempts - 1 WHERE throttle_key = $1 AND attempts > 0",
            &key.key
        )?;
    }
    Ok(())
}

/// Clears every client's counter of one account: for a proof of the
/// mailbox (a used password-reset link), which no guesser has.
pub async fn clear_for_account(tx: &mut Tx, normalized_email: &str) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "DELETE FROM sign_in_attempts WHERE account = $1", normalized_email)?;
    Ok(())
}

/// Deletes counters whose window has passed (they decide nothing any
/// more); periodic maintenance.
pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(
        db,
        "DELETE FROM sign_in_attempts WHERE window_start_ms <= $1",
        (now - Duration::minutes(WINDOW_MINUTES)).timestamp_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_counter_is_keyed_by_client_too() {
        let [account, client] = ThrottleKey::sign_in("ada@example.com", Some("2001:db8:1:2:3:4:5:6"));
        assert_eq!(account.key, "account:ada@example.com ip:2001:db8:1:2::/64");
        assert_eq!(account.account.as_deref(), Some("ada@example.com"));
        assert_eq!(client.key, "ip:2001:db8:1:2::/64");
        assert_eq!(client.account, None);
        assert_ne!(
            ThrottleKey::account_and_client("ada@example.com", Some("192.0.2.1")),
            ThrottleKey::account_and_client("ada@example.com", Some("192.0.2.2"))
        );
    }
}
