//! The router: every route the registered features mount, grouped by its
//! access kind, with the layer that enforces it. Features add routes
//! through [`Routes`] in their registration; nothing here names a feature.
use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::api::openapi::ApiDoc;
use crate::auth::{api_token, csrf, session};
use crate::error::AppError;
use crate::inbound::Verifier;
use crate::policy::{self, Permission};
use crate::settings;
use crate::state::AppState;
use crate::web::{assets, middleware as mw};
use crate::{docs, files, ops};

/// Request bodies above this are refused before a handler sees them.
pub const MAX_BODY_BYTES: usize = csrf::MAX_FORM_BYTES;

/// The least a route needs; each kind's layer enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in person, whatever their workspace (their own account).
    SignedIn,
    /// Any member of the current workspace (Viewers too): reading.
    Member,
    /// Members and Admins: creating and changing day-to-day resources
    /// (agents, number assignment, contacts); Viewers may not.
    Editor,
    /// Admins: Settings.
    Admin,
    /// Vendor callbacks: no session, CSRF or per-IP limit; a signature
    /// check (`inbound::stack`) runs before the handler instead.
    Inbound,
}

impl Access {
    /// The permission the kind's layer asks the policy for, if any.
    pub fn permission(self) -> Option<Permission> {
        match self {
            Access::Public | Access::SignedIn | Access::Inbound => None,
            Access::Member => Some(Permission::ViewWorkspace),
            Access::Editor => Some(Permission::EditResources),
            Access::Admin => Some(Permission::ManageSettings),
        }
    }
}

/// One route as mounted, for tests that walk every route.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteInfo {
    pub method: String,
    pub path: String,
    pub access: Access,
}

struct PageRoute {
    info: RouteInfo,
    route: MethodRouter<AppState>,
}

/// What the features mount, each route with its kind. A feature's
/// `routes` function adds to it; [`router`] and [`route_table`] read it.
struct InboundRoute {
    info: RouteInfo,
    route: MethodRouter<AppState>,
    verifier: Verifier,
    body_limit: usize,
}

struct UploadRoute {
    info: RouteInfo,
    route: MethodRouter<AppState>,
    limit: crate::uploads::Limit,
}

#[derive(Default)]
pub struct Routes {
    pages: Vec<PageRoute>,
    api: Vec<(Access, OpenApiRouter<AppState>)>,
    /// The API document's parts for API routes mounted elsewhere (uploads).
    api_docs: Vec<utoipa::openapi::OpenApi>,
    inbound: Vec<InboundRoute>,
    uploads: Vec<UploadRoute>,
}

/// Page routes of one access kind, added in a chain.
pub struct Pages<'a> {
    routes: &'a mut Routes,
    access: Access,
}

impl Pages<'_> {
    pub fn route(self, method: &str, path: &str, route: MethodRouter<AppState>) -> Self {
        let info = RouteInfo { method: method.into(), path: path.into(), access: self.access };
        self.routes.pages.push(PageRoute { info, route });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route("GET", path, get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route("POST", path, post(handler))
    }
}

impl Routes {
    /// HTML pages and form posts of one access kind.
    pub fn pages(&mut self, access: Access) -> Pages<'_> {
        Pages { routes: self, access }
    }

    /// JSON API routes of one access kind; handlers carry `#[utoipa::path]`.
    pub fn api(&mut self, access: Access, router: OpenApiRouter<AppState>) -> &mut Self {
        self.api.push((access, router));
        self
    }

    /// Documents API operations mounted outside [`Routes::api`] (the JSON
    /// API's large uploads) in the one API document.
    pub fn api_doc(&mut self, doc: utoipa::openapi::OpenApi) -> &mut Self {
        self.api_docs.push(doc);
        self
    }

    /// A vendor callback: `verifier` checks the signature before the
    /// handler sees the body (at most `body_limit` bytes).
    pub fn inbound(
        &mut self,
        method: &str,
        path: &str,
        route: MethodRouter<AppState>,
        verifier: Verifier,
        body_limit: usize,
    ) -> &mut Self {
        let info = RouteInfo { method: method.into(), path: path.into(), access: Access::Inbound };
        self.inbound.push(InboundRoute { info, route, verifier, body_limit });
        self
    }

    /// A large upload (voice samples, CSV imports): its own body limit,
    /// streamed to storage, CSRF from a header or the first form field
    /// without buffering (`uploads::stack`), behind `access`'s layer.
    pub fn upload(
        &mut self,
        access: Access,
        method: &str,
        path: &str,
        route: MethodRouter<AppState>,
        limit: crate::uploads::Limit,
    ) -> &mut Self {
        let info = RouteInfo { method: method.into(), path: path.into(), access };
        self.uploads.push(UploadRoute { info, route, limit });
        self
    }

    fn of(state: &AppState) -> Routes {
        let mut routes = Routes::default();
        for feature in state.features.iter() {
            (feature.routes)(&mut routes);
        }
        settings::planned_sections(&state.features, &mut routes);
        platform_routes(&mut routes);
        routes
    }
}

