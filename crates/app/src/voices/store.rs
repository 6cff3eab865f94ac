//! The voices tables (`voices`, `voice_samples`, `voice_consents`,
//! `workspace_voice_settings`), and nothing else. Every function takes the
//! workspace ID first; another workspace's voice is simply not found.
use chrono::{DateTime, Utc};
use switchboard_core::{UserId, VoiceId, VoiceSampleId, WorkspaceId};
use switchboard_db::{Backend, IntoExec, Query, Tx, execute, fetch_all, fetch_optional, fetch_scalar};

use super::model::{Consent, Gender, ProviderAccount, Voice, VoiceSample, VoiceSettings, VoiceStatus};

const SELECT: &str = "SELECT id, workspace_id, name, description, language, gender, provider, provider_account,
        provider_voice_id, status, failure_reason, speech_ms, duration_ms, created_by, created_at, updated_at, ready_at
     FROM voices";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    workspace_id: String,
    name: String,
    description: String,
    language: String,
    gender: String,
    provider: String,
    provider_account: String,
    provider_voice_id: Option<String>,
    status: String,
    failure_reason: Option<String>,
    speech_ms: i64,
    duration_ms: i64,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ready_at: Option<DateTime<Utc>>,
}

fn decode(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("voices.{what}: {err}").into())
}

impl TryFrom<Row> for Voice {
    type Error = sqlx::Error;

    fn try_from(r: Row) -> Result<Voice, sqlx::Error> {
        Ok(Voice {
            id: r.id.parse().map_err(|e| decode("id", e))?,
            workspace_id: r.workspace_id.parse().map_err(|e| decode("workspace_id", e))?,
            name: r.name,
            description: r.description,
            language: r.language,
            gender: Gender::parse(&r.gender).ok_or_else(|| decode("gender", &r.gender))?,
            provider: r.provider,
            provider_account: ProviderAccount::parse(&r.provider_account)
                .ok_or_else(|| decode("provider_account", &r.provider_account))?,
            provider_voice_id: r.provider_voice_id,
            status: VoiceStatus::parse(&r.status).ok_or_else(|| decode("status", &r.status))?,
            failure_reason: r.failure_reason,
            speech_ms: r.speech_ms,
            duration_ms: r.duration_ms,
            created_by: r.created_by.map(|u| u.parse::<UserId>().map_err(|e| decode("created_by", e))).transpose()?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            ready_at: r.ready_at,
        })
    }
}

/// What a new voice starts as (always `PROCESSING`).
#[derive(Debug, Clone)]
pub struct NewVoice<'a> {
    pub id: &'a VoiceId,
    pub name: &'a str,
    pub description: &'a str,
    pub language: &'a str,
    pub gender: Gender,
    pub provider: &'a str,
    pub provider_account: ProviderAccount,
    pub speech_ms: i64,
    pub duration_ms: i64,
    pub created_by: &'a UserId,
}

pub async fn insert(tx: &mut Tx, ws: &WorkspaceId, v: &NewVoice<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "INSERT INTO voices (id, workspace_id, name, description, language, gender, provider, provider_account,
             status, speech_ms, duration_ms, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PROCESSING', $9, $10, $11, $12, $12)",
        v.id.as_str(),
        ws.as_str(),
        v.name,
        v.description,
        v.language,
        v.gender.as_str(),
        v.provider,
        v.provider_account.as_str(),
        v.speech_ms,
        v.duration_ms,
        v.created_by.as_str(),
        now
    )?;
    Ok(())
}

/// One sample to insert.
#[derive(Debug, Clone)]
pub struct NewSample<'a> {
    pub position: i32,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    /// JSON text of the report.
    pub report: &'a str,
}

pub async fn insert_sample(
    tx: &mut Tx,
    ws: &WorkspaceId,
    voice: &VoiceId,
    s: &NewSample<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "INSERT INTO voice_samples (id, voice_id, workspace_id, position, filename, content_type, size_bytes, sha256,
             object_key, report, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        VoiceSampleId::new().as_str(),
        voice.as_str(),
        ws.as_str(),
        s.position,
        s.filename,
        s.content_type,
        s.size_bytes,
        s.sha256,
        s.object_key,
        s.report,
        now
    )?;
    Ok(())
}

