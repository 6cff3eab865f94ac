//! Accounts: signing up, signing in (throttled) and out, and where `/`
//! sends a visitor. Sessions, passwords and CSRF are shared machinery in
//! `auth/`; this feature is the pages people use.
pub mod pages;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const FEATURE: Feature = Feature {
    routes,
    maintenance: Some(|state| {
        use futures_util::FutureExt;
        let now = state.clock.now();
        crate::auth::throttle::delete_expired(&state.db, now).map(|r| r.map(|_| ()).map_err(Into::into)).boxed()
    }),
    ..Feature::new("accounts")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Public)
        .get("/", pages::root)
        .get("/signup", pages::signup_page)
        .post("/signup", pages::signup)
        .get("/signin", pages::signin_page)
        .post("/signin", pages::signin);
    r.pages(Access::SignedIn).post("/signout", pages::signout);
}
