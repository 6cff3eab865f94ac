//! Creating and revoking API tokens, stopping a departing member's tokens,
//! and switching experimental features. Each change and its audit entry
//! commit together.
use switchboard_core::{ApiTokenId, UserId};
use switchboard_db::Tx;

use super::features::{self, Feature};
use super::model::NewToken;
use super::store::{self, StoredSecret, TokenRow};
use crate::audit::{self, Changes, Origin, Target};
use crate::auth::token_format;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::secrets::sha256_hex;
use crate::state::AppState;
use crate::workspaces::store as workspaces;

fn target(id: &ApiTokenId, name: &str) -> Target {
    Target::new("api_token", id, name.to_string())
}

fn not_found() -> AppError {
    AppError::not_found("The API token")
}

/// Creates a token for the caller in the current workspace. Returns the
/// stored row and the secret, which is never shown again.
pub async fn create(state: &AppState, ctx: &WorkspaceCtx, new: NewToken) -> AppResult<(TokenRow, String)> {
    ctx.require(Permission::ManageSettings)?;
    if new.role > ctx.role {
        return Err(AppError::field("role", "A token cannot have a higher role than yours."));
    }
    let now = state.clock.now();
    let id = ApiTokenId::new();
    let secret = token_format::generate();
    let mut tx = state.db.begin().await?;
    let stored = StoredSecret { hash: sha256_hex(&secret), prefix: token_format::display_prefix(&secret) };
    store::insert(&mut tx, &ctx.workspace.id, &id, &new, &stored, &ctx.user_id, now).await?;
    let changes = Changes::new().field("name", (), &new.name).field("role", (), new.role.as_str()).field(
        "expires_at",
        (),
        new.expires_at,
    );
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::TOKEN_CREATED, &target(&id, &new.name), &changes, now)
        .await?;
    let row = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok((row, secret))
}

/// Revokes a token of the current workspace; the next request with it fails.
pub async fn revoke(state: &AppState, ctx: &WorkspaceCtx, token_id: &str) -> AppResult<TokenRow> {
    ctx.require(Permission::ManageSettings)?;
    let id: ApiTokenId = token_id.parse().map_err(|_| not_found())?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if store::revoke(&mut tx, &ctx.workspace.id, &id, "revoked", Some(&ctx.user_id), now).await? {
        let changes = Changes::new().field("status", row.facts().status(now), "revoked");
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::TOKEN_REVOKED, &target(&id, &row.name), &changes, now)
            .await?;
    }
    let row = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    Ok(row)
}

/// Inside the transaction that removes a member (or records them leaving):
/// stops every token they created in the workspace, one audit entry each.
/// `reason` is `creator_removed` or `creator_left`.
pub async fn stop_tokens_of(
    tx: &mut Tx,
    origin: &Origin,
    creator: &UserId,
    reason: &'static str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    for (id, name) in store::live_ids_of_creator(&mut *tx, &origin.workspace_id, creator).await? {
        let id: ApiTokenId = id.parse().map_err(|_| anyhow::anyhow!("stored token ID {id:?} is malformed"))?;
        store::revoke(&mut *tx, &origin.workspace_id, &id, reason, None, now).await?;
        let changes = Changes::new().field("status", "active", reason);
        audit::record(tx, origin, &super::TOKEN_REVOKED, &target(&id, &name), &changes, now).await?;
    }
    Ok(())
}

/// Turns an experimental feature on or off for the current workspace.
pub async fn set_feature(state: &AppState, ctx: &WorkspaceCtx, feature: &Feature, enabled: bool) -> AppResult<bool> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let ws = workspaces::find_for_update(&mut tx, &ctx.workspace.id)
        .await?
        .ok_or_else(|| AppError::not_found("The workspace"))?;
    let before = features::is_enabled(&ws, feature);
    if before != enabled {
        let mut map = ws.experimental_features.0.clone();
        map.insert(feature.key.to_string(), enabled);
        workspaces::set_experimental_features(&mut tx, &ws.id, &map, now).await?;
        let changes = Changes::new().field("enabled", before, enabled);
        let target = Target::new("experimental_feature", feature.key, feature.name);
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::FEATURE_UPDATED, &target, &changes, now).await?;
    }
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    Ok(enabled)
}
