//! Preview audio of a library voice or a READY custom voice, for the
//! pages' players. Fetched from the provider once and kept in the file
//! store (library previews under `voice-previews/<provider>/<id>`, shared by
//! every workspace; a custom voice's under its own folder, removed with
//! it). Every role of the workspace may listen: the agents page shows
//! voices to Members and Viewers too.
use switchboard_core::{VoiceId, WorkspaceId};
use switchboard_providers::voices::Audio;

use super::model::VoiceStatus;
use super::{library, provider, store};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// Where a custom voice's preview is cached.
pub fn custom_key(ws: &WorkspaceId, id: &VoiceId) -> String {
    format!("voices/{ws}/{id}/preview")
}

fn library_key(provider: &str, voice_id: &str) -> Option<String> {
    let safe = |s: &str| {
        !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (safe(provider) && safe(voice_id)).then(|| format!("voice-previews/{provider}/{voice_id}"))
}

/// The cached file under `key`, or `fetch`ed and cached.
async fn cached(
    state: &AppState,
    key: &str,
    fetch: impl std::future::Future<Output = AppResult<Audio>>,
) -> AppResult<Audio> {
    match state.files.get(key).await {
        Ok(Some(file)) => return Ok(Audio { content_type: file.content_type, bytes: file.bytes.to_vec() }),
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, key, "reading a cached voice preview failed"),
    }
    let audio = fetch.await?;
    if let Err(err) = state.files.put(key, bytes::Bytes::from(audio.bytes.clone()), &audio.content_type).await {
        tracing::warn!(error = %err, key, "caching a voice preview failed");
    }
    Ok(audio)
}

/// A library voice's preview (every role).
pub async fn library_preview(state: &AppState, ctx: &WorkspaceCtx, voice_id: &str) -> AppResult<Audio> {
    ctx.require(Permission::ViewWorkspace)?;
    let not_found = || AppError::not_found("The voice");
    // Only voices of the library: an arbitrary ID neither reaches the
    // provider nor fills the cache.
    library::find(state, voice_id).await?.ok_or_else(not_found)?;
    let key = library_key(state.voices.provider().name(), voice_id).ok_or_else(not_found)?;
    cached(state, &key, async { state.voices.provider().preview(voice_id).await.map_err(provider::provider_error) })
        .await
}

/// A READY custom voice's preview (every role of its workspace).
pub async fn custom_preview(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId) -> AppResult<Audio> {
    ctx.require(Permission::ViewWorkspace)?;
    let ws = &ctx.workspace.id;
    let not_found = || AppError::not_found("The voice");
    let voice = store::find(&state.db, ws, id).await?.ok_or_else(not_found)?;
    let (VoiceStatus::Ready, Some(provider_voice_id)) = (voice.status, voice.provider_voice_id.clone()) else {
        return Err(AppError::conflict("voice_not_ready", "The voice has no preview until its clone is ready."));
    };
    cached(state, &custom_key(ws, id), async {
        match provider::for_voice(state, &voice).await? {
            Ok(client) => client.preview(&provider_voice_id).await.map_err(provider::provider_error),
            Err(_) => Err(AppError::conflict("voice_unreachable", "This voice's provider account cannot be reached.")),
        }
    })
    .await
}
