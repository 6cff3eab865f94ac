//! Memberships: who belongs to which workspace with which role. Inviting,
//! the Members table, removal and leaving build on this (next issue).
pub mod api;
pub mod cli;
pub mod pages;
pub mod service;
pub mod store;
pub mod view;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;

pub const GROUP: ActionGroup = ActionGroup { title: "Members", filter: "member.*" };

pub const INVITED_EVENT: EventType =
    EventType::change("member.invited", "Someone was invited to the workspace.", "invitation", &["email", "role"]);
pub const JOINED_EVENT: EventType =
    EventType::change("member.joined", "An invited person accepted and joined.", "member", &["role", "status"]);
pub const ROLE_CHANGED_EVENT: EventType =
    EventType::change("member.role_changed", "A member's role changed.", "member", &["role"]);
pub const REMOVED_EVENT: EventType =
    EventType::change("member.removed", "An Admin removed a member.", "member", &["status"]);
pub const LEFT_EVENT: EventType =
    EventType::change("member.left", "A member left the workspace.", "member", &["status"]);

pub const INVITED: Action = Action::publishing("member.invited", "Member invited", &GROUP, &INVITED_EVENT);
pub const JOINED: Action = Action::publishing("member.joined", "Member joined", &GROUP, &JOINED_EVENT);
pub const ADDED: Action = Action::new("member.added", "Member added", &GROUP);
pub const ROLE_CHANGED: Action = Action::publishing("member.role_changed", "Role changed", &GROUP, &ROLE_CHANGED_EVENT);
pub const REMOVED: Action = Action::publishing("member.removed", "Member removed", &GROUP, &REMOVED_EVENT);
pub const LEFT: Action = Action::publishing("member.left", "Member left", &GROUP, &LEFT_EVENT);
pub const SIGNED_IN: Action = Action::new("member.signed_in", "Signed in", &GROUP);

pub const ACTIONS: &[&Action] = &[&INVITED, &JOINED, &ADDED, &ROLE_CHANGED, &REMOVED, &LEFT, &SIGNED_IN];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("members", "Members, roles and invitations of the current workspace")],
    actions: ACTIONS,
    targets: &[("member", "Member")],
    ..Feature::new("members")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Member)
        .get("/workspace/leave", pages::leave_workspace_page)
        .post("/workspace/leave", pages::leave_workspace);
    r.pages(Access::Admin)
        .post("/settings/members/{id}/role", pages::change_role)
        .get("/settings/members/{id}/remove", pages::remove_member_page)
        .post("/settings/members/{id}/remove", pages::remove_member)
        .post("/settings/invitations/{id}/resend", pages::resend_invitation)
        .post("/settings/invitations/{id}/revoke", pages::revoke_invitation);
    r.api(Access::Member, OpenApiRouter::new().routes(routes!(api::leave_workspace)));
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::delete_workspace))
            .routes(routes!(api::list_members))
            .routes(routes!(api::update_member, api::remove_member)),
    );
}
