use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::voices::{AccountInfo, Audio, CloneRequest, Gender};

/// Answers a list named after how many times it was asked ("v1", "v2"…),
/// after `delay`, or fails while `failing`.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
    failing: AtomicBool,
    delay: Duration,
}

impl Counting {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl VoiceProvider for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    async fn verify(&self) -> Result<AccountInfo, VoiceError> {
        Err(VoiceError::NotFound)
    }
    async fn library(&self) -> Result<Vec<LibraryVoice>, VoiceError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.delay).await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(VoiceError::Unavailable("down".into()));
        }
        Ok(vec![LibraryVoice {
            id: format!("v{n}"),
            name: format!("Voice {n}"),
            language: "en".into(),
            gender: Gender::NotSpecified,
            accent: None,
            description: String::new(),
        }])
    }
    async fn preview(&self, _: &str) -> Result<Audio, VoiceError> {
        Err(VoiceError::NotFound)
    }
    async fn clone_voice(&self, _: &CloneRequest<'_>) -> Result<String, VoiceError> {
        Err(VoiceError::NotFound)
    }
    async fn find_clone(&self, _: &str) -> Result<Option<String>, VoiceError> {
        Ok(None)
    }
    async fn edit_voice(&self, _: &str, _: &str, _: &str) -> Result<(), VoiceError> {
        Ok(())
    }
    async fn delete_voice(&self, _: &str) -> Result<(), VoiceError> {
        Ok(())
    }
}

const TTL: Duration = Duration::from_secs(600);

fn cached(provider: &Arc<Counting>) -> CachedLibrary {
    CachedLibrary::with_ttl(provider.clone(), TTL)
}

async fn ids(cache: &CachedLibrary) -> String {
    cache.voices().await.unwrap()[0].id.clone()
}

/// Lets spawned refreshes run to completion (time is paused: sleeps are instant).
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn the_first_call_fetches_and_later_ones_within_the_ttl_are_served_from_memory() {
    let provider = Arc::new(Counting::default());
    let cache = cached(&provider);
    assert_eq!(provider.calls(), 0, "nothing is fetched before it is asked for");
    assert_eq!(ids(&cache).await, "v1");
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    assert_eq!(ids(&cache).await, "v1");
    settle().await;
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn callers_arriving_during_the_first_fetch_share_it() {
    let provider = Arc::new(Counting { delay: Duration::from_secs(5), ..Counting::default() });
    let cache = cached(&provider);
    let (a, b, c) = tokio::join!(ids(&cache), ids(&cache), ids(&cache));
    assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("v1", "v1", "v1"));
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stale_list_is_served_at_once_while_one_refresh_runs_in_the_background() {
    let provider = Arc::new(Counting { delay: Duration::from_secs(5), ..Counting::default() });
    let cache = cached(&provider);
    assert_eq!(ids(&cache).await, "v1");
    tokio::time::advance(TTL).await;

    // Stale: every caller gets the old list without waiting, and only one refresh starts.
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(ids(&cache).await, "v1");
    }
    assert_eq!(started.elapsed(), Duration::ZERO, "callers waited for the refresh");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(provider.calls(), 2);
    assert_eq!(ids(&cache).await, "v2");
    settle().await;
    assert_eq!(provider.calls(), 2, "a fresh list is not refreshed again");
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_the_old_list_and_tries_again_later() {
    let provider = Arc::new(Counting::default());
    let cache = cached(&provider);
    assert_eq!(ids(&cache).await, "v1");
    provider.failing.store(true, Ordering::SeqCst);
    tokio::time::advance(TTL).await;
    assert_eq!(ids(&cache).await, "v1");
    settle().await;
    assert_eq!(provider.calls(), 2);
    assert_eq!(ids(&cache).await, "v1", "the old list is still served");
    settle().await;
    assert_eq!(provider.calls(), 2, "no retry on every call");

    provider.failing.store(false, Ordering::SeqCst);
    tokio::time::advance(RETRY_AFTER).await;
    assert_eq!(ids(&cache).await, "v1");
    settle().await;
    assert_eq!(ids(&cache).await, "v3");
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_fetch_is_an_error_and_the_next_call_asks_again() {
    let provider = Arc::new(Counting::default());
    provider.failing.store(true, Ordering::SeqCst);
    let cache = cached(&provider);
    assert!(matches!(cache.voices().await, Err(VoiceError::Unavailable(_))));
    provider.failing.store(false, Ordering::SeqCst);
    assert_eq!(ids(&cache).await, "v2");
}