/// The platform's own routes: probes, static assets, stored files and the
/// API reference.
fn platform_routes(r: &mut Routes) {
    r.pages(Access::Public)
        .get("/healthz", ops::healthz)
        .get("/readyz", ops::readyz)
        .get("/metrics", ops::metrics)
        .get("/static/{name}", assets::serve_asset)
        .get("/docs/api", docs::api_page);
    r.pages(Access::SignedIn)
        .get("/files/logo/{workspace_id}/{version}/{file}", files::serve_logo)
        .get("/files/avatar/{user_id}/{version}/{file}", files::serve_avatar);
}

/// The layer that enforces `access`.
fn guard(state: &AppState, access: Access, router: Router<AppState>) -> Router<AppState> {
    match access {
        Access::Public | Access::Inbound => router,
        _ => router.route_layer(from_fn_with_state((state.clone(), access), policy::require_access)),
    }
}

/// The page routes, one router per access kind with its layer.
fn page_routers(state: &AppState, pages: Vec<PageRoute>) -> Vec<Router<AppState>> {
    let mut by_access: BTreeMap<Access, Router<AppState>> = BTreeMap::new();
    for page in pages {
        let router = by_access.remove(&page.info.access).unwrap_or_default();
        by_access.insert(page.info.access, router.route(&page.info.path, page.route));
    }
    by_access.into_iter().map(|(access, router)| guard(state, access, router)).collect()
}

/// Every route the app serves (pages and API), with the access it needs.
/// The permissions walk in the tests starts here.
pub fn route_table(state: &AppState) -> Vec<RouteInfo> {
    let routes = Routes::of(state);
    let mut table: Vec<RouteInfo> = routes.pages.iter().map(|p| p.info.clone()).collect();
    table.extend(routes.inbound.iter().map(|r| r.info.clone()));
    table.extend(routes.uploads.iter().map(|r| r.info.clone()));
    table.push(RouteInfo { method: "GET".into(), path: "/api/v1/openapi.json".into(), access: Access::Public });
    for (access, group) in routes.api {
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
    let routes = Routes::of(&state);
    let (api, mut openapi) = api_router(&state, routes.api, routes.api_docs).split_for_parts();
    let api = api.layer(from_fn_with_state(state.clone(), crate::api::idempotency::idempotency));
    crate::api::openapi::finish(&mut openapi, &state.features);
    // utoipa has no `webhooks` section (OpenAPI 3.1); the event catalogue adds it.
    let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
    crate::events::add_to_openapi(&mut doc);
    let openapi_json = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    let mut app = Router::new().route(
        "/api/v1/openapi.json",
        get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json) }),
    );
    for pages in page_routers(&state, routes.pages) {
        app = app.merge(pages);
    }
    let mut uploads = Router::new();
    for upload in routes.uploads {
        let one = guard(&state, upload.info.access, Router::new().route(&upload.info.path, upload.route));
        uploads = uploads.merge(crate::uploads::stack(one, upload.limit));
    }
    let mut inbound = Router::new();
    for route in routes.inbound {
        let one = Router::new().route(&route.info.path, route.route);
        inbound = inbound.merge(crate::inbound::stack(one, route.verifier, route.body_limit, &state));
    }
    app.merge(api)
        .fallback(|| async { AppError::not_found("This page") })
        .layer(from_fn(csrf::protect))
        // Uploads check CSRF themselves, without buffering their bodies.
        .merge(uploads)
        .layer(from_fn(crate::web::nul::refuse_nul))
        .layer(from_fn_with_state(state.clone(), crate::ratelimit::limit))
        .layer(from_fn_with_state(state.clone(), api_token::authenticate))
        .layer(from_fn_with_state(state.clone(), mw::page_errors))
        .layer(from_fn_with_state(state.clone(), session::load_session))
        .layer(from_fn_with_state(state.clone(), mw::client_meta))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Vendor callbacks join here: outside the session, CSRF, rate-limit,
        // page-error and body-limit layers above, inside the ones below.
        .merge(inbound.layer(from_fn_with_state(state.clone(), mw::client_meta)))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(from_fn(crate::api::no_store::no_store))
        .layer(from_fn_with_state(state.clone(), mw::security_headers))
        .layer(from_fn(mw::request_context))
        .layer(from_fn_with_state(state.clone(), mw::wake_outbox_after_writes))
        .with_state(state)
}

/// The JSON API: each feature's routers under their kind's layer, merged
/// into one document.
fn api_router(
    state: &AppState,
    groups: Vec<(Access, OpenApiRouter<AppState>)>,
    docs: Vec<utoipa::openapi::OpenApi>,
) -> OpenApiRouter<AppState> {
    let mut doc = ApiDoc::openapi();
    for part in docs {
        doc.merge(part);
    }
    groups.into_iter().fold(OpenApiRouter::with_openapi(doc), |all, (access, group)| {
        let group = match access {
            Access::Public | Access::Inbound => group,
            _ => group.route_layer(from_fn_with_state((state.clone(), access), policy::require_access)),
        };
        all.merge(group)
    })
}

/// The API routes with the OpenAPI document they make (for the docs page
/// and tests).
pub fn api_routes(state: &AppState) -> OpenApiRouter<AppState> {
    let routes = Routes::of(state);
    api_router(state, routes.api, routes.api_docs)
}
