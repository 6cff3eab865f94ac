//! The home page of a workspace. Agents, numbers and calls will live here;
//! for now it points at what exists.
use axum::response::Response;
use minijinja::context;

use crate::auth::Session;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::Page;
use crate::web::flash::redirect;

pub async fn home(state: &AppState, page: &Page, session: &Session) -> AppResult<Response> {
    let workspaces = crate::workspaces::store::list_for_user(&state.db, &session.user_id).await?;
    if workspaces.is_empty() {
        return Ok(redirect("/workspaces/new"));
    }
    let is_admin = workspaces
        .iter()
        .find(|w| Some(&w.workspace.id) == session.current_workspace_id.as_ref())
        .is_some_and(|w| w.role == "admin");
    page.render(state, "home.html", context! { title => "Home", is_admin => is_admin }).await
}
