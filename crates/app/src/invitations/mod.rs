//! Invitations by email: invite, resend, revoke, and accepting through the
//! link (`/invite/<token>`) as a new user, an existing user, or the user
//! already signed in. Tokens are random (192 bits), single-use, stored only
//! as SHA-256 hashes, and valid for 7 days. Sending is capped per
//! workspace (30 an hour) and per person across workspaces (100 a day,
//! [`daily_cap`]).
pub mod api;
pub mod daily_cap;
pub mod email;
pub mod pages;
pub mod service;
pub mod store;

use futures_util::FutureExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

use crate::audit::{Action, ActionGroup};

pub const GROUP: ActionGroup = ActionGroup { title: "Invitations", filter: "invitation.*" };

pub const RESENT: Action = Action::new("invitation.resent", "Invitation resent", &GROUP);
pub const REVOKED: Action = Action::new("invitation.revoked", "Invitation revoked", &GROUP);

pub const ACTIONS: &[&Action] = &[&RESENT, &REVOKED];

pub const FEATURE: Feature = Feature {
    routes,
    actions: ACTIONS,
    targets: &[("invitation", "Invitation")],
    maintenance: Some(|state| daily_cap::delete_old(&state.db, state.clock.now()).map(|r| Ok(r.map(|_| ())?)).boxed()),
    ..Feature::new("invitations")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Public).get("/invite/{token}", pages::invitation_page);
    r.pages(Access::SignedIn).post("/invite/{token}/accept", pages::accept_invitation);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::list_invitations, api::create_invitation))
            .routes(routes!(api::resend_invitation))
            .routes(routes!(api::revoke_invitation)),
    );
}
