//! The `voice.clone` job: a PROCESSING voice becomes READY (charged) or
//! FAILED (with the provider's reason, not charged).
//!
//! Safe to retry and to run in several processes: the provider is **asked
//! first** (`find_clone` with the voice's ID as reference) and cloned only
//! when it holds nothing for it, so a process killed after the provider
//! made the clone finds it on the next run instead of making a second.
//! Settling locks the balance row, then the voice, and does nothing unless
//! the voice is still PROCESSING; the `voice_clone` usage event's
//! idempotency key (`voice_clone:<voice id>`) makes the charge exactly once
//! even if two runs got that far. A provider that is unavailable is retried
//! on the job schedule (`--job-retry-schedule`, with jitter); on the last
//! attempt the voice is marked FAILED. A refusal (bad samples, quota) or a
//! refused key fails at once. Once settled, the sample files are removed
//! from storage (their hashes and reports stay).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{VoiceId, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::voices::{CloneRequest, Sample, VoiceError};

use super::model::{Voice, VoiceStatus};
use super::provider::{self, Unreachable};
use super::store;
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::ledger;
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::state::AppState;
use crate::usage::ingest_input::NewEvent;
use crate::usage::types::UsageType;

pub const CLONE_JOB: &str = "voice.clone";

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    voice_id: String,
}

/// Enqueues the voice's clone job in the caller's transaction.
pub async fn enqueue(tx: &mut Tx, ws: &WorkspaceId, id: &VoiceId, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let payload = serde_json::json!(Payload { voice_id: id.to_string() });
    crate::jobs::enqueue(tx, NewJob { kind: CLONE_JOB, payload, workspace_id: Some(ws.clone()), run_at: at }).await?;
    Ok(())
}

/// Enqueues the clone job again, due now (tests: a retry, another process).
pub async fn enqueue_now(state: &AppState, ws: &WorkspaceId, id: &VoiceId) {
    let now = state.clock.now();
    let run = async {
        let mut tx = state.db.begin().await?;
        enqueue(&mut tx, ws, id, now).await?;
        tx.commit().await?;
        Ok::<(), anyhow::Error>(())
    };
    if let Err(err) = run.await {
        tracing::warn!(voice = %id, error = %err, "could not enqueue the clone job");
    }
}

/// The usage event's idempotency key: one charge per voice.
pub fn charge_key(id: &VoiceId) -> String {
    format!("voice_clone:{id}")
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not PROCESSING (settled before, or deleted).
    Settled,
    Done(VoiceStatus),
    /// The provider could not be reached; try again later.
    Unavailable(String),
}

/// One run's work for the voice (see the module header). `last_attempt`:
/// an unavailable provider fails the voice instead of waiting again.
pub async fn run_clone(state: &AppState, ws: &WorkspaceId, id: &VoiceId, last_attempt: bool) -> AppResult<Outcome> {
    let Some(voice) = store::find(&state.db, ws, id).await? else { return Ok(Outcome::Settled) };
    if voice.status != VoiceStatus::Processing {
        return Ok(Outcome::Settled);
    }
    let client = match provider::for_voice(state, &voice).await? {
        Ok(client) => client,
        Err(Unreachable::KeyRemoved) => {
            let reason = "The workspace's ElevenLabs key was removed before the clone was made.";
            return fail(state, &voice, reason).await;
        }
        Err(Unreachable::OtherProvider(name)) => {
            let reason = format!("This server no longer clones with the {name} provider.");
            return fail(state, &voice, &reason).await;
        }
    };
    let answer = match client.find_clone(id.as_str()).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => clone_now(state, client.as_ref(), &voice).await?,
        Err(err) => Err(err),
    };
    match answer {
        Ok(provider_voice_id) => ready(state, &voice, &provider_voice_id).await,
        Err(VoiceError::Rejected(reason)) => fail(state, &voice, &reason).await,
        Err(VoiceError::Unauthorized) => {
            fail(state, &voice, "The voice provider refused the account's key; check the ElevenLabs key.").await
        }
        Err(VoiceError::NotFound) => fail(state, &voice, "The voice provider could not make the clone.").await,
        Err(VoiceError::Unavailable(detail)) if last_attempt => {
            tracing::warn!(voice = %id, detail = %detail, "voice provider still unavailable; giving up");
            fail(state, &voice, "The voice provider could not be reached for too long; nothing was charged. Try again.")
                .await
        }
        Err(VoiceError::Unavailable(detail)) => Ok(Outcome::Unavailable(detail)),
    }
}

/// Reads the samples back and asks the provider for the clone.
async fn clone_now(
    state: &AppState,
    client: &dyn switchboard_providers::voices::VoiceProvider,
    voice: &Voice,
) -> AppResult<Result<String, VoiceError>> {
    let samples = store::samples(&state.db, &voice.workspace_id, &voice.id).await?;
    let mut files = Vec::with_capacity(samples.len());
    for sample in &samples {
        let Some(key) = &sample.object_key else {
            return Ok(Err(VoiceError::Rejected("The samples are no longer stored; clone the voice again.".into())));
        };
        let stored = state
            .files
            .get(key)
            .await
            .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("reading a voice sample")))?;
        let Some(stored) = stored else {
            return Ok(Err(VoiceError::Rejected("The samples are no longer stored; clone the voice again.".into())));
        };
        files.push((sample, stored.bytes));
    }
    let parts: Vec<Sample<'_>> =
        files.iter().map(|(s, bytes)| Sample { filename: &s.filename, content_type: &s.content_type, bytes }).collect();
    let request = CloneRequest {
        name: &voice.name,
        description: &voice.description,
        language: &voice.language,
        gender: voice.gender,
        reference: voice.id.as_str(),
        samples: &parts,
    };
    Ok(client.clone_voice(&request).await)
}

