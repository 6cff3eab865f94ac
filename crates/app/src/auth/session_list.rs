//! One account's sessions as its owner sees them in the Profile Modal, and
//! ending them. A session's primary key (the SHA-256 of its cookie token)
//! never reaches a page: each session is named there by a *handle*, a
//! further hash of that key, which identifies the row to its owner but
//! cannot be turned back into the key or the cookie.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::UserId;
use switchboard_db::{IntoExec, Tx, execute, fetch_all};

use super::Session;
use crate::secrets::sha256_hex;

/// The public name of a session (32 hex characters).
pub fn handle(id_hash: &str) -> String {
    let mut h = sha256_hex(&format!("session-handle:{id_hash}"));
    h.truncate(32);
    h
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// One session in the list.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub handle: String,
    /// `Chrome on Windows 10`, from the user agent.
    pub device: String,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session this request came with.
    pub current: bool,
}

/// The live sessions of `user_id`, most recently seen first; `current` is
/// the requesting session's key.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
    current: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SessionSummary>, sqlx::Error> {
    let rows = fetch_all!(
        ex,
        Row,
        "SELECT id, ip, user_agent, created_at, last_seen_at FROM sessions
         WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, created_at DESC",
        user_id.as_str(),
        now
    )?;
    Ok(rows
        .into_iter()
        .map(|r| SessionSummary {
            handle: handle(&r.id),
            device: device(r.user_agent.as_deref()),
            ip: r.ip,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            current: r.id == current,
        })
        .collect())
}

/// A session as the Profile Modal shows it.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub handle: String,
    pub device: String,
    pub ip: Option<String>,
    pub last_seen: crate::web::time::TimeView,
    pub current: bool,
}

/// The sessions of `session`'s account, for the layout (times in UTC: the
/// list is the account's, not a workspace's).
pub async fn views(
    db: &switchboard_db::Db,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Vec<SessionView>, sqlx::Error> {
    Ok(list(db, &session.user_id, &session.id_hash, now)
        .await?
        .into_iter()
        .map(|s| SessionView {
            last_seen: crate::web::time::view(s.last_seen_at, chrono_tz::UTC, now),
            handle: s.handle,
            device: s.device,
            ip: s.ip,
            current: s.current,
        })
        .collect())
}

/// Ends the session of `user_id` named `handle`; whether there was one.
/// Another account's handle matches nothing.
pub async fn end_by_handle(tx: &mut Tx, user_id: &UserId, handle_: &str) -> Result<bool, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: String,
    }
    let ids = fetch_all!(&mut *tx, Id, "SELECT id FROM sessions WHERE user_id = $1", user_id.as_str())?;
    let Some(found) = ids.into_iter().find(|r| handle(&r.id) == handle_) else {
        return Ok(false);
    };
    execute!(&mut *tx, "DELETE FROM sessions WHERE id = $1 AND user_id = $2", found.id, user_id.as_str())?;
    Ok(true)
}

/// Ends every session of `user_id` but `keep` (the caller's own, when
/// given); returns how many ended.
pub async fn end_all<'a>(ex: impl IntoExec<'a>, user_id: &UserId, keep: Option<&str>) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", user_id.as_str(), keep.unwrap_or(""))
}

/// A short browser-and-OS summary of a user agent, e.g. `Firefox on Linux`.
pub fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "Unknown device".into();
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    match woothee::parser::Parser::new().parse(ua) {
        Some(r) if known(r.name) && known(r.os) => format!("{} on {}", r.name, r.os),
        Some(r) if known(r.name) => r.name.to_string(),
        Some(r) if known(r.os) => r.os.to_string(),
        _ => "Unknown device".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_summarised_from_the_user_agent() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Windows 10");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(device(Some(firefox)), "Firefox on Linux");
        assert_eq!(device(None), "Unknown device");
        assert_eq!(device(Some("   ")), "Unknown device");
        assert_eq!(device(Some("curl/8.5.0")), "HTTP Library");
        assert_eq!(device(Some("x")), "Unknown device");
    }

    #[test]
    fn handles_are_stable_and_do_not_contain_the_key() {
        let key = sha256_hex("cookie-token");
        assert_eq!(handle(&key), handle(&key));
        assert_eq!(handle(&key).len(), 32);
        assert!(!key.contains(&handle(&key)));
        assert_ne!(handle(&key), handle(&sha256_hex("another")));
    }
}
