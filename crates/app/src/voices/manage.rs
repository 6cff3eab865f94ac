//! Reading and managing custom voices: list and read (every role: agents
//! pick voices), rename and describe, delete, and the workspace's default
//! voice (Admins).
//!
//! **Deleting** is one transaction: the row goes (its samples and consent
//! with it), the default voice is cleared if it was this one, `voice.deleted`
//! is audited and sent, and a `voice.delete` job is enqueued that deletes
//! the clone at its provider and any sample files left. The request tries
//! that job's work at once; if the provider is unavailable the job retries
//! it on the job schedule. The job carries everything it needs (provider,
//! its voice ID, the sealed key of the workspace's own account), because
//! the rows are gone — also after the workspace's deletion, whose hook
//! ([`on_workspace_deleted`]) enqueues one such job per voice.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use switchboard_core::{VoiceId, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::voices::{VoiceError, VoiceProvider};

use super::model::{
    Consent, ProviderAccount, Voice, VoiceSample, VoiceSettings, VoiceStatus, parse_description, parse_name,
};
use super::{byok, provider, store};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

pub const DELETE_JOB: &str = "voice.delete";

/// A voice with its samples and consent record, for its page.
#[derive(Debug, Clone, Serialize)]
pub struct VoiceDetail {
    pub voice: Voice,
    pub samples: Vec<VoiceSample>,
    pub consent: Option<Consent>,
}

fn not_found() -> AppError {
    AppError::not_found("The voice")
}

/// The workspace's custom voices, newest first (every role).
pub async fn list(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Vec<Voice>> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(store::list(&state.db, &ctx.workspace.id).await?)
}

/// One voice (every role); another workspace's is not found.
pub async fn get(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId) -> AppResult<Voice> {
    ctx.require(Permission::ViewWorkspace)?;
    store::find(&state.db, &ctx.workspace.id, id).await?.ok_or_else(not_found)
}

/// One voice with its samples and consent record (Admins: the consent
/// names a person, their email and IP).
pub async fn detail(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId) -> AppResult<VoiceDetail> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let voice = store::find(&state.db, ws, id).await?.ok_or_else(not_found)?;
    let samples = store::samples(&state.db, ws, id).await?;
    let consent = store::consent(&state.db, ws, id).await?;
    Ok(VoiceDetail { voice, samples, consent })
}

/// A change: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct VoiceUpdate<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// Renames or describes a voice (Admins); a READY voice changes at its
/// provider first, so the two never disagree for long. A provider that
/// cannot be reached refuses the change (nothing is saved).
pub async fn update(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId, change: &VoiceUpdate<'_>) -> AppResult<Voice> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let before = store::find(&state.db, ws, id).await?.ok_or_else(not_found)?;
    let mut errors = Vec::new();
    let name = change.name.map(parse_name).transpose().map_err(|e| errors.push(e)).ok().flatten();
    let description = change.description.map(parse_description).transpose().map_err(|e| errors.push(e)).ok().flatten();
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let name = name.unwrap_or_else(|| before.name.clone());
    let description = description.unwrap_or_else(|| before.description.clone());
    if name == before.name && description == before.description {
        return Ok(before);
    }
    if before.status == VoiceStatus::Ready
        && let Some(provider_voice_id) = &before.provider_voice_id
    {
        match provider::for_voice(state, &before).await? {
            Ok(client) => {
                client.edit_voice(provider_voice_id, &name, &description).await.map_err(provider::provider_error)?
            }
            // Only our copy can change: the provider cannot be reached from here.
            Err(unreachable) => tracing::info!(voice = %id, ?unreachable, "renaming a voice only here"),
        }
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::update_details(&mut tx, ws, id, &name, &description, now).await? {
        return Err(not_found());
    }
    let changes =
        Changes::new().field("name", &before.name, &name).field("description", &before.description, &description);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::UPDATED, &Target::new("voice", id, &name), &changes, now)
        .await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    store::find(&state.db, ws, id).await?.ok_or_else(not_found)
}

/// What the delete job needs, the rows being gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderDelete {
    pub voice_id: String,
    pub provider: String,
    /// `None` while the clone was being made: the job looks it up by reference.
    pub provider_voice_id: Option<String>,
    /// For a clone in the workspace's own account: the sealed key and the
    /// settings row ID it is sealed with. Never the key in clear.
    pub sealed_key: Option<(String, String)>,
    /// Sample files still stored.
    pub object_keys: Vec<String>,
}

async fn provider_delete_of(tx: &mut Tx, voice: &Voice) -> Result<ProviderDelete, sqlx::Error> {
    let ws = &voice.workspace_id;
    let sealed_key = match voice.provider_account {
        ProviderAccount::Workspace => store::sealed_key(&mut *tx, ws).await?,
        ProviderAccount::Platform => None,
    };
    let mut object_keys: Vec<String> =
        store::samples(&mut *tx, ws, &voice.id).await?.into_iter().filter_map(|s| s.object_key).collect();
    object_keys.push(super::preview::custom_key(ws, &voice.id));
    Ok(ProviderDelete {
        voice_id: voice.id.to_string(),
        provider: voice.provider.clone(),
        provider_voice_id: voice.provider_voice_id.clone(),
        sealed_key,
        object_keys,
    })
}

