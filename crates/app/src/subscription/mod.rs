//! Settings → Subscription (SPEC §11): the plan table ([`plans`], as
//! configuration), each workspace's subscription ([`store`]) starting as a
//! trial when the workspace is created, plan changes ([`change`] decides,
//! [`service`] applies), renewals ([`renewal`], the feature's worker loop)
//! and the limits plans set ([`limits`]). Credits live in
//! `crate::credits`; invoices in `crate::invoices`; the payment processor
//! in `crate::payments`.
pub mod api;
pub mod change;
pub mod cli;
pub mod email;
pub mod forms;
pub mod limits;
pub mod pages;
pub mod plans;
pub mod processor_sync;
pub mod renewal;
pub mod service;
pub mod settings;
pub mod store;
pub mod trial;
pub mod view;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::{Feature, Section};
use crate::routes::{Access, Routes};

pub const SUBSCRIPTIONS: ActionGroup = ActionGroup { title: "Subscription", filter: "subscription.*" };

pub const UPDATED_EVENT: EventType = EventType::change(
    "subscription.updated",
    "The plan, cycle, status, period, scheduled change or cancellation changed (an upgrade, a change scheduled or \
     undone, a renewal, a trial's end, a failed renewal).",
    "subscription",
    &["plan", "cycle", "status", "cancel_at_period_end", "scheduled_plan", "scheduled_cycle", "period_end"],
);

pub const UPDATED: Action =
    Action::publishing("subscription.updated", "Subscription changed", &SUBSCRIPTIONS, &UPDATED_EVENT);

pub const FEATURE: Feature = Feature {
    section: Some(Section {
        slug: "subscription",
        title: "Subscription",
        summary: "Manage your plan, billing cycle, and credits.",
        order: 60,
    }),
    routes,
    api_tags: &[("subscription", "The workspace's plan and billing cycle, and the plan table")],
    on_workspace_created: Some(trial::on_workspace_created),
    worker: Some(renewal::spawn),
    actions: &[&UPDATED],
    targets: &[("subscription", "Subscription")],
    api_rate: Some(limits::api_rate),
    audit_retention_days: Some(limits::audit_retention_days),
    ..Feature::new("subscription")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(pages::SUBSCRIPTION, pages::subscription_page)
        .post("/settings/subscription/plan", forms::change_plan)
        .post("/settings/subscription/cancel", forms::cancel)
        .post("/settings/subscription/resume", forms::resume);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::get_subscription, api::update_subscription))
            .routes(routes!(api::preview_subscription))
            .routes(routes!(api::cancel_subscription))
            .routes(routes!(api::resume_subscription))
            .routes(routes!(api::list_plans)),
    );
}