pub async fn insert_consent(tx: &mut Tx, ws: &WorkspaceId, c: &Consent) -> Result<(), sqlx::Error> {
    let hashes = serde_json::to_string(&c.sample_sha256).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    execute!(
        &mut *tx,
        "INSERT INTO voice_consents (voice_id, workspace_id, statement, user_id, user_email, ip, sample_sha256,
             confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        c.voice_id.as_str(),
        ws.as_str(),
        c.statement.as_str(),
        c.user_id.as_ref().map(|u| u.as_str().to_string()),
        c.user_email.as_str(),
        c.ip.as_deref(),
        hashes,
        c.confirmed_at
    )?;
    Ok(())
}

pub async fn find<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, id: &VoiceId) -> Result<Option<Voice>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    q.fetch_optional::<Row>(ex).await?.map(Voice::try_from).transpose()
}

/// The row locked for a change (`FOR UPDATE` on PostgreSQL; SQLite
/// serialises writers anyway).
pub async fn find_for_update(tx: &mut Tx, ws: &WorkspaceId, id: &VoiceId) -> Result<Option<Voice>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    q.fetch_optional::<Row>(&mut *tx).await?.map(Voice::try_from).transpose()
}

/// The workspace's voices, newest first (a workspace has at most its
/// plan's limit of them, so no paging).
pub async fn list<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<Voice>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" ORDER BY created_at DESC, id DESC");
    q.fetch_all::<Row>(ex).await?.into_iter().map(Voice::try_from).collect()
}

/// What the plan's limit counts: voices that are or may become usable.
pub async fn count_live<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM voices WHERE workspace_id = $1 AND status IN ('PROCESSING', 'READY')",
        ws.as_str()
    )
}

/// Voices agents can speak with (the getting-started step).
pub async fn count_ready<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM voices WHERE workspace_id = $1 AND status = 'READY'", ws.as_str())
}

/// Voices still being cloned (what their charges will take from the balance).
pub async fn count_processing<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM voices WHERE workspace_id = $1 AND status = 'PROCESSING'", ws.as_str())
}

/// The workspace's READY voices with the given IDs (agents' validation).
pub async fn ready_ids<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, ids: &[&str]) -> Result<Vec<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT id FROM voices WHERE workspace_id = ");
    q.bind(ws.as_str()).push(" AND status = 'READY' AND id IN (").bind_list(ids.iter().copied()).push(")");
    q.fetch_all::<(String,)>(ex).await.map(|rows| rows.into_iter().map(|(id,)| id).collect())
}

pub async fn set_provider_voice(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &VoiceId,
    provider_voice_id: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE voices SET provider_voice_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        provider_voice_id,
        now
    )?;
    Ok(())
}

/// PROCESSING → READY or FAILED.
pub async fn settle(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &VoiceId,
    status: VoiceStatus,
    provider_voice_id: Option<&str>,
    failure_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let ready_at = (status == VoiceStatus::Ready).then_some(now);
    execute!(
        &mut *tx,
        "UPDATE voices SET status = $3, provider_voice_id = COALESCE($4, provider_voice_id), failure_reason = $5,
             ready_at = $6, updated_at = $7
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        status.as_str(),
        provider_voice_id,
        failure_reason,
        ready_at,
        now
    )?;
    Ok(())
}

pub async fn update_details<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &VoiceId,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE voices SET name = $3, description = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        name,
        description,
        now
    )?;
    Ok(done > 0)
}

pub async fn delete(tx: &mut Tx, ws: &WorkspaceId, id: &VoiceId) -> Result<bool, sqlx::Error> {
    Ok(execute!(&mut *tx, "DELETE FROM voices WHERE workspace_id = $1 AND id = $2", ws.as_str(), id.as_str())? > 0)
}

/// Every voice of the workspace that exists at a provider (the deletion hook).
pub async fn held_at_provider<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<Voice>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND status <> 'FAILED'");
    q.fetch_all::<Row>(ex).await?.into_iter().map(Voice::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    id: String,
    voice_id: String,
    position: i32,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    object_key: Option<String>,
    report: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<SampleRow> for VoiceSample {
    type Error = sqlx::Error;

    fn try_from(r: SampleRow) -> Result<VoiceSample, sqlx::Error> {
        Ok(VoiceSample {
            id: r.id.parse().map_err(|e| decode("sample id", e))?,
            voice_id: r.voice_id.parse().map_err(|e| decode("sample voice_id", e))?,
            position: r.position,
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            object_key: r.object_key,
            report: serde_json::from_str(&r.report).map_err(|e| decode("sample report", e))?,
            created_at: r.created_at,
        })
    }
}

/// A voice's samples, in order.
pub async fn samples<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    voice: &VoiceId,
) -> Result<Vec<VoiceSample>, sqlx::Error> {
    let rows = fetch_all!(
        ex,
        SampleRow,
        "SELECT id, voice_id, position, filename, content_type, size_bytes, sha256, object_key, report, created_at
         FROM voice_samples WHERE workspace_id = $1 AND voice_id = $2 ORDER BY position",
        ws.as_str(),
        voice.as_str()
    )?;
    rows.into_iter().map(VoiceSample::try_from).collect()
}

