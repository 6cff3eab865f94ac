//! Which provider account a voice call goes to: the platform's (built from
//! `[voices]` at start-up, held in `AppState::voices`), or a workspace's
//! own ElevenLabs account (its sealed key, opened for the call and
//! dropped after).
use std::sync::Arc;

use switchboard_core::WorkspaceId;
use switchboard_providers::voices::cache::CachedLibrary;
use switchboard_providers::voices::sandbox::SandboxVoices;
use switchboard_providers::voices::{VoiceError, VoiceProvider};

use super::byok;
use super::model::{ProviderAccount, Voice};
use super::settings::PlatformVoices;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where the sandbox keeps its clones, under the data folder.
pub const SANDBOX_DIR: &str = "sandbox-voices";

/// The platform's voice provider, as configured, with its library cached.
pub fn platform(config: &Config) -> anyhow::Result<Arc<CachedLibrary>> {
    let inner: Arc<dyn VoiceProvider> = match &config.voices.platform {
        PlatformVoices::Sandbox => {
            let dir = config.data_dir.join(SANDBOX_DIR);
            let sandbox = SandboxVoices::new(&dir)
                .map_err(|e| anyhow::anyhow!("creating the sandbox voices' folder {}: {e}", dir.display()))?;
            Arc::new(sandbox)
        }
        PlatformVoices::ElevenLabs { api_key } => {
            for_key(config, api_key.expose()).map_err(|e| anyhow::anyhow!("--voice-provider elevenlabs: {e}"))?
        }
    };
    Ok(Arc::new(CachedLibrary::new(inner)))
}

/// An ElevenLabs client for `api_key` (the platform's or a workspace's) at
/// the configured `--elevenlabs-api-base`.
pub fn for_key(config: &Config, api_key: &str) -> Result<Arc<dyn VoiceProvider>, VoiceError> {
    let client =
        switchboard_providers::voices::elevenlabs::ElevenLabs::new(&config.voices.elevenlabs_api_base, api_key)?;
    Ok(Arc::new(client))
}

/// The provider new clones of `ws` go to: its own ElevenLabs account when it
/// brought a key, else the platform's.
pub async fn for_new_clone(state: &AppState, ws: &WorkspaceId) -> AppResult<(Arc<dyn VoiceProvider>, ProviderAccount)> {
    match byok::open_key(state, ws).await? {
        Some(key) => Ok((for_key(&state.config, key.expose()).map_err(provider_error)?, ProviderAccount::Workspace)),
        None => Ok((state.voices.provider().clone(), ProviderAccount::Platform)),
    }
}

/// Why a voice's provider cannot be reached from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// The workspace's key was removed after the clone was made in its account.
    KeyRemoved,
    /// Cloned through another platform provider than this server's (the
    /// configuration changed).
    OtherProvider(String),
}

/// The provider account that holds `voice`.
pub async fn for_voice(state: &AppState, voice: &Voice) -> AppResult<Result<Arc<dyn VoiceProvider>, Unreachable>> {
    match voice.provider_account {
        ProviderAccount::Workspace => match byok::open_key(state, &voice.workspace_id).await? {
            Some(key) => Ok(Ok(for_key(&state.config, key.expose()).map_err(provider_error)?)),
            None => Ok(Err(Unreachable::KeyRemoved)),
        },
        ProviderAccount::Platform if voice.provider != state.voices.provider().name() => {
            Ok(Err(Unreachable::OtherProvider(voice.provider.clone())))
        }
        ProviderAccount::Platform => Ok(Ok(state.voices.provider().clone())),
    }
}

/// What a provider's refusal means to the person asking.
pub fn provider_error(err: VoiceError) -> AppError {
    match err {
        VoiceError::Rejected(message) => AppError::unprocessable("voice_provider_rejected", message),
        VoiceError::NotFound => {
            AppError::unprocessable("voice_provider_rejected", "The voice provider does not know that voice.")
        }
        VoiceError::Unauthorized => AppError::unprocessable(
            "voice_provider_unauthorized",
            "The voice provider refused the account's key. Check the ElevenLabs key in Settings → Voices.",
        ),
        VoiceError::Unavailable(_) => {
            tracing::warn!(error = %err, "voice provider call failed");
            AppError::unprocessable(
                "voice_provider_unavailable",
                "The voice provider cannot be reached just now. Try again shortly.",
            )
            .with_retry_after(30)
        }
    }
}
