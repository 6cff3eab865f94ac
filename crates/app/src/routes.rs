//! The router: every route, grouped by the least it needs, with the layer
//! that enforces it. A new route goes into the group it belongs to.
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::openapi::ApiDoc;
use crate::auth::{api_token, csrf, pages as auth_pages, session};
use crate::error::AppError;
use crate::settings;
use crate::state::AppState;
use crate::web::{assets, middleware as mw};
use crate::webhooks::{log_pages as webhook_log, pages as webhook_pages, secret_pages as webhook_secret};
use crate::{developer, docs, files, invitations, members, ops, policy, profile, workspaces};

/// Request bodies above this are refused before a handler sees them.
pub const MAX_BODY_BYTES: usize = csrf::MAX_FORM_BYTES;

/// The least a route needs; each group's layer enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Access {
    Public,
    SignedIn,
    Member,
    Admin,
}

/// One route as mounted, for tests that walk every route.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteInfo {
    pub method: String,
    pub path: String,
    pub access: Access,
}

/// A group of page routes that records what it mounts.
struct Group {
    access: Access,
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Group {
    fn new(access: Access) -> Self {
        Group { access, router: Router::new(), table: Vec::new() }
    }

    fn add(mut self, method: &str, path: &str, route: MethodRouter<AppState>) -> Self {
        self.table.push(RouteInfo { method: method.into(), path: path.into(), access: self.access });
        self.router = self.router.route(path, route);
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("GET", path, get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("POST", path, post(handler))
    }
}

/// Every page route, by group, with its handler.
fn page_groups(state: &AppState) -> Vec<Group> {
    let public = Group::new(Access::Public)
        .get("/", auth_pages::root)
        .get("/signup", auth_pages::signup_page)
        .post("/signup", auth_pages::signup)
        .get("/signin", auth_pages::signin_page)
        .post("/signin", auth_pages::signin)
        .get("/healthz", ops::healthz)
        .get("/readyz", ops::readyz)
        .get("/metrics", ops::metrics)
        .get("/static/{name}", assets::serve_asset)
        .get("/docs/api", docs::api_page)
        .get("/invite/{token}", invitations::pages::invitation_page);

    let signed_in = Group::new(Access::SignedIn)
        .post("/signout", auth_pages::signout)
        .get("/workspaces/new", workspaces::pages::new_workspace_page)
        .post("/workspaces", workspaces::pages::create_workspace)
        .post("/workspaces/switch", workspaces::pages::switch_workspace)
        .get("/profile", profile::pages::profile_page)
        .post("/profile", profile::pages::save_profile)
        .post("/profile/avatar", profile::pages::upload_avatar)
        .post("/profile/avatar/delete", profile::pages::remove_avatar)
        .post("/invite/{token}/accept", invitations::pages::accept_invitation)
        .get("/files/logo/{workspace_id}/{version}/{file}", files::serve_logo)
        .get("/files/avatar/{user_id}/{version}/{file}", files::serve_avatar);

    let member = Group::new(Access::Member).post("/workspace/leave", members::pages::leave_workspace);

    let mut admin = Group::new(Access::Admin)
        .get("/settings", settings::settings_index)
        .get("/settings/general", workspaces::pages::general_page)
        .post("/settings/general", workspaces::pages::save_general)
        .post("/settings/general/logo", workspaces::pages::upload_logo)
        .post("/settings/general/logo/delete", workspaces::pages::remove_logo)
        .post("/settings/general/delete", members::pages::delete_workspace)
        .post("/settings/members/invite", members::pages::invite_member)
        .post("/settings/members/{id}/role", members::pages::change_role)
        .post("/settings/members/{id}/remove", members::pages::remove_member)
        .post("/settings/invitations/{id}/resend", members::pages::resend_invitation)
        .post("/settings/invitations/{id}/revoke", members::pages::revoke_invitation)
        .get("/settings/developer", developer::pages::developer_page)
        .post("/settings/developer/tokens", developer::pages::create_token)
        .post("/settings/developer/tokens/{id}/revoke", developer::pages::revoke_token)
        .post("/settings/developer/features/{key}", developer::pages::set_feature)
        .get("/settings/developer/webhooks", webhook_pages::webhooks_index)
        .get("/settings/developer/webhooks/new", webhook_pages::new_endpoint_page)
        .post("/settings/developer/webhooks/new", webhook_pages::create_endpoint)
        .get("/settings/developer/webhooks/{id}", webhook_pages::endpoint_page)
        .post("/settings/developer/webhooks/{id}", webhook_pages::update_endpoint)
        .post("/settings/developer/webhooks/{id}/delete", webhook_pages::delete_endpoint)
        .post("/settings/developer/webhooks/{id}/secret", webhook_secret::reveal_secret)
        .post("/settings/developer/webhooks/{id}/rotate", webhook_secret::rotate_secret)
        .post("/settings/developer/webhooks/{id}/test", webhook_pages::send_test)
        .post("/settings/developer/webhooks/{id}/recover", webhook_log::recover)
        .get("/settings/developer/webhooks/{id}/deliveries/{delivery_id}", webhook_log::delivery_page)
        .post("/settings/developer/webhooks/{id}/deliveries/{delivery_id}/resend", webhook_log::resend_delivery)
        .get("/settings/audit-log", crate::audit::pages::audit_log_page)
        .get("/settings/audit-log/{id}", crate::audit::pages::audit_entry_page);
    for section in settings::SECTIONS.iter().filter(|s| !s.available) {
        let slug = section.slug;
        admin = admin
            .get(&format!("/settings/{slug}"), move |st, ctx, page| settings::unavailable_section(st, ctx, page, slug));
    }

    let mut groups = vec![public, signed_in, member, admin];
    for group in &mut groups {
        let router = std::mem::take(&mut group.router);
        group.router = match group.access {
            Access::Public => router,
            Access::SignedIn => router.route_layer(from_fn(policy::require_signed_in)),
            Access::Member => router.route_layer(from_fn_with_state(state.clone(), policy::require_member)),
            Access::Admin => router.route_layer(from_fn_with_state(state.clone(), policy::require_admin)),
        };
    }
    groups
}

/// Every route the app serves (pages and API), with the access it needs.
/// The permissions walk in the tests starts here.
pub fn route_table(state: &AppState) -> Vec<RouteInfo> {
    let mut table: Vec<RouteInfo> = page_groups(state).into_iter().flat_map(|g| g.table).collect();
    table.push(RouteInfo { method: "GET".into(), path: "/api/v1/openapi.json".into(), access: Access::Public });
    for (access, group) in api_groups(state) {
        let (_, doc) = group.split_for_parts();
        for (path, item) in doc.paths.paths {
            let ops = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, present) in ops {
                if present {
                    table.push(RouteInfo { method: method.into(), path: path.clone(), access });
                }
            }
        }
    }
    table
}

pub fn router(state: AppState) -> Router {
    router_with_uploads(state, Router::new())
}

/// [`router`] plus upload routes, each group already wrapped by
/// [`crate::uploads::stack`]. They are merged inside the session, token and
/// rate-limit layers but outside `csrf::protect`, which would buffer their
/// bodies; the upload stack checks CSRF itself, without buffering.
pub fn router_with_uploads(state: AppState, uploads: Router<AppState>) -> Router {
    let (api, mut openapi) = api_routes(&state).split_for_parts();
    let api = api.layer(from_fn_with_state(state.clone(), crate::api::idempotency::idempotency));
    crate::api::openapi::finish(&mut openapi);
    // utoipa has no `webhooks` section (OpenAPI 3.1); the event catalogue adds it.
    let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
    crate::webhooks::events::add_to_openapi(&mut doc);
    let openapi_json = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    let mut app = Router::new().route(
        "/api/v1/openapi.json",
        get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json) }),
    );
    for group in page_groups(&state) {
        app = app.merge(group.router);
    }
    app.merge(api)
        .fallback(|| async { AppError::not_found("This page") })
        .layer(from_fn(csrf::protect))
        .merge(uploads)
        .layer(from_fn_with_state(state.clone(), crate::ratelimit::limit))
        .layer(from_fn_with_state(state.clone(), api_token::authenticate))
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
        .layer(from_fn_with_state(state.clone(), crate::webhooks::delivery::wake_after_writes))
        .with_state(state)
}

