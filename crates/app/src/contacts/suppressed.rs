//! Which contacts show `SUPPRESSED`: the one place contact lists and pages
//! ask. The suppression list belongs to the `suppressions` feature, which
//! is built on another branch.
use std::collections::HashSet;

use switchboard_core::WorkspaceId;

use crate::state::AppState;

/// The phones (E.164) among `phones` that the workspace's suppression list
/// blocks on at least one channel.
///
/// integration: after the merge with the suppressions branch this calls
/// `crate::suppressions::store::suppressed_phones(&state.db, ws, phones)`
/// and returns its answer. Until then no contact is suppressed (the only
/// temporary piece of the contacts feature).
pub async fn suppressed_phones(
    state: &AppState,
    ws: &WorkspaceId,
    phones: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    let _ = (state, ws, phones);
    Ok(HashSet::new())
}
