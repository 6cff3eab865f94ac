//! Workspaces: creating and switching them, and Settings → General's
//! workspace fields (logo, name, website, timezone).
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;

pub const GROUP: ActionGroup = ActionGroup { title: "Workspace", filter: "workspace.*" };

pub const UPDATED_EVENT: EventType = EventType::change(
    "workspace.updated",
    "The workspace's name, website, timezone or logo changed.",
    "workspace",
    &["name", "website", "timezone", "logo"],
);

pub const CREATED: Action = Action::new("workspace.created", "Workspace created", &GROUP);
pub const UPDATED: Action = Action::publishing("workspace.updated", "Workspace updated", &GROUP, &UPDATED_EVENT);
pub const LOGO_UPDATED: Action = Action::publishing("workspace.logo_updated", "Logo updated", &GROUP, &UPDATED_EVENT);
pub const LOGO_REMOVED: Action = Action::publishing("workspace.logo_removed", "Logo removed", &GROUP, &UPDATED_EVENT);
pub const DELETED: Action = Action::new("workspace.deleted", "Workspace deleted", &GROUP);

pub const ACTIONS: &[&Action] = &[&CREATED, &UPDATED, &LOGO_UPDATED, &LOGO_REMOVED, &DELETED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("workspaces", "Workspaces and the current workspace's settings")],
    actions: ACTIONS,
    targets: &[("workspace", "Workspace")],
    ..Feature::new("workspaces")
};

fn routes(r: &mut Routes) {
    r.pages(Access::SignedIn)
        .get("/workspaces/new", pages::new_workspace_page)
        .post("/workspaces", pages::create_workspace)
        .post("/workspaces/switch", pages::switch_workspace);
    r.api(
        Access::SignedIn,
        OpenApiRouter::new()
            .routes(routes!(api::list_workspaces, api::create_workspace))
            .routes(routes!(api::switch_workspace)),
    );
    r.api(Access::Member, OpenApiRouter::new().routes(routes!(api::get_workspace)));
    r.api(
        Access::Admin,
        OpenApiRouter::new().routes(routes!(api::update_workspace)).routes(routes!(api::upload_logo, api::delete_logo)),
    );
}
