//! Email verification of new sign-ups: a single-use link (its token stored
//! only as a SHA-256 hash, valid for 48 hours) sent at sign-up and on
//! request (at most one a minute, five a day). An unverified account can
//! sign in and accept invitations sent to its address (accepting one
//! proves the address too) but creates at most one workspace and sends no
//! invitations until verified. Accounts from before this feature count as
//! verified (migration 0011).
pub mod email;
pub mod job;
pub mod pages;
pub mod service;
pub mod store;

use futures_util::FutureExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const FEATURE: Feature = Feature {
    routes,
    jobs: |registry| registry.with(job::SendVerification),
    maintenance: Some(|state| service::delete_expired(state).boxed()),
    ..Feature::new("verification")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Public).get("/verify-email/{token}", pages::verify_email);
    r.pages(Access::SignedIn).post("/verify-email/resend", pages::resend_page);
    r.api(Access::SignedIn, OpenApiRouter::new().routes(routes!(pages::resend_api)));
}
