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

use switchboard_core::{Permission, WorkspaceId};

use crate::feature::{Feature, Step};
use crate::routes::{Access, Routes};
use crate::state::AppState;

use crate::audit::{Action, ActionGroup};

pub const GROUP: ActionGroup = ActionGroup { title: "Invitations", filter: "invitation.*" };

pub const RESENT: Action = Action::new("invitation.resent", "Invitation resent", &GROUP);
pub const REVOKED: Action = Action::new("invitation.revoked", "Invitation revoked", &GROUP);

pub const ACTIONS: &[&Action] = &[&RESENT, &REVOKED];

pub const FEATURE: Feature = Feature {
    routes,
    actions: ACTIONS,
    targets: &[("invitation", "Invitation")],
    getting_started: Some(&INVITE_STEP),
    maintenance: Some(|state| daily_cap::delete_old(&state.db, state.clock.now()).map(|r| Ok(r.map(|_| ())?)).boxed()),
    ..Feature::new("invitations")
};

const INVITE_STEP: Step = Step {
    key: "teammate",
    order: 40,
    title: "Invite a teammate",
    description: "Work on your agents together.",
    href: "/settings/members",
    permission: Permission::ManageMembers,
    done: |state, ws| invited_or_joined(state, ws).boxed(),
};

/// Done once an invitation went out, or someone joined another way (`members add`).
async fn invited_or_joined(state: &AppState, ws: &WorkspaceId) -> Result<bool, sqlx::Error> {
    Ok(store::any(&state.db, ws).await? || crate::members::store::count_active(&state.db, ws, None).await? > 1)
}

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
