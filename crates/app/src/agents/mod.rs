//! Agents (SPEC §7): the minimal resource phone numbers, voices and usage
//! attach to — a name, a description, a status (`DRAFT`, `LIVE`), a
//! default voice and the numbers assigned to it. The Agents page sits in
//! the top navigation (every role reads; Members and Admins, the Editor
//! access kind, create, edit and delete); `/api/v1/agents` does the same.
//!
//! What other features may use (nothing else of this folder):
//! - [`store::exists`] / [`store::existing`]: whether agent IDs belong to a
//!   workspace (the usage ingest checks the `agent_id` of its events).
//! - [`store::names`]: names by ID; an ID missing from the answer is a
//!   deleted agent, whose usage stays and is shown as "Deleted agent"
//!   ([`DELETED_AGENT`]).
//! - [`store::list_for_overview`] and [`store::count`]: the home page's
//!   agents with their status; [`numbers::assigned_numbers_of`] their numbers.
//! - [`model::AgentStatus`] and [`model::voice_name`] to show them.
pub mod api;
pub mod model;
pub mod numbers;
pub mod pages;
pub mod service;
pub mod store;
pub mod voice_choices;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use futures_util::FutureExt;
use switchboard_core::Permission;

use crate::feature::{Feature, Step};
use crate::routes::{Access, Routes};

/// How usage of an agent that no longer exists is labelled.
pub const DELETED_AGENT: &str = "Deleted agent";

pub const GROUP: ActionGroup = ActionGroup { title: "Agents", filter: "agent.*" };

const FIELDS: &[&str] = &["name", "description", "status", "default_voice"];

pub const CREATED_EVENT: EventType = EventType::change(
    "agent.created",
    "An agent was created; `changes` holds each field it was created with.",
    "agent",
    FIELDS,
);
pub const UPDATED_EVENT: EventType = EventType::change(
    "agent.updated",
    "An agent's name, description, status or default voice changed.",
    "agent",
    FIELDS,
);
pub const DELETED_EVENT: EventType = EventType::change(
    "agent.deleted",
    "An agent was deleted (its phone numbers were unassigned); `changes` holds the fields it had.",
    "agent",
    FIELDS,
);

pub const CREATED: Action = Action::publishing("agent.created", "Agent created", &GROUP, &CREATED_EVENT);
pub const UPDATED: Action = Action::publishing("agent.updated", "Agent updated", &GROUP, &UPDATED_EVENT);
pub const DELETED: Action = Action::publishing("agent.deleted", "Agent deleted", &GROUP, &DELETED_EVENT);

pub const ACTIONS: &[&Action] = &[&CREATED, &UPDATED, &DELETED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("agents", "Agents of the current workspace: what phone numbers, voices and usage attach to")],
    actions: ACTIONS,
    targets: &[("agent", "Agent")],
    getting_started: Some(&CREATE_AGENT_STEP),
    ..Feature::new("agents")
};

const CREATE_AGENT_STEP: Step = Step {
    key: "agent",
    order: 20,
    title: "Create an agent",
    description: "What answers and places your calls; numbers, voices and usage attach to it.",
    href: "/agents/new",
    permission: Permission::EditResources,
    done: |state, ws| store::count(&state.db, ws).map(|counts| counts.map(|(all, _)| all > 0)).boxed(),
};

fn routes(r: &mut Routes) {
    r.pages(Access::Member).get("/agents", pages::list_agents).get("/agents/{id}", pages::agent_page);
    r.pages(Access::Editor)
        .get("/agents/new", pages::new_agent_page)
        .post("/agents", pages::create_agent)
        .post("/agents/{id}", pages::update_agent)
        .post("/agents/{id}/numbers", pages::assign_agent_numbers)
        .get("/agents/{id}/delete", pages::delete_agent_page)
        .post("/agents/{id}/delete", pages::delete_agent);
    r.api(Access::Member, OpenApiRouter::new().routes(routes!(api::list_agents)).routes(routes!(api::get_agent)));
    r.api(
        Access::Editor,
        OpenApiRouter::new().routes(routes!(api::create_agent)).routes(routes!(api::update_agent, api::delete_agent)),
    );
}
