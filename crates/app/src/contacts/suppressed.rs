//! Which contacts show `SUPPRESSED`: the one place contact lists and pages
//! ask the suppression list (the `suppressions` feature, mode applied).
use std::collections::HashSet;

use switchboard_core::WorkspaceId;

use crate::state::AppState;

/// The phones (E.164) among `phones` that the workspace's suppression list
/// blocks on at least one channel.
pub async fn suppressed_phones(
    state: &AppState,
    ws: &WorkspaceId,
    phones: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    crate::suppressions::store::suppressed_phones(&state.db, ws, phones).await
}
