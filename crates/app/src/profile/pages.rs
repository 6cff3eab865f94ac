//! The Profile Modal's form handlers. The dialog posts here; `/profile` is
//! the same form as a page, for errors and for browsers without script.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::service::{self, ProfileUpdate};
use crate::auth::SignedIn;
use crate::error::AppResult;
use crate::images::read_upload;
use crate::state::AppState;
use crate::web::redirect;
use crate::web::{Flash, Page, redirect_with_flash};

pub async fn profile_page(State(state): State<AppState>, _user: SignedIn, page: Page) -> AppResult<Response> {
    render(&state, &page, BTreeMap::new(), BTreeMap::new(), StatusCode::OK).await
}

/// The Profile page with a form's values and its field errors (a form
/// that did not save is shown again this way).
pub(crate) async fn render(
    state: &AppState,
    page: &Page,
    values: BTreeMap<&str, String>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "profile/page.html",
        context! { title => "Profile", profile_values => values, profile_errors => errors },
    )
    .await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    /// The page the Profile Modal was opened on, to return to after saving.
    #[serde(default)]
    back: String,
}

/// A Profile Modal form that only says where to go back to.
#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    pub back: String,
}

pub async fn save_profile(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    page: Page,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let update = ProfileUpdate { name: Some(form.name.clone()), phone: Some(form.phone.clone()) };
    match service::update(&state, &session, update).await {
        Ok(_) => Ok(redirect_with_flash(
            &redirect::target(&state.public_url, &form.back, "/profile"),
            Flash::success("Profile saved."),
        )),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let values = BTreeMap::from([("name", form.name), ("phone", form.phone)]);
            render(&state, &page, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn upload_avatar(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    page: Page,
    multipart: Multipart,
) -> AppResult<Response> {
    let (result, back) = match read_upload(multipart, "avatar").await {
        Ok(upload) => (service::set_avatar(&state, &session, upload.bytes).await, upload.back),
        Err(err) => (Err(err), String::new()),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            &redirect::target(&state.public_url, &back, "/profile"),
            Flash::success("Avatar updated."),
        )),
        Err(err) => match err.field_message("avatar") {
            Some(message) => {
                let errors = BTreeMap::from([("avatar".to_string(), message.to_string())]);
                render(&state, &page, BTreeMap::new(), errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(err),
        },
    }
}

pub async fn remove_avatar(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Form(form): Form<BackForm>,
) -> AppResult<Response> {
    service::remove_avatar(&state, &session).await?;
    Ok(redirect_with_flash(
        &redirect::target(&state.public_url, &form.back, "/profile"),
        Flash::success("Avatar removed."),
    ))
}
