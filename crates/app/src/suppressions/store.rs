//! The `suppressions` table, and nothing else — except that the check
//! (`check`, `suppressed_phones`) joins the workspace's consent mode from
//! `workspace_consent_settings` in the same query, so the hot path is one
//! indexed read with no second round trip and no cache to go stale across
//! processes. Every function takes the workspace ID first.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use switchboard_core::{ConsentRecordId, SuppressionId, WorkspaceId};
use switchboard_db::{IntoExec, Query, execute, fetch_optional};

use super::model::{Subject, SuppressionChannel};
use crate::consent::model::{ConsentMode, Source};

/// An entry as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Suppression {
    #[sqlx(try_from = "String")]
    pub id: SuppressionId,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub channel: SuppressionChannel,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub created_by: String,
    pub consent_record_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Suppression {
    pub fn subject(&self) -> Subject {
        match (&self.phone, &self.email) {
            (Some(p), _) => Subject::Phone(p.clone()),
            (None, Some(e)) => Subject::Email(e.clone()),
            (None, None) => Subject::Email(String::new()),
        }
    }
}

macro_rules! select {
    () => {
        "SELECT id, phone, email, channel, reason, source, created_by, consent_record_id, created_at FROM suppressions"
    };
}

/// An entry to write.
pub struct NewSuppression<'a> {
    pub id: &'a SuppressionId,
    pub subject: &'a Subject,
    pub channel: SuppressionChannel,
    pub reason: &'a str,
    pub source: Source,
    pub created_by: &'a str,
    pub consent_record_id: Option<&'a ConsentRecordId>,
    pub search_text: &'a str,
    pub now: DateTime<Utc>,
}

/// Writes the entry unless the list already has one for that phone or
/// email and channel; false when it had (nothing written).
pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    new: &NewSuppression<'_>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "INSERT INTO suppressions (id, workspace_id, phone, email, channel, reason, source, created_by,
                                   consent_record_id, search_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        new.id.as_str(),
        ws.as_str(),
        new.subject.phone(),
        new.subject.email(),
        new.channel.as_str(),
        new.reason,
        new.source.as_str(),
        new.created_by,
        new.consent_record_id.map(|id| id.as_str()),
        new.search_text,
        new.now
    )?;
    Ok(done > 0)
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &SuppressionId,
) -> Result<Option<Suppression>, sqlx::Error> {
    fetch_optional!(
        ex,
        Suppression,
        concat!(select!(), " WHERE workspace_id = $1 AND id = $2"),
        ws.as_str(),
        id.as_str()
    )
}

/// The entry `(subject, channel)`, if the list has it.
pub async fn find_entry<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    subject: &Subject,
    channel: SuppressionChannel,
) -> Result<Option<Suppression>, sqlx::Error> {
    let mut q = Query::new(concat!(select!(), " WHERE workspace_id = "));
    q.bind(ws.as_str());
    match subject {
        Subject::Phone(p) => q.push(" AND phone = ").bind(p.as_str()),
        Subject::Email(e) => q.push(" AND email = ").bind(e.as_str()),
    };
    q.push(" AND channel = ").bind(channel.as_str());
    q.fetch_optional(ex).await
}

/// Every entry for `subject` (at most one per channel).
pub async fn entries_of<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    subject: &Subject,
) -> Result<Vec<Suppression>, sqlx::Error> {
    let mut q = Query::new(concat!(select!(), " WHERE workspace_id = "));
    q.bind(ws.as_str());
    match subject {
        Subject::Phone(p) => q.push(" AND phone = ").bind(p.as_str()),
        Subject::Email(e) => q.push(" AND email = ").bind(e.as_str()),
    };
    // Sorted here, not in SQL (see `check`).
    let mut rows: Vec<Suppression> = q.fetch_all(ex).await?;
    rows.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
    Ok(rows)
}

pub async fn delete<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, id: &SuppressionId) -> Result<bool, sqlx::Error> {
    let done = execute!(ex, "DELETE FROM suppressions WHERE workspace_id = $1 AND id = $2", ws.as_str(), id.as_str())?;
    Ok(done > 0)
}

/// One page of the list, newest first, after the `(created_at, id)` key
/// `after`; `search` (already a [`super::model::search_term`]) matches
/// the phone, the email or the reason.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    search: &str,
    after: Option<(DateTime<Utc>, &SuppressionId)>,
    limit: i64,
) -> Result<Vec<Suppression>, sqlx::Error> {
    let mut q = Query::new(concat!(select!(), " WHERE workspace_id = "));
    q.bind(ws.as_str());
    if !search.is_empty() {
        q.push(" AND search_text LIKE ").bind(crate::members::store::like_pattern(search)).push(" ESCAPE '\\'");
    }
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (created_at < ").push_param(at).push(" OR (created_at = ").push_param(at);
        q.push(" AND id < ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all(ex).await
}

/// An entry the check found, with the workspace's mode joined in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub channel: SuppressionChannel,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub mode: Option<String>,
}

impl CheckRow {
    pub fn mode(&self) -> ConsentMode {
        self.mode.as_deref().and_then(ConsentMode::parse).unwrap_or_default()
    }
}

/// The check's one query: the entries for a phone (or an email) with the
/// workspace's mode, over `suppressions_phone_once` /
/// `suppressions_email_once` (at most three rows).
pub async fn check<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    subject: &Subject,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    match subject {
        Subject::Phone(phone) => switchboard_db::fetch_all!(
            ex,
            CheckRow,
            "SELECT s.id, s.channel, s.reason, s.source, s.created_at, c.mode
             FROM suppressions s LEFT JOIN workspace_consent_settings c ON c.workspace_id = s.workspace_id
             WHERE s.workspace_id = $1 AND s.phone = $2",
            ws.as_str(),
            phone.as_str()
        ),
        Subject::Email(email) => switchboard_db::fetch_all!(
            ex,
            CheckRow,
            "SELECT s.id, s.channel, s.reason, s.source, s.created_at, c.mode
             FROM suppressions s LEFT JOIN workspace_consent_settings c ON c.workspace_id = s.workspace_id
             WHERE s.workspace_id = $1 AND s.email = $2",
            ws.as_str(),
            email.as_str()
        ),
    }
}

/// Which of `phones` (E.164) are blocked on at least one channel, with the
/// mode applied. Any entry blocks at least one channel in either mode, so
/// this is simply the phones that have an entry. For contact lists
/// (`SUPPRESSED`); one query per call.
pub async fn suppressed_phones<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    phones: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    if phones.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = Query::new("SELECT DISTINCT phone FROM suppressions WHERE workspace_id = ");
    q.bind(ws.as_str()).push(" AND phone IN (").bind_list(phones.iter().copied()).push(")");
    let rows: Vec<(String,)> = q.fetch_all(ex).await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// How many entries the workspace has.
pub async fn count<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<i64, sqlx::Error> {
    switchboard_db::fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM suppressions WHERE workspace_id = $1", ws.as_str())
}
