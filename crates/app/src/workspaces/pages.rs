//! HTML handlers: creating and switching workspaces, Settings → General.
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::service;
use crate::auth::SignedIn;
use crate::error::AppResult;

use crate::state::AppState;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash};

#[derive(Deserialize, Default)]
pub struct CreateWorkspaceForm {
    #[serde(default)]
    name: String,
}

pub async fn new_workspace_page(State(state): State<AppState>, _user: SignedIn, page: Page) -> AppResult<Response> {
    render_new(&state, &page, "", None).await
}

async fn render_new(state: &AppState, page: &Page, name: &str, error: Option<&str>) -> AppResult<Response> {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page.render_status(
        state,
        status,
        "workspaces/new.html",
        context! { title => "Create a workspace", name => name, error => error },
    )
    .await
}

pub async fn create_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<CreateWorkspaceForm>,
) -> AppResult<Response> {
    match service::create(&state, &session, &meta, &form.name).await {
        Ok(workspace) => {
            crate::auth::session::set_current_workspace(&state.db, &session.id_hash, Some(&workspace.id)).await?;
            Ok(redirect_with_flash("/", Flash::success(format!("Workspace “{}” created.", workspace.name))))
        }
        Err(err) => match err.field_message("name") {
            Some(message) => render_new(&state, &page, &form.name, Some(message)).await,
            None => Err(err),
        },
    }
}

#[derive(Deserialize)]
pub struct SwitchForm {
    workspace_id: String,
    #[serde(default)]
    back: String,
}

pub async fn switch_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Form(form): Form<SwitchForm>,
) -> AppResult<Response> {
    let workspace = service::switch(&state, &session, &form.workspace_id).await?;
    let back = crate::web::redirect::target(&state.public_url, &form.back, "/");
    Ok(redirect_with_flash(&back, Flash::success(format!("Switched to {}.", workspace.name))))
}
