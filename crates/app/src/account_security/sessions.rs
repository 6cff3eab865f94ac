//! The session list's forms in the Profile Modal: sign out one session (by
//! its public handle), or every session but this one. Plain forms: they
//! work without script.
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::auth::session::{self, removal_cookie};
use crate::auth::{SignedIn, session_list};
use crate::error::{AppError, AppResult};
use crate::profile::pages::BackForm;
use crate::state::AppState;
use crate::web::page::append_cookie;
use crate::web::redirect;
use crate::web::{Flash, redirect_with_flash};

pub async fn sign_out_session(
    State(state): State<AppState>,
    SignedIn(current): SignedIn,
    Path(handle): Path<String>,
    Form(form): Form<BackForm>,
) -> AppResult<Response> {
    if handle == session_list::handle(&current.id_hash) {
        // Signing out this very session is signing out.
        session::delete(&state.db, &current.id_hash).await?;
        let mut response = redirect_with_flash("/signin", Flash::success("You have signed out."));
        append_cookie(&mut response, removal_cookie());
        return Ok(response);
    }
    let mut tx = state.db.begin().await?;
    let ended = session_list::end_by_handle(&mut tx, &current.user_id, &handle).await?;
    tx.commit().await?;
    if !ended {
        return Err(AppError::not_found("The session"));
    }
    Ok(redirect_with_flash(
        &redirect::target(&state.public_url, &form.back, "/profile"),
        Flash::success("That session was signed out."),
    ))
}

pub async fn sign_out_others(
    State(state): State<AppState>,
    SignedIn(current): SignedIn,
    Form(form): Form<BackForm>,
) -> AppResult<Response> {
    let ended = session_list::end_all(&state.db, &current.user_id, Some(&current.id_hash)).await?;
    let text = match ended {
        0 => "There were no other sessions.".to_string(),
        1 => "Signed out of 1 other session.".to_string(),
        n => format!("Signed out of {n} other sessions."),
    };
    Ok(redirect_with_flash(&redirect::target(&state.public_url, &form.back, "/profile"), Flash::success(text)))
}
