//! The home page of a workspace. Agents, numbers and calls will live here;
//! for now it points at what exists.
use std::sync::Arc;

use axum::response::Response;
use minijinja::context;

use crate::auth::Session;
use crate::error::AppResult;
use crate::policy::{self, Role};
use crate::state::AppState;
use crate::web::flash::redirect;
use crate::web::{ClientMeta, Page};

/// Home of the session's workspace — or, when that workspace is gone (left,
/// removed, deleted), of the user's next one, as every other page does.
pub async fn home(state: &AppState, mut page: Page, session: Arc<Session>, meta: ClientMeta) -> AppResult<Response> {
    let ctx = match policy::resolve(state, session, meta).await {
        Ok(ctx) => ctx,
        Err(err) if err.problem().is_some_and(|p| p.code == "no_workspace") => return Ok(redirect("/workspaces/new")),
        Err(err) => return Err(err),
    };
    if let Some(setup) = crate::two_factor::enforce::home_redirect(state, &ctx).await? {
        return Ok(setup);
    }
    page.session = ctx.session.clone();
    page.render(state, "home.html", context! { title => "Home", is_admin => ctx.role == Role::Admin }).await
}
