//! Two-factor sign-in with TOTP (RFC 6238). Set up from the Profile (scan
//! the QR code or type the key, confirm with a code, keep the ten recovery
//! codes shown once); sign-in then asks for a code after the password
//! (`signin`); turning it off takes the password and a code. Secrets are
//! sealed under the server key (re-sealed after `key rotate`), recovery
//! codes stored as hashes, and each code is accepted once. A workspace can
//! require it of every member (`enforce`); API tokens are not affected.
pub mod api;
pub mod enforce;
pub mod model;
pub mod pages;
pub mod service;
pub mod signin;
pub mod store;

use futures_util::FutureExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Action;
use crate::feature::Feature;
use crate::key_rotation::SealedColumn;
use crate::routes::{Access, Routes};

pub const ENABLED: Action =
    Action::new("member.two_factor_enabled", "Two-factor sign-in turned on", &crate::members::GROUP);
pub const DISABLED: Action =
    Action::new("member.two_factor_disabled", "Two-factor sign-in turned off", &crate::members::GROUP);
pub const REQUIRED: Action =
    Action::new("workspace.two_factor_required", "Two-factor requirement changed", &crate::workspaces::GROUP);

pub const ACTIONS: &[&Action] = &[&ENABLED, &DISABLED, &REQUIRED];

pub const FEATURE: Feature = Feature {
    routes,
    actions: ACTIONS,
    maintenance: Some(|state| service::delete_expired(state).boxed()),
    workspace_guard: Some(|state, ctx, parts| enforce::check(state, ctx, parts).boxed()),
    sealed_columns: &[SealedColumn { table: "two_factor_secrets", column: "secret_sealed", purpose: service::PURPOSE }],
    ..Feature::new("two_factor")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Public)
        .get("/signin/two-factor", signin::code_page)
        .post("/signin/two-factor", signin::submit_code);
    r.pages(Access::SignedIn)
        .get("/profile/two-factor", pages::setup_page)
        .post("/profile/two-factor", pages::confirm)
        .post("/profile/two-factor/disable", pages::disable);
    r.pages(Access::Admin).post("/settings/general/two-factor", pages::save_requirement);
    r.api(Access::SignedIn, OpenApiRouter::new().routes(routes!(api::get_status)));
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(api::get_requirement, api::put_requirement)));
}