async fn enqueue_delete(tx: &mut Tx, job: &ProviderDelete, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    // Not tied to the workspace: it must outlive the workspace's deletion.
    crate::jobs::enqueue(tx, NewJob { kind: DELETE_JOB, payload, workspace_id: None, run_at: now }).await?;
    Ok(())
}

/// Deletes a voice (Admins), also at its provider (see the module header).
pub async fn delete(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId) -> AppResult<()> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, ws, id).await?.ok_or_else(not_found)?;
    let job = provider_delete_of(&mut tx, &before).await?;
    store::delete(&mut tx, ws, id).await?;
    store::clear_default_if(&mut tx, ws, id.as_str(), now).await?;
    let changes = Changes::new().field("status", before.status.as_str(), "DELETED");
    audit::record(
        &mut tx,
        &Origin::from_ctx(ctx),
        &super::DELETED,
        &Target::new("voice", id, &before.name),
        &changes,
        now,
    )
    .await?;
    enqueue_delete(&mut tx, &job, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    // Try now; the job retries what fails.
    if let Err(err) = provider_side(state, &job).await {
        tracing::warn!(voice = %id, error = %err, "deleting a voice at its provider failed; the job retries it");
    }
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// Deletes the clone at its provider and the sample files left. An
/// unavailable provider is an error to retry; a clone already gone, or one
/// this server cannot reach (another platform provider), is done.
pub async fn provider_side(state: &AppState, job: &ProviderDelete) -> Result<(), String> {
    for key in &job.object_keys {
        state.files.delete(key).await.map_err(|e| format!("removing a sample: {e}"))?;
    }
    let client: std::sync::Arc<dyn VoiceProvider> = match &job.sealed_key {
        Some((row_id, sealed)) => {
            let key = byok::open_sealed(state, row_id, sealed).map_err(|e| format!("{e:?}"))?;
            provider::for_key(&state.config, key.expose()).map_err(|e| e.to_string())?
        }
        None if job.provider == state.voices.provider().name() => state.voices.provider().clone(),
        None => return Ok(()),
    };
    let provider_voice_id = match &job.provider_voice_id {
        Some(id) => Some(id.clone()),
        None => client.find_clone(&job.voice_id).await.map_err(|e| e.to_string())?,
    };
    let Some(provider_voice_id) = provider_voice_id else { return Ok(()) };
    match client.delete_voice(&provider_voice_id).await {
        Ok(()) | Err(VoiceError::NotFound) => Ok(()),
        Err(VoiceError::Unauthorized) => {
            // The workspace's key no longer opens its account: nothing more we can do.
            tracing::warn!(voice = %job.voice_id, "the provider refused the key; the clone stays in that account");
            Ok(())
        }
        Err(err) => Err(err.to_string()),
    }
}

/// The `voice.delete` job.
pub struct DeleteJob;

#[async_trait]
impl JobHandler for DeleteJob {
    fn kind(&self) -> &'static str {
        DELETE_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: ProviderDelete = job.payload_as()?;
        provider_side(state, &payload).await.map_err(JobError::Retry)
    }
}

/// The deletion hook: every voice of the workspace is deleted at its
/// provider by a job that outlives the workspace's rows.
pub fn on_workspace_deleted<'a>(
    tx: &'a mut Tx,
    ws: &'a WorkspaceId,
    now: DateTime<Utc>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    async move {
        for voice in store::held_at_provider(&mut *tx, ws).await? {
            let job = provider_delete_of(tx, &voice).await?;
            enqueue_delete(tx, &job, now).await?;
        }
        Ok(())
    }
    .boxed()
}

/// Sets the workspace's default voice (Admins): a library voice's ID or
/// one of its READY custom voices; `None` clears it. Agents without a
/// voice of their own use it.
pub async fn set_default_voice(state: &AppState, ctx: &WorkspaceCtx, voice: Option<&str>) -> AppResult<VoiceSettings> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let voice = voice.map(str::trim).filter(|v| !v.is_empty());
    if let Some(id) = voice
        && (id.len() > 100 || !super::resolve_voice(state, ws, id).await?)
    {
        return Err(AppError::field("voice_id", "Choose a voice of the library or one of your ready custom voices."));
    }
    let before = store::settings(&state.db, ws).await?;
    if before.default_voice.as_deref() == voice {
        return Ok(before);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::set_default_voice(&mut tx, ws, voice, now).await?;
    let changes = Changes::new().field("default_voice", before.default_voice.as_deref(), voice);
    let target = Target::new("voice_settings", ws, "Voice settings");
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::DEFAULT_CHANGED, &target, &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(store::settings(&state.db, ws).await?)
}
