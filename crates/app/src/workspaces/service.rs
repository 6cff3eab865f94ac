//! The rules for creating and changing workspaces, shared by pages and the
//! API. Every change writes its audit entry in the same transaction.
use switchboard_core::{Role, WorkspaceId};

use super::model::{CompanyWebsite, Timezone, WorkspaceName};
use super::store::{self, Workspace, WorkspaceFields};
use crate::audit::{self, Changes, Origin, Target};
use crate::auth::Session;
use crate::error::{AppError, AppResult, FieldError};
use crate::files;
use crate::members::store as members;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::ClientMeta;

fn target(ws: &Workspace) -> Target {
    Target::new("workspace", &ws.id, ws.name.clone())
}

/// Creates a workspace with the user as its first Admin.
pub async fn create(state: &AppState, session: &Session, meta: &ClientMeta, raw_name: &str) -> AppResult<Workspace> {
    let name = WorkspaceName::parse(raw_name).map_err(|m| AppError::field("name", m))?;
    let now = state.clock.now();
    let id = WorkspaceId::new();
    let mut tx = state.db.begin().await?;
    crate::verification::service::check_workspace_limit(&mut tx, &session.user_id).await?;
    let workspace = store::insert(&mut tx, &id, &name, &session.user_id, now).await?;
    members::upsert_active(&mut tx, &id, &session.user_id, Role::Admin, now).await?;
    let origin = Origin::user(id.clone(), &session.user_id, &session.user_name, meta);
    let changes = Changes::new().field("name", (), name.as_str()).field("timezone", (), "UTC");
    audit::record(&mut tx, &origin, &super::CREATED, &target(&workspace), &changes, now).await?;
    for feature in state.features.iter() {
        if let Some(hook) = feature.on_workspace_created {
            hook(state, &mut tx, &id, now).await?;
        }
    }
    tx.commit().await?;
    Ok(workspace)
}

/// A partial update: `None` leaves a field as it is; `Some("")` clears the
/// website.
#[derive(Debug, Default)]
pub struct WorkspaceUpdate {
    pub name: Option<String>,
    pub website: Option<String>,
    pub timezone: Option<String>,
}

/// Validates every given field first; one bad field changes nothing.
pub async fn update(state: &AppState, ctx: &WorkspaceCtx, input: WorkspaceUpdate) -> AppResult<Workspace> {
    ctx.require(Permission::ManageSettings)?;
    let mut errors = Vec::new();
    let name = input.name.as_deref().map(WorkspaceName::parse).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("name", m));
        None
    });
    let website = input.website.as_deref().map(CompanyWebsite::parse).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("website", m));
        None
    });
    let timezone = input.timezone.as_deref().map(Timezone::parse).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("timezone", m));
        None
    });
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }

    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, &ctx.workspace.id)
        .await?
        .ok_or_else(|| AppError::not_found("The workspace"))?;
    let name = match name {
        Some(n) => n,
        None => WorkspaceName::stored(&before.name),
    };
    let website = match website {
        Some(w) => w,
        None => before.website.as_deref().and_then(|w| CompanyWebsite::parse(w).ok().flatten()),
    };
    let timezone = timezone.unwrap_or_else(|| Timezone::parse(&before.timezone).unwrap_or_else(|_| Timezone::utc()));
    let changes = Changes::new()
        .field("name", &before.name, name.as_str())
        .field("website", &before.website, website.as_ref().map(|w| w.as_str()))
        .field("timezone", &before.timezone, timezone.name());
    if changes.is_empty() {
        return Ok(before);
    }
    let fields = WorkspaceFields { name: &name, website: website.as_ref(), timezone };
    store::update_fields(&mut tx, &ctx.workspace.id, &fields, now).await?;
    let after = Workspace {
        name: name.as_str().to_string(),
        website: website.map(|w| w.as_str().to_string()),
        timezone: timezone.name().to_string(),
        updated_at: now,
        ..before
    };
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::UPDATED, &target(&after), &changes, now).await?;
    tx.commit().await?;
    // Tokens carry their workspace (auth::token_cache).
    state.tokens.clear();
    Ok(after)
}

/// Replaces the logo with a re-encoded copy of `upload`.
pub async fn set_logo(state: &AppState, ctx: &WorkspaceCtx, upload: bytes::Bytes) -> AppResult<Workspace> {
    ctx.require(Permission::ManageSettings)?;
    let ws_id = ctx.workspace.id.clone();
    let version = files::next_version(ctx.workspace.logo_version, state.clock.now());
    files::store_image(state, "logo", upload, |size| files::logo_key(&ws_id, version, size)).await?;
    let result = commit_logo(state, ctx, Some(version)).await;
    match &result {
        Ok((_, Some(old))) => files::discard(state, files::logo_prefix(&ws_id, *old)).await,
        Ok(_) => {}
        Err(_) => files::discard(state, files::logo_prefix(&ws_id, version)).await,
    }
    result.map(|(ws, _)| ws)
}

pub async fn remove_logo(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Workspace> {
    ctx.require(Permission::ManageSettings)?;
    let (workspace, old) = commit_logo(state, ctx, None).await?;
    if let Some(old) = old {
        files::discard(state, files::logo_prefix(&ctx.workspace.id, old)).await;
    }
    Ok(workspace)
}

/// Points the workspace at logo `version` (or none) and audits it; returns
/// the workspace and the version it replaced.
async fn commit_logo(
    state: &AppState,
    ctx: &WorkspaceCtx,
    version: Option<i64>,
) -> AppResult<(Workspace, Option<i64>)> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, &ctx.workspace.id)
        .await?
        .ok_or_else(|| AppError::not_found("The workspace"))?;
    if before.logo_version.is_none() && version.is_none() {
        return Ok((before, None));
    }
    store::set_logo_version(&mut tx, &before.id, version, now).await?;
    let action = if version.is_some() { &super::LOGO_UPDATED } else { &super::LOGO_REMOVED };
    let changes = Changes::new().field(
        "logo",
        before.logo_version.map(|v| files::logo_url(&before.id, v, 256)),
        version.map(|v| files::logo_url(&before.id, v, 256)),
    );
    audit::record(&mut tx, &Origin::from_ctx(ctx), action, &target(&before), &changes, now).await?;
    tx.commit().await?;
    // Tokens carry their workspace (auth::token_cache).
    state.tokens.clear();
    let old = before.logo_version;
    Ok((Workspace { logo_version: version, updated_at: now, ..before }, old))
}

/// Makes `workspace_id` the session's current workspace, if the user is an
/// active member of it.
pub async fn switch(state: &AppState, session: &Session, workspace_id: &str) -> AppResult<Workspace> {
    let not_found = || AppError::not_found("The workspace");
    let id: WorkspaceId = workspace_id.parse().map_err(|_| not_found())?;
    members::active_role(&state.db, &id, &session.user_id).await?.ok_or_else(not_found)?;
    let workspace = store::find(&state.db, &id).await?.ok_or_else(not_found)?;
    crate::auth::session::set_current_workspace(&state.db, &session.id_hash, Some(&id)).await?;
    Ok(workspace)
}
