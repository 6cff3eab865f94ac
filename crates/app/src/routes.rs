//! The router: every route, grouped by the least it needs, with the layer
//! that enforces it. A new route goes into the group it belongs to.
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::openapi::ApiDoc;
use crate::auth::{csrf, pages as auth_pages, session};
use crate::error::AppError;
use crate::settings;
use crate::state::AppState;
use crate::web::{assets, middleware as mw};
use crate::{files, ops, policy, profile, workspaces};

/// Request bodies above this are refused before a handler sees them.
pub const MAX_BODY_BYTES: usize = csrf::MAX_FORM_BYTES;

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes(&state).split_for_parts();
    let openapi_json = openapi.to_pretty_json().unwrap_or_else(|_| "{}".to_string());

    let public = Router::new()
        .route("/", get(auth_pages::root))
        .route("/signup", get(auth_pages::signup_page).post(auth_pages::signup))
        .route("/signin", get(auth_pages::signin_page).post(auth_pages::signin))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/static/{name}", get(assets::serve_asset))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json) }),
        );

    // Signed-in pages, whatever the workspace.
    let signed_in = Router::new()
        .route("/signout", post(auth_pages::signout))
        .route("/workspaces/new", get(workspaces::pages::new_workspace_page))
        .route("/workspaces", post(workspaces::pages::create_workspace))
        .route("/workspaces/switch", post(workspaces::pages::switch_workspace))
        .route("/profile", get(profile::pages::profile_page).post(profile::pages::save_profile))
        .route("/profile/avatar", post(profile::pages::upload_avatar))
        .route("/profile/avatar/delete", post(profile::pages::remove_avatar))
        .route("/files/logo/{workspace_id}/{version}/{file}", get(files::serve_logo))
        .route("/files/avatar/{user_id}/{version}/{file}", get(files::serve_avatar));

    // Settings: Admins of the current workspace only.
    let mut admin = Router::new()
        .route("/settings", get(settings::settings_index))
        .route("/settings/general", get(workspaces::pages::general_page).post(workspaces::pages::save_general))
        .route("/settings/general/logo", post(workspaces::pages::upload_logo))
        .route("/settings/general/logo/delete", post(workspaces::pages::remove_logo));
    for section in settings::SECTIONS.iter().filter(|s| !s.available) {
        let slug = section.slug;
        admin = admin.route(
            &format!("/settings/{slug}"),
            get(move |st, ctx, page| settings::unavailable_section(st, ctx, page, slug)),
        );
    }
    let admin = admin.route_layer(from_fn_with_state(state.clone(), policy::require_admin));

    Router::new()
        .merge(public)
        .merge(signed_in)
        .merge(admin)
        .merge(api)
        .fallback(|| async { AppError::not_found("This page") })
        .layer(from_fn(csrf::protect))
        .layer(from_fn_with_state(state.clone(), mw::page_errors))
        .layer(from_fn_with_state(state.clone(), session::load_session))
        .layer(from_fn(mw::client_meta))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(from_fn_with_state(state.clone(), mw::security_headers))
        .layer(from_fn(mw::request_context))
        .with_state(state)
}

/// The JSON API, in the same three groups. Handlers carry
/// `#[utoipa::path]`, from which the OpenAPI document is built.
pub fn api_routes(state: &AppState) -> OpenApiRouter<AppState> {
    let signed_in = OpenApiRouter::new()
        .routes(routes!(profile::api::get_me, profile::api::update_me))
        .routes(routes!(profile::api::upload_avatar, profile::api::delete_avatar))
        .routes(routes!(workspaces::api::list_workspaces, workspaces::api::create_workspace))
        .routes(routes!(workspaces::api::switch_workspace))
        .route_layer(from_fn(policy::require_signed_in));
    let member = OpenApiRouter::new()
        .routes(routes!(workspaces::api::get_workspace))
        .route_layer(from_fn_with_state(state.clone(), policy::require_member));
    let admin = OpenApiRouter::new()
        .routes(routes!(workspaces::api::update_workspace))
        .routes(routes!(workspaces::api::upload_logo, workspaces::api::delete_logo))
        .route_layer(from_fn_with_state(state.clone(), policy::require_admin));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(signed_in).merge(member).merge(admin)
}
