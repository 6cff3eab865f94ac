//! Account security: resetting a forgotten password by email, changing it
//! in the Profile Modal, the account's sessions (list, sign out one, sign
//! out all others), and the sign-up answer for an address that already has
//! an account.
//!
//! These are account data, not workspace data: like profile changes they
//! write no workspace audit entry.
//!
//! - `reset` — requesting a link (rate-limited, the same answer for every
//!   address) and using it; `store` holds the hashed tokens.
//! - `password` — the change-password form.
//! - `sessions` — the session list's forms.
//! - `signup` — what sign-up does for a taken address.
//! - `email` — the two emails (reset link, sign-up attempt).
pub mod email;
pub mod pages;
pub mod password;
pub mod reset;
pub mod sessions;
pub mod signup;
pub mod store;

use futures_util::FutureExt;

use crate::feature::Feature;
use crate::jobs::Registry;
use crate::routes::{Access, Routes};

pub const FEATURE: Feature = Feature {
    routes,
    jobs,
    maintenance: Some(|state| store::delete_expired(state).boxed()),
    ..Feature::new("account_security")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Public)
        .get("/password/forgot", pages::forgot_page)
        .post("/password/forgot", pages::request_reset)
        .get("/password/reset/{token}", pages::reset_page)
        .post("/password/reset/{token}", pages::reset_password);
    r.pages(Access::SignedIn)
        .post("/profile/password", password::change_password)
        .post("/profile/sessions/sign-out-others", sessions::sign_out_others)
        .post("/profile/sessions/{handle}/sign-out", sessions::sign_out_session);
}

fn jobs(registry: Registry) -> Registry {
    registry.with(reset::SendResetLink)
}