/// Forgets where a voice's sample files were (they were removed).
pub async fn clear_sample_keys<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    voice: &VoiceId,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE voice_samples SET object_key = NULL WHERE workspace_id = $1 AND voice_id = $2",
        ws.as_str(),
        voice.as_str()
    )?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    voice_id: String,
    statement: String,
    user_id: Option<String>,
    user_email: String,
    ip: Option<String>,
    sample_sha256: String,
    confirmed_at: DateTime<Utc>,
}

pub async fn consent<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    voice: &VoiceId,
) -> Result<Option<Consent>, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        ConsentRow,
        "SELECT voice_id, statement, user_id, user_email, ip, sample_sha256, confirmed_at
         FROM voice_consents WHERE workspace_id = $1 AND voice_id = $2",
        ws.as_str(),
        voice.as_str()
    )?;
    row.map(|r| {
        Ok(Consent {
            voice_id: r.voice_id.parse().map_err(|e| decode("consent voice_id", e))?,
            statement: r.statement,
            user_id: r.user_id.map(|u| u.parse::<UserId>().map_err(|e| decode("consent user_id", e))).transpose()?,
            user_email: r.user_email,
            ip: r.ip,
            sample_sha256: serde_json::from_str(&r.sample_sha256).map_err(|e| decode("consent hashes", e))?,
            confirmed_at: r.confirmed_at,
        })
    })
    .transpose()
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    default_voice: Option<String>,
    elevenlabs_key_sealed: Option<String>,
    elevenlabs_label: Option<String>,
}

pub async fn settings<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<VoiceSettings, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        SettingsRow,
        "SELECT default_voice, elevenlabs_key_sealed, elevenlabs_label FROM workspace_voice_settings
         WHERE workspace_id = $1",
        ws.as_str()
    )?;
    Ok(row.map_or_else(VoiceSettings::default, |r| VoiceSettings {
        default_voice: r.default_voice,
        has_own_key: r.elevenlabs_key_sealed.is_some(),
        own_key_label: r.elevenlabs_label,
    }))
}

/// The workspace's sealed ElevenLabs key and the row ID it is sealed with.
pub async fn sealed_key<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Option<(String, String)>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = fetch_optional!(
        ex,
        (String, Option<String>),
        "SELECT id, elevenlabs_key_sealed FROM workspace_voice_settings WHERE workspace_id = $1",
        ws.as_str()
    )?;
    Ok(row.and_then(|(id, sealed)| sealed.map(|s| (id, s))))
}

/// The settings row's ID: the workspace's own (see the migration).
pub fn settings_row_id(ws: &WorkspaceId) -> String {
    ws.as_str().to_string()
}

pub async fn set_default_voice<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    voice: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO workspace_voice_settings (id, workspace_id, default_voice, updated_at) VALUES ($1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET default_voice = excluded.default_voice, updated_at = excluded.updated_at",
        ws.as_str(),
        voice,
        now
    )?;
    Ok(())
}

/// Sets (or with `None`, removes) the workspace's own key.
pub async fn set_key<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    key: Option<(&str, &str, &str)>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (sealed, account, label) = match key {
        Some((sealed, account, label)) => (Some(sealed), Some(account), Some(label)),
        None => (None, None, None),
    };
    execute!(
        ex,
        "INSERT INTO workspace_voice_settings (id, workspace_id, elevenlabs_key_sealed, elevenlabs_account,
             elevenlabs_label, updated_at) VALUES ($1, $1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET elevenlabs_key_sealed = excluded.elevenlabs_key_sealed,
             elevenlabs_account = excluded.elevenlabs_account, elevenlabs_label = excluded.elevenlabs_label,
             updated_at = excluded.updated_at",
        ws.as_str(),
        sealed,
        account,
        label,
        now
    )?;
    Ok(())
}

/// Clears the default voice wherever it names `voice` (a deleted voice).
pub async fn clear_default_if(
    tx: &mut Tx,
    ws: &WorkspaceId,
    voice: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE workspace_voice_settings SET default_voice = NULL, updated_at = $3
         WHERE workspace_id = $1 AND default_voice = $2",
        ws.as_str(),
        voice,
        now
    )?;
    Ok(())
}
