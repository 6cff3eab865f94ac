//! The workspace's own ElevenLabs key (Admins): verified against the
//! provider before it is saved, sealed under the server key (purpose
//! [`PURPOSE`], the settings row's ID as associated data), never shown
//! again (the page shows the account's label). Clones made while it is set
//! live in the workspace's account; removing it leaves those clones there
//! (this server can then no longer rename or delete them at ElevenLabs).
//! The audit entries name the account's label, never the key.
use switchboard_core::WorkspaceId;

use super::model::VoiceSettings;
use super::{provider, store};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::sealed::{self, SecretString};
use crate::state::AppState;
use switchboard_providers::voices::VoiceError;

/// The sealing purpose of `workspace_voice_settings.elevenlabs_key_sealed`.
pub const PURPOSE: &str = "voices.elevenlabs_key";
/// Longest key accepted (ElevenLabs' are about 50 characters).
pub const MAX_KEY_CHARS: usize = 200;

/// The workspace's key, opened, if it brought one.
pub async fn open_key(state: &AppState, ws: &WorkspaceId) -> AppResult<Option<SecretString>> {
    let Some((row_id, sealed)) = store::sealed_key(&state.db, ws).await? else { return Ok(None) };
    open_sealed(state, &row_id, &sealed).map(Some)
}

/// Opens a key sealed for the settings row `row_id` (also from a job
/// payload, after the workspace is gone).
pub fn open_sealed(state: &AppState, row_id: &str, sealed: &str) -> AppResult<SecretString> {
    sealed::open(&state.server_key, PURPOSE, row_id.as_bytes(), sealed)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("opening the workspace's ElevenLabs key: {e}")))
}

fn target(ws: &WorkspaceId) -> Target {
    Target::new("voice_settings", ws, "Voice settings")
}

/// Verifies `api_key` at ElevenLabs and saves it sealed.
pub async fn set_key(state: &AppState, ctx: &WorkspaceCtx, api_key: &str) -> AppResult<VoiceSettings> {
    ctx.require(Permission::ManageSettings)?;
    let api_key = api_key.trim();
    if api_key.is_empty() {
        return Err(AppError::field("api_key", "Paste the ElevenLabs API key."));
    }
    if api_key.chars().count() > MAX_KEY_CHARS || api_key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::field("api_key", "That does not look like an ElevenLabs API key."));
    }
    let client = provider::for_key(&state.config, api_key).map_err(provider::provider_error)?;
    let account = match client.verify().await {
        Ok(account) => account,
        Err(VoiceError::Unauthorized) => {
            return Err(AppError::field("api_key", "ElevenLabs refused this key. Check it and try again."));
        }
        Err(err) => return Err(provider::provider_error(err)),
    };
    let ws = &ctx.workspace.id;
    let row_id = store::settings_row_id(ws);
    let sealed = sealed::seal(&state.server_key, PURPOSE, row_id.as_bytes(), api_key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("sealing the ElevenLabs key: {e}")))?;
    let now = state.clock.now();
    let before = store::settings(&state.db, ws).await?;
    let mut tx = state.db.begin().await?;
    store::set_key(&mut tx, ws, Some((sealed.as_str(), &account.account_ref, &account.label)), now).await?;
    let changes = Changes::new().field("elevenlabs_account", before.own_key_label.as_deref(), account.label.as_str());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::KEY_SET, &target(ws), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(store::settings(&state.db, ws).await?)
}

/// Forgets the workspace's key; new clones go to the platform's account.
pub async fn remove_key(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<VoiceSettings> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let before = store::settings(&state.db, ws).await?;
    if !before.has_own_key {
        return Ok(before);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::set_key(&mut tx, ws, None, now).await?;
    let changes = Changes::new().field("elevenlabs_account", before.own_key_label.as_deref(), None::<&str>);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::KEY_REMOVED, &target(ws), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(store::settings(&state.db, ws).await?)
}

/// The workspace's voice settings (every role: the agents page shows the
/// default voice; the key itself is never part of them).
pub async fn voice_settings(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<VoiceSettings> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(store::settings(&state.db, &ctx.workspace.id).await?)
}
