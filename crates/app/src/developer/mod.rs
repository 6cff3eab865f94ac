//! Settings → Developer (SPEC §5, without webhooks): API tokens, the user
//! and team IDs, and experimental features. Token authentication itself
//! lives in `auth::api_token`; the token format in `auth::token_format`.
pub mod api;
pub use crate::experiments as features;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use futures_util::FutureExt;
use switchboard_core::Permission;

use crate::feature::{Feature, Section, Step};
use crate::routes::{Access, Routes};

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;

pub const TOKENS: ActionGroup = ActionGroup { title: "API tokens", filter: "api_token.*" };
pub const FEATURES: ActionGroup = ActionGroup { title: "Experimental features", filter: "experimental_feature.*" };

pub const TOKEN_CREATED_EVENT: EventType = EventType::change(
    "api_token.created",
    "An API token was created (its secret is never sent).",
    "api_token",
    &["name", "role", "expires_at"],
);
pub const TOKEN_REVOKED_EVENT: EventType = EventType::change(
    "api_token.revoked",
    "An API token stopped working: revoked, or its creator left or was removed.",
    "api_token",
    &["status"],
);

pub const TOKEN_CREATED: Action =
    Action::publishing("api_token.created", "Token created", &TOKENS, &TOKEN_CREATED_EVENT);
pub const TOKEN_REVOKED: Action =
    Action::publishing("api_token.revoked", "Token revoked", &TOKENS, &TOKEN_REVOKED_EVENT);
pub const FEATURE_UPDATED: Action = Action::new("experimental_feature.updated", "Feature switched", &FEATURES);

pub const ACTIONS: &[&Action] = &[&TOKEN_CREATED, &TOKEN_REVOKED, &FEATURE_UPDATED];

pub const FEATURE: Feature = Feature {
    section: Some(Section {
        slug: "developer",
        title: "Developer",
        summary: "API tokens, webhooks, user/team IDs, and experimental features.",
        order: 70,
    }),
    routes,
    api_tags: &[("developer", "API tokens and experimental features of the current workspace")],
    actions: ACTIONS,
    targets: &[("api_token", "API token"), ("experimental_feature", "Experimental feature")],
    getting_started: Some(&CREATE_TOKEN_STEP),
    ..Feature::new("developer")
};

const CREATE_TOKEN_STEP: Step = Step {
    key: "api_token",
    order: 50,
    title: "Create an API token",
    description: "Your developers connect their services with it.",
    href: "/settings/developer",
    permission: Permission::ManageSettings,
    done: |state, ws| store::any(&state.db, ws).boxed(),
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get("/settings/developer", pages::developer_page)
        .post("/settings/developer/tokens", pages::create_token)
        .post("/settings/developer/tokens/{id}/revoke", pages::revoke_token)
        .post("/settings/developer/features/{key}", pages::set_feature);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::list_tokens, api::create_token))
            .routes(routes!(api::revoke_token))
            .routes(routes!(api::list_features))
            .routes(routes!(api::set_feature)),
    );
}
