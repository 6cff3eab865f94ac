//! Verified API tokens kept in memory, so a busy token costs one database
//! read a second rather than one a request.
//!
//! An entry is the token's row as [`super::token_store::find_by_hash`] read
//! it (the token, its creator's membership and role, its workspace) and is
//! trusted for [`TTL`] at most: a change made by another process sharing the
//! PostgreSQL database (a revocation, a role change, a removal, leaving, a
//! deleted workspace) is seen within that second. A change made in this
//! process clears the cache right after its commit ([`TokenCache::clear`],
//! called by the services that revoke tokens, change or end memberships,
//! delete workspaces, and change what the row carries about the workspace),
//! so it is seen at once here.
//!
//! A read that began before a `clear` never fills the cache afterwards (the
//! generation it started under is gone), so a row read just before a commit
//! cannot outlive it. The whole cache is cleared on any such change: they
//! are rare, and the next request of each token reads it again. Why not a
//! crate (moka, quick_cache): the cache needs "clear, and refuse the fills
//! of reads that began before", which is a generation counter beside a map.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::token_store::TokenAuthRow;

/// How long a verified token is trusted without reading it again.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; past it the cache starts afresh (tokens are few,
/// and a flood of distinct valid tokens is not a workload to optimise).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    row: Arc<TokenAuthRow>,
    read_at: Instant,
}

/// See the module header.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
    generation: AtomicU64,
}

impl TokenCache {
    /// The row of the token whose SHA-256 is `hash`, when read less than
    /// [`TTL`] ago and not cleared since.
    pub fn get(&self, hash: &str) -> Option<Arc<TokenAuthRow>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(hash)?;
        (entry.read_at.elapsed() < TTL).then(|| entry.row.clone())
    }

    /// The generation a read starts under; pass it to [`put`](Self::put).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps a row read under `generation`, unless the cache was cleared
    /// since the read began.
    pub fn put(&self, hash: &str, row: Arc<TokenAuthRow>, generation: u64) {
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock that `clear` takes too.
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(hash.to_owned(), Entry { row, read_at: Instant::now() });
    }

    /// Records that the token's last use was written at `at`, so the
    /// requests of the next second do not try to write it again.
    pub fn touched(&self, hash: &str, at: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if let Some(entry) = entries.get_mut(hash) {
            let mut row = (*entry.row).clone();
            row.last_used_at = Some(at);
            entry.row = Arc::new(row);
        }
    }

    /// Forgets every token, and refuses the fills of reads already under
    /// way: call it right after committing a change a token's row shows.
    pub fn clear(&self) {
        let Ok(mut entries) = self.entries.lock() else { return };
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::{ApiTokenId, Role, UserId, WorkspaceId};

    fn row() -> Arc<TokenAuthRow> {
        Arc::new(TokenAuthRow {
            id: ApiTokenId::new(),
            name: "t".into(),
            role: Role::Admin,
            created_by: UserId::new(),
            creator_name: "Ada".into(),
            expires_at: None,
            last_used_at: None,
            revoked_reason: None,
            creator_role: Some("admin".into()),
            creator_status: Some("active".into()),
            ws_id: WorkspaceId::new(),
            ws_name: "W".into(),
            ws_website: None,
            ws_timezone: "UTC".into(),
            ws_logo_version: None,
            ws_created_at: Utc::now(),
            ws_updated_at: Utc::now(),
            ws_experimental_features: sqlx::types::Json(Default::default()),
        })
    }

    #[test]
    fn a_row_is_served_until_cleared() {
        let cache = TokenCache::default();
        let generation = cache.generation();
        cache.put("h", row(), generation);
        assert!(cache.get("h").is_some());
        assert!(cache.get("other").is_none());
        cache.clear();
        assert!(cache.get("h").is_none());
    }

    #[test]
    fn a_read_that_began_before_a_clear_does_not_fill_the_cache() {
        let cache = TokenCache::default();
        let before = cache.generation();
        cache.clear();
        cache.put("h", row(), before);
        assert!(cache.get("h").is_none(), "the row may predate the change");
        cache.put("h", row(), cache.generation());
        assert!(cache.get("h").is_some());
    }

    #[test]
    fn a_touch_updates_the_cached_last_use() {
        let cache = TokenCache::default();
        cache.put("h", row(), cache.generation());
        let at = Utc::now();
        cache.touched("h", at);
        assert_eq!(cache.get("h").and_then(|r| r.last_used_at), Some(at));
    }
}