/// The JSON API, in the same groups. Handlers carry `#[utoipa::path]`,
/// from which the OpenAPI document is built.
fn api_groups(state: &AppState) -> Vec<(Access, OpenApiRouter<AppState>)> {
    let signed_in = OpenApiRouter::new()
        .routes(routes!(profile::api::get_me, profile::api::update_me))
        .routes(routes!(profile::api::upload_avatar, profile::api::delete_avatar))
        .routes(routes!(workspaces::api::list_workspaces, workspaces::api::create_workspace))
        .routes(routes!(workspaces::api::switch_workspace))
        .route_layer(from_fn(policy::require_signed_in));
    let member = OpenApiRouter::new()
        .routes(routes!(workspaces::api::get_workspace))
        .routes(routes!(members::api::leave_workspace))
        .route_layer(from_fn_with_state(state.clone(), policy::require_member));
    let admin = OpenApiRouter::new()
        .routes(routes!(workspaces::api::update_workspace))
        .routes(routes!(workspaces::api::upload_logo, workspaces::api::delete_logo))
        .routes(routes!(members::api::delete_workspace))
        .routes(routes!(members::api::list_members))
        .routes(routes!(members::api::update_member, members::api::remove_member))
        .routes(routes!(invitations::api::list_invitations, invitations::api::create_invitation))
        .routes(routes!(invitations::api::resend_invitation))
        .routes(routes!(invitations::api::revoke_invitation))
        .routes(routes!(developer::api::list_tokens, developer::api::create_token))
        .routes(routes!(developer::api::revoke_token))
        .routes(routes!(developer::api::list_features))
        .routes(routes!(developer::api::set_feature))
        .routes(routes!(crate::audit::api::list_entries))
        .routes(routes!(crate::audit::api::export_entries))
        .routes(routes!(crate::audit::api::verify_chain))
        .routes(routes!(crate::audit::checkpoint::export_checkpoint))
        .routes(routes!(crate::audit::checkpoint::verify_checkpoint))
        .routes(routes!(crate::webhooks::api::list_event_types))
        .routes(routes!(crate::webhooks::api::list_endpoints, crate::webhooks::api::create_endpoint))
        .routes(routes!(
            crate::webhooks::api::get_endpoint,
            crate::webhooks::api::update_endpoint,
            crate::webhooks::api::delete_endpoint
        ))
        .routes(routes!(crate::webhooks::api::get_secret))
        .routes(routes!(crate::webhooks::api::rotate_secret))
        .routes(routes!(crate::webhooks::api::send_test))
        .routes(routes!(crate::webhooks::api::recover))
        .routes(routes!(crate::webhooks::api::list_deliveries))
        .routes(routes!(crate::webhooks::api::get_delivery))
        .routes(routes!(crate::webhooks::api::resend))
        .route_layer(from_fn_with_state(state.clone(), policy::require_admin));
    vec![(Access::SignedIn, signed_in), (Access::Member, member), (Access::Admin, admin)]
}

pub fn api_routes(state: &AppState) -> OpenApiRouter<AppState> {
    api_groups(state)
        .into_iter()
        .fold(OpenApiRouter::with_openapi(ApiDoc::openapi()), |all, (_, group)| all.merge(group))
}
