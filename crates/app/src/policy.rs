//! The one policy module. Every route is mounted with its access kind
//! (`routes::Access`: public, signed-in, member, editor, admin, or inbound
//! by signature) and [`require_access`] enforces it; handlers then state
//! their finer need on their first line:
//! `ctx.require(Permission::ManageSettings)?`. The role → permission table
//! itself is `switchboard_core::policy`.
//!
//! A refusal of a workspace's member or token, by the layer or by a
//! handler's `ctx.require`, is audited as `access.denied` by the layer of
//! the workspace kinds (see `audit::denied`).
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use switchboard_core::{Permission, Role};

use switchboard_core::UserId;

use crate::auth::api_token::{self, ApiCaller};
use crate::auth::session::{self, Session, SignedIn};
use crate::error::AppError;
use crate::routes::Access;
use crate::state::AppState;
use crate::tenancy::{self, Workspace};
use crate::web::ClientMeta;

/// Who is acting, in which workspace, with which role. Built once per
/// request from the session or from an API token.
#[derive(Debug, Clone)]
pub struct WorkspaceCtx {
    /// The person acting: the signed-in user, or the creator of the token.
    pub user_id: UserId,
    pub user_name: String,
    /// The browser session, when a person is calling.
    pub session: Option<Arc<Session>>,
    /// The API token, when a token is calling; `role` is then already the
    /// lower of the token's role and its creator's.
    pub token: Option<Arc<ApiCaller>>,
    pub workspace: Workspace,
    pub role: Role,
    pub meta: ClientMeta,
    /// The first permission this request was refused. Clones share it, so
    /// the group's layer learns of a refusal in the handler and audits it.
    refused: Arc<OnceLock<Permission>>,
}

impl WorkspaceCtx {
    fn for_session(session: Arc<Session>, workspace: Workspace, role: Role, meta: ClientMeta) -> Self {
        WorkspaceCtx {
            user_id: session.user_id.clone(),
            user_name: session.user_name.clone(),
            session: Some(session),
            token: None,
            workspace,
            role,
            meta,
            refused: Arc::default(),
        }
    }

    fn for_token(caller: Arc<ApiCaller>, workspace: Workspace, meta: ClientMeta) -> Self {
        WorkspaceCtx {
            user_id: caller.user_id.clone(),
            user_name: caller.user_name.clone(),
            role: caller.role,
            session: None,
            token: Some(caller),
            workspace,
            meta,
            refused: Arc::default(),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            return Ok(());
        }
        let _ = self.refused.set(permission);
        Err(forbidden(permission, &self.workspace.name))
    }

    /// The permission a [`require`](Self::require) of this request refused.
    pub fn refused(&self) -> Option<Permission> {
        self.refused.get().copied()
    }
}

fn forbidden(permission: Permission, workspace_name: &str) -> AppError {
    match permission {
        Permission::ManageSettings | Permission::ManageMembers | Permission::DeleteWorkspace => {
            AppError::forbidden(format!(
                "You don't have permission to open Settings: only Admins of “{workspace_name}” can. Ask an Admin for access."
            ))
        }
        Permission::EditResources => AppError::forbidden(format!(
            "You don't have permission to make changes in “{workspace_name}”: Viewers have read-only access."
        )),
        Permission::ViewWorkspace => AppError::forbidden("You don't have permission to view this workspace."),
    }
}

impl FromRequestParts<AppState> for WorkspaceCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<WorkspaceCtx>() {
            return Ok(ctx.clone());
        }
        let meta = parts.extensions.get::<ClientMeta>().cloned().unwrap_or_default();
        let ctx = match api_token::caller(&parts.extensions) {
            // The token layer read the token, its creator's membership and
            // its workspace together, in one query, a moment ago.
            Some(caller) => {
                let workspace = caller.workspace.clone();
                WorkspaceCtx::for_token(caller, workspace, meta)
            }
            None => {
                let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
                resolve(state, session, meta).await?
            }
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// The session's current workspace and the user's role in it. A session
/// whose workspace is gone (or whose membership ended) moves to the user's
/// first remaining workspace.
pub async fn resolve(state: &AppState, session: Arc<Session>, meta: ClientMeta) -> Result<WorkspaceCtx, AppError> {
    if let Some(ws_id) = &session.current_workspace_id
        && let Some(role) = tenancy::active_role(&state.db, ws_id, &session.user_id).await?
        && let Some(workspace) = tenancy::find_workspace(&state.db, ws_id).await?
    {
        return Ok(WorkspaceCtx::for_session(session, workspace, role, meta));
    }
    let mut list = tenancy::workspaces_of(&state.db, &session.user_id).await?;
    if list.is_empty() {
        return Err(AppError::conflict("no_workspace", "Create a workspace first."));
    }
    let first = list.remove(0);
    session::set_current_workspace(&state.db, &session.id_hash, Some(&first.workspace.id)).await?;
    let role = first.role.parse().map_err(|_| anyhow::anyhow!("stored role {:?} is unknown", first.role))?;
    let mut moved = (*session).clone();
    moved.current_workspace_id = Some(first.workspace.id.clone());
    Ok(WorkspaceCtx::for_session(Arc::new(moved), first.workspace, role, meta))
}

/// Layer for routes that need a signed-in user, whatever their workspace.
/// They act on the person's account (profile, their list of workspaces),
/// which an API token, bound to one workspace, cannot do.
async fn require_signed_in(req: Request, next: Next) -> Response {
    if api_token::caller(req.extensions()).is_some() {
        return AppError::forbidden_code(
            "session_required",
            "This route acts on a person's account and needs a signed-in session; API tokens work inside \
             their workspace only (for example GET /api/v1/workspace).",
        )
        .into_response();
    }
    let (mut parts, body) = req.into_parts();
    match SignedIn::from_request_parts(&mut parts, &()).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(err) => err.into_response(),
    }
}

/// The layer of every guarded route kind: a signed-in person for
/// `SignedIn`; otherwise the kind's permission in the current workspace
/// (`Access::permission`: membership to read, Members and Admins to edit,
/// Admins for Settings).
pub async fn require_access(State((state, access)): State<(AppState, Access)>, req: Request, next: Next) -> Response {
    match access.permission() {
        Some(permission) => require(state, req, next, permission).await,
        None if access == Access::SignedIn => require_signed_in(req, next).await,
        None => next.run(req).await,
    }
}

async fn require(state: AppState, req: Request, next: Next, permission: Permission) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = match WorkspaceCtx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => ctx,
        Err(err) => return err.into_response(),
    };
    for guard in state.features.iter().filter_map(|f| f.workspace_guard) {
        if let Some(response) = guard(&state, &ctx, &parts).await {
            return response;
        }
    }
    let attempt = Attempt::of(&parts);
    let response = match ctx.require(permission) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(err) => err.into_response(),
    };
    if response.status() == StatusCode::FORBIDDEN
        && let Some(refused) = ctx.refused()
    {
        crate::audit::denied::record(&state, &ctx, refused, &attempt).await;
    }
    response
}

/// The request a refusal answered, as the audit entry names it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub method: Method,
    /// The route as mounted, e.g. `/api/v1/members/{id}`.
    pub route: String,
    /// The path as requested, e.g. `/api/v1/members/mem_01J…`.
    pub path: String,
}

impl Attempt {
    fn of(parts: &Parts) -> Self {
        let path = parts.uri.path().to_string();
        let route = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or(path.clone());
        Attempt { method: parts.method.clone(), route, path }
    }
}
