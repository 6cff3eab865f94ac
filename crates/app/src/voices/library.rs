//! The provider's library of stock voices: [`Cached`] keeps the platform
//! provider's list for [`FRESH_FOR`] and refreshes it in the background
//! after that (a stale list is answered meanwhile, so no request waits on
//! the provider once the first list arrived); [`list`] filters it by
//! language and gender for the pages and the API.
//!
//! The cache is per process: every process fetches its own copy, which is
//! the same list (the library is the provider's, not ours).
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use switchboard_providers::voices::{
    AccountInfo, Audio, CloneRequest, Gender, LibraryVoice, VoiceError, VoiceProvider,
};
use tokio::sync::Mutex;

use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// How long a fetched library is served without asking again.
pub const FRESH_FOR: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
struct Slot {
    fetched: Option<(Instant, Arc<Vec<LibraryVoice>>)>,
    refreshing: bool,
}

/// A provider whose [`VoiceProvider::library`] is cached; every other call
/// goes straight through.
pub struct Cached {
    inner: Arc<dyn VoiceProvider>,
    slot: Arc<Mutex<Slot>>,
}

impl Cached {
    pub fn new(inner: Arc<dyn VoiceProvider>) -> Cached {
        Cached { inner, slot: Arc::default() }
    }

    async fn cached_library(&self) -> Result<Arc<Vec<LibraryVoice>>, VoiceError> {
        let mut slot = self.slot.lock().await;
        match &slot.fetched {
            Some((at, list)) if at.elapsed() < FRESH_FOR => return Ok(list.clone()),
            Some((_, list)) => {
                let list = list.clone();
                if !slot.refreshing {
                    slot.refreshing = true;
                    let (inner, shared) = (self.inner.clone(), self.slot.clone());
                    tokio::spawn(async move {
                        let fetched = inner.library().await;
                        let mut slot = shared.lock().await;
                        slot.refreshing = false;
                        match fetched {
                            Ok(list) => slot.fetched = Some((Instant::now(), Arc::new(list))),
                            Err(err) => tracing::warn!(error = %err, "refreshing the voice library failed"),
                        }
                    });
                }
                return Ok(list);
            }
            None => {}
        }
        // The first fetch: requests wait for it (holding the lock, so one
        // fetch serves them all).
        let list = Arc::new(self.inner.library().await?);
        slot.fetched = Some((Instant::now(), list.clone()));
        Ok(list)
    }
}

#[async_trait]
impl VoiceProvider for Cached {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    async fn verify(&self) -> Result<AccountInfo, VoiceError> {
        self.inner.verify().await
    }
    async fn library(&self) -> Result<Vec<LibraryVoice>, VoiceError> {
        Ok(self.cached_library().await?.as_ref().clone())
    }
    async fn preview(&self, voice_id: &str) -> Result<Audio, VoiceError> {
        self.inner.preview(voice_id).await
    }
    async fn clone_voice(&self, request: &CloneRequest<'_>) -> Result<String, VoiceError> {
        self.inner.clone_voice(request).await
    }
    async fn find_clone(&self, reference: &str) -> Result<Option<String>, VoiceError> {
        self.inner.find_clone(reference).await
    }
    async fn edit_voice(&self, voice_id: &str, name: &str, description: &str) -> Result<(), VoiceError> {
        self.inner.edit_voice(voice_id, name, description).await
    }
    async fn delete_voice(&self, voice_id: &str) -> Result<(), VoiceError> {
        self.inner.delete_voice(voice_id).await
    }
}

/// A library filter as typed (query parameters or a GET form).
#[derive(Debug, Clone, Default)]
pub struct LibraryFilter<'a> {
    /// A language code (`en`, `en-GB`); empty: every language.
    pub language: &'a str,
    /// `MALE`, `FEMALE`, `NOT_SPECIFIED`; empty: every gender.
    pub gender: &'a str,
}

/// Whether a voice speaking `voice_language` matches the asked `language`:
/// `en` matches `en-US` and `en-GB`; `en-GB` only `en-GB` (and a bare `en`).
fn language_matches(voice_language: &str, language: &str) -> bool {
    let (v, l) = (voice_language.to_ascii_lowercase().replace('_', "-"), language.to_ascii_lowercase().replace('_', "-"));
    if l.contains('-') {
        v == l || !v.contains('-') && l.split('-').next() == Some(v.as_str())
    } else {
        v.split('-').next() == Some(l.as_str())
    }
}

/// The library's voices matching `filter`, in the provider's order (every role).
pub async fn list(state: &AppState, ctx: &WorkspaceCtx, filter: &LibraryFilter<'_>) -> AppResult<Vec<LibraryVoice>> {
    ctx.require(Permission::ViewWorkspace)?;
    let language = filter.language.trim();
    let mut errors = Vec::new();
    if language.len() > 35 || !language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        errors.push(crate::error::FieldError::new("language", "Use a language code like en or en-GB."));
    }
    let gender = match filter.gender.trim() {
        "" => None,
        raw => {
            let parsed = Gender::parse(raw);
            if parsed.is_none() {
                errors.push(crate::error::FieldError::new("gender", "Use MALE, FEMALE or NOT_SPECIFIED."));
            }
            parsed
        }
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let all = state.voices.library().await.map_err(super::provider::provider_error)?;
    Ok(all
        .into_iter()
        .filter(|v| language.is_empty() || language_matches(&v.language, language))
        .filter(|v| gender.is_none_or(|g| v.gender == g))
        .collect())
}

/// The library voice `id`, if the platform's library has it.
pub async fn find(state: &AppState, id: &str) -> AppResult<Option<LibraryVoice>> {
    let all = state.voices.library().await.map_err(super::provider::provider_error)?;
    Ok(all.into_iter().find(|v| v.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_language_matches_its_regions_and_a_region_only_itself() {
        assert!(language_matches("en-US", "en"));
        assert!(language_matches("en-GB", "EN"));
        assert!(language_matches("en-GB", "en-gb"));
        assert!(!language_matches("en-US", "en-GB"));
        assert!(language_matches("en", "en-GB"));
        assert!(!language_matches("es-ES", "en"));
    }
}
