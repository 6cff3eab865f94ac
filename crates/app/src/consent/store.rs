//! The `workspace_consent_settings` and `consent_records` tables, and
//! nothing else. Every function takes the workspace ID first. Records are
//! only ever inserted (append-only): there is no update or delete here.
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use switchboard_core::{ConsentRecordId, WorkspaceId};
use switchboard_db::{IntoExec, Query, execute, fetch_optional};

use super::model::{Channel, ConsentMode, ConsentStatus, Keywords, Source};

/// The workspace's settings (the defaults when it has no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSettings {
    pub mode: ConsentMode,
    pub keywords: Keywords,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        ConsentSettings { mode: ConsentMode::Universal, keywords: Keywords::default(), updated_at: None }
    }
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    #[sqlx(try_from = "String")]
    mode: ConsentMode,
    opt_out_keywords: Json<Vec<String>>,
    opt_in_keywords: Json<Vec<String>>,
    updated_at: DateTime<Utc>,
}

pub async fn settings<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<ConsentSettings, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        SettingsRow,
        "SELECT mode, opt_out_keywords, opt_in_keywords, updated_at FROM workspace_consent_settings WHERE workspace_id = $1",
        ws.as_str()
    )?;
    Ok(row.map_or_else(ConsentSettings::default, |r| ConsentSettings {
        mode: r.mode,
        keywords: Keywords { opt_out: r.opt_out_keywords.0, opt_in: r.opt_in_keywords.0 },
        updated_at: Some(r.updated_at),
    }))
}

/// Writes the whole settings row (created with the defaults' other values
/// when the workspace had none).
pub async fn save<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    s: &ConsentSettings,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO workspace_consent_settings (workspace_id, mode, opt_out_keywords, opt_in_keywords, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id) DO UPDATE SET mode = $2, opt_out_keywords = $3, opt_in_keywords = $4, updated_at = $5",
        ws.as_str(),
        s.mode.as_str(),
        Json(&s.keywords.opt_out),
        Json(&s.keywords.opt_in),
        now
    )?;
    Ok(())
}

/// The settings row locked for a change (PostgreSQL; SQLite serialises
/// writers anyway). Makes the row first so there is something to lock.
pub async fn settings_for_update(
    tx: &mut switchboard_db::Tx,
    ws: &WorkspaceId,
    now: DateTime<Utc>,
) -> Result<ConsentSettings, sqlx::Error> {
    execute!(
        &mut *tx,
        "INSERT INTO workspace_consent_settings (workspace_id, updated_at) VALUES ($1, $2) ON CONFLICT (workspace_id) DO NOTHING",
        ws.as_str(),
        now
    )?;
    let mut q = Query::new(
        "SELECT mode, opt_out_keywords, opt_in_keywords, updated_at FROM workspace_consent_settings WHERE workspace_id = ",
    );
    q.bind(ws.as_str());
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    let row: SettingsRow = q.fetch_one(&mut *tx).await?;
    Ok(ConsentSettings {
        mode: row.mode,
        keywords: Keywords { opt_out: row.opt_out_keywords.0, opt_in: row.opt_in_keywords.0 },
        updated_at: Some(row.updated_at),
    })
}

/// A consent record as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRecord {
    #[sqlx(try_from = "String")]
    pub id: ConsentRecordId,
    pub contact_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: ConsentStatus,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub proof: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

macro_rules! record_select {
    () => {
        "SELECT id, contact_id, phone, email, channel, status, source, proof, actor, created_at FROM consent_records"
    };
}

pub async fn insert_record<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, r: &ConsentRecord) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO consent_records (id, workspace_id, contact_id, phone, email, channel, status, source, proof, actor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        r.id.as_str(),
        ws.as_str(),
        r.contact_id.as_deref(),
        r.phone.as_deref(),
        r.email.as_deref(),
        r.channel.as_str(),
        r.status.as_str(),
        r.source.as_str(),
        &r.proof,
        &r.actor,
        r.created_at
    )?;
    Ok(())
}

/// Whose history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose<'a> {
    Phone(&'a str),
    Email(&'a str),
    Contact(&'a str),
}

/// One page of a phone's, email's or contact's records, newest first,
/// after the `(created_at, id)` key `after`.
pub async fn records<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    whose: Whose<'_>,
    after: Option<(DateTime<Utc>, &ConsentRecordId)>,
    limit: i64,
) -> Result<Vec<ConsentRecord>, sqlx::Error> {
    let mut q = Query::new(concat!(record_select!(), " WHERE workspace_id = "));
    q.bind(ws.as_str());
    match whose {
        Whose::Phone(p) => q.push(" AND phone = ").bind(p),
        Whose::Email(e) => q.push(" AND email = ").bind(e),
        Whose::Contact(c) => q.push(" AND contact_id = ").bind(c),
    };
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (created_at < ").push_param(at).push(" OR (created_at = ").push_param(at);
        q.push(" AND id < ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all(ex).await
}
