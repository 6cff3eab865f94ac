//! The library, cached: a provider's stock voices change rarely and a
//! vendor's list takes pages of requests, so pages and the API serve the
//! last list and refresh it in the background once it is older than the
//! TTL (stale-while-revalidate). Only the very first call waits for the
//! provider; one refresh runs at a time; a failed refresh keeps serving the
//! old list and tries again a little later.
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{LibraryVoice, VoiceError, VoiceProvider};

/// How long a list is served before it is refreshed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
/// After a failed refresh, the next one waits the shorter of this and the TTL.
const RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct CachedLibrary {
    provider: Arc<dyn VoiceProvider>,
    ttl: Duration,
    state: Arc<Mutex<State>>,
    /// Held by the first fetch, so callers arriving meanwhile wait for it
    /// instead of asking the provider again.
    first_fetch: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    voices: Option<Arc<Vec<LibraryVoice>>>,
    /// When the list is next refreshed.
    refresh_at: Option<Instant>,
    refreshing: bool,
}

impl CachedLibrary {
    pub fn new(provider: Arc<dyn VoiceProvider>) -> CachedLibrary {
        CachedLibrary::with_ttl(provider, DEFAULT_TTL)
    }

    pub fn with_ttl(provider: Arc<dyn VoiceProvider>, ttl: Duration) -> CachedLibrary {
        CachedLibrary {
            provider,
            ttl,
            state: Arc::new(Mutex::new(State::default())),
            first_fetch: tokio::sync::Mutex::new(()),
        }
    }

    /// The provider behind the cache (for previews, clones…).
    pub fn provider(&self) -> &Arc<dyn VoiceProvider> {
        &self.provider
    }

    /// The library: the cached list (starting a background refresh when it
    /// is stale), or, the first time, the provider's answer.
    pub async fn voices(&self) -> Result<Arc<Vec<LibraryVoice>>, VoiceError> {
        if let Some(voices) = self.cached_and_maybe_refresh() {
            return Ok(voices);
        }
        let _first = self.first_fetch.lock().await;
        if let Some(voices) = self.cached_and_maybe_refresh() {
            return Ok(voices); // fetched while this call waited
        }
        let voices = Arc::new(self.provider.library().await?);
        let mut state = lock(&self.state);
        state.voices = Some(voices.clone());
        state.refresh_at = Some(Instant::now() + self.ttl);
        Ok(voices)
    }

    fn cached_and_maybe_refresh(&self) -> Option<Arc<Vec<LibraryVoice>>> {
        let mut state = lock(&self.state);
        let voices = state.voices.clone()?;
        let stale = state.refresh_at.is_none_or(|at| Instant::now() >= at);
        if stale && !state.refreshing {
            state.refreshing = true;
            let (provider, shared, ttl) = (self.provider.clone(), self.state.clone(), self.ttl);
            tokio::spawn(async move {
                let result = provider.library().await;
                let mut state = lock(&shared);
                state.refreshing = false;
                match result {
                    Ok(voices) => {
                        state.voices = Some(Arc::new(voices));
                        state.refresh_at = Some(Instant::now() + ttl);
                    }
                    Err(error) => {
                        tracing::warn!(provider = provider.name(), %error, "refreshing the voice library failed; serving the previous list");
                        state.refresh_at = Some(Instant::now() + ttl.min(RETRY_AFTER));
                    }
                }
            });
        }
        Some(voices)
    }
}

/// The state stays consistent whatever panicked while holding it (each
/// change is a few assignments), so a poisoned lock is used as it is.
fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