/// PROCESSING → READY, charged, in one transaction.
async fn ready(state: &AppState, voice: &Voice, provider_voice_id: &str) -> AppResult<Outcome> {
    let ws = &voice.workspace_id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Balance first, then the voice: the order creating a voice locks in.
    ledger::lock_balance(&mut tx, ws, now).await?;
    let Some(before) = store::find_for_update(&mut tx, ws, &voice.id).await? else {
        // Deleted while the provider worked: the clone it made must go too.
        tx.rollback().await?;
        if let Ok(Ok(client)) = provider::for_voice(state, voice).await
            && let Err(err) = client.delete_voice(provider_voice_id).await
        {
            tracing::warn!(voice = %voice.id, error = %err, "could not delete the clone of a deleted voice");
        }
        return Ok(Outcome::Settled);
    };
    if before.status != VoiceStatus::Processing {
        return Ok(Outcome::Settled);
    }
    let event = NewEvent {
        usage_type: UsageType::VoiceClone,
        quantity: 1,
        occurred_at: now,
        agent_id: None,
        idempotency_key: charge_key(&voice.id),
        metadata: Some(serde_json::json!({ "voice_id": voice.id.to_string() }).to_string()),
    };
    let recorded = crate::usage::ingest::record_in(state, &mut tx, ws, &[event]).await?;
    store::settle(&mut tx, ws, &voice.id, VoiceStatus::Ready, Some(provider_voice_id), None, now).await?;
    let changes = Changes::new()
        .field("status", VoiceStatus::Processing.as_str(), VoiceStatus::Ready.as_str())
        .field("provider_voice_id", (), provider_voice_id)
        .field("charged", 0, recorded.credits);
    let target = Target::new("voice", &voice.id, &before.name);
    audit::record(&mut tx, &Origin::system(ws.clone()), &super::READY, &target, &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    if !recorded.alerts.is_empty() {
        state.jobs_wakeup.notify_one();
    }
    remove_samples(state, ws, &voice.id).await;
    Ok(Outcome::Done(VoiceStatus::Ready))
}

/// PROCESSING → FAILED with `reason`; nothing was charged.
async fn fail(state: &AppState, voice: &Voice, reason: &str) -> AppResult<Outcome> {
    let ws = &voice.workspace_id;
    let now = state.clock.now();
    let reason: String = reason.chars().take(500).collect();
    let mut tx = state.db.begin().await?;
    let Some(before) = store::find_for_update(&mut tx, ws, &voice.id).await? else { return Ok(Outcome::Settled) };
    if before.status != VoiceStatus::Processing {
        return Ok(Outcome::Settled);
    }
    store::settle(&mut tx, ws, &voice.id, VoiceStatus::Failed, None, Some(&reason), now).await?;
    let changes = Changes::new().field("status", VoiceStatus::Processing.as_str(), VoiceStatus::Failed.as_str()).field(
        "failure_reason",
        (),
        &reason,
    );
    let target = Target::new("voice", &voice.id, &before.name);
    audit::record(&mut tx, &Origin::system(ws.clone()), &super::FAILED, &target, &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    remove_samples(state, ws, &voice.id).await;
    Ok(Outcome::Done(VoiceStatus::Failed))
}

/// Removes a settled voice's sample files; their hashes and reports stay.
/// A file that cannot be removed now stays listed (its key kept), so a
/// later deletion of the voice tries again.
pub async fn remove_samples(state: &AppState, ws: &WorkspaceId, id: &VoiceId) {
    let samples = match store::samples(&state.db, ws, id).await {
        Ok(samples) => samples,
        Err(err) => {
            tracing::warn!(voice = %id, error = %err, "could not list a voice's samples to remove them");
            return;
        }
    };
    let mut all_gone = true;
    for key in samples.iter().filter_map(|s| s.object_key.as_deref()) {
        if let Err(err) = state.files.delete(key).await {
            tracing::warn!(voice = %id, error = %err, "could not remove a voice sample");
            all_gone = false;
        }
    }
    if all_gone && let Err(err) = store::clear_sample_keys(&state.db, ws, id).await {
        tracing::warn!(voice = %id, error = %err, "could not record that a voice's samples were removed");
    }
}

/// The `voice.clone` job.
pub struct CloneJob;

#[async_trait]
impl JobHandler for CloneJob {
    fn kind(&self) -> &'static str {
        CLONE_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: Payload = job.payload_as()?;
        let ws = job.workspace_id.clone().ok_or_else(|| JobError::Permanent("no workspace".into()))?;
        let id: VoiceId =
            payload.voice_id.parse().map_err(|_| JobError::Permanent("the voice ID does not parse".into()))?;
        let max_attempts = state.config.jobs.retry_schedule.len() + 1;
        let last_attempt = job.attempts as usize >= max_attempts;
        match run_clone(state, &ws, &id, last_attempt).await.map_err(|e| JobError::Retry(format!("{e:?}")))? {
            Outcome::Unavailable(detail) => Err(JobError::Retry(format!("voice provider unavailable: {detail}"))),
            Outcome::Settled | Outcome::Done(_) => Ok(()),
        }
    }
}
