//! Settings → Developer → Webhooks: endpoints that receive the workspace's
//! events, signed per Standard Webhooks, delivered durably with retries.
//!
//! - event types come from `crate::events` (declared by each feature);
//! - [`enqueue`]: the outbox behind `events::emit`, in the transaction of the change;
//! - [`delivery`]: the worker (claims under a lease, HTTP, outcomes);
//! - [`secret`]: `whsec_` secrets, signatures, encryption at rest;
//! - [`ssrf`]: no requests to internal addresses;
//! - [`service`], [`api`]: endpoint management and the log;
//! - [`pages`], [`log_pages`], [`secret_pages`]: Settings → Developer → Webhooks.
pub mod api;
pub mod delivery;
mod email;
pub mod enqueue;

pub mod log_pages;
pub mod model;
pub mod pages;
pub mod secret;
pub mod secret_pages;
pub mod service;
pub mod settings;
pub mod ssrf;
pub mod store;

use futures_util::FutureExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

use crate::audit::{Action, ActionGroup};

pub const GROUP: ActionGroup = ActionGroup { title: "Webhooks", filter: "webhook_endpoint.*" };

pub const CREATED: Action = Action::new("webhook_endpoint.created", "Endpoint added", &GROUP);
pub const UPDATED: Action = Action::new("webhook_endpoint.updated", "Endpoint changed", &GROUP);
pub const DELETED: Action = Action::new("webhook_endpoint.deleted", "Endpoint deleted", &GROUP);
pub const DISABLED: Action = Action::new("webhook_endpoint.disabled", "Endpoint disabled automatically", &GROUP);
pub const SECRET_VIEWED: Action = Action::new("webhook_endpoint.secret_viewed", "Secret viewed", &GROUP);
pub const SECRET_ROTATED: Action = Action::new("webhook_endpoint.secret_rotated", "Secret rotated", &GROUP);
pub const TEST_SENT: Action = Action::new("webhook_endpoint.test_sent", "Test event sent", &GROUP);
pub const DELIVERY_RESENT: Action = Action::new("webhook_endpoint.delivery_resent", "Delivery resent", &GROUP);
pub const RECOVERED: Action = Action::new("webhook_endpoint.recovered", "Failed messages recovered", &GROUP);

pub const ACTIONS: &[&Action] = &[
    &CREATED,
    &UPDATED,
    &DELETED,
    &DISABLED,
    &SECRET_VIEWED,
    &SECRET_ROTATED,
    &TEST_SENT,
    &DELIVERY_RESENT,
    &RECOVERED,
];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[(
        "webhooks",
        "Webhook endpoints, their signing secrets and delivery log. Events are signed per Standard Webhooks \
         (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and retried with backoff (by default 5s, 5m, \
         30m, 2h, 5h, 10h, 14h, 20h, 24h, ±20 % jitter); the event types and their payload schemas are the \
         document's `webhooks` section and `GET /api/v1/webhooks/event-types`.",
    )],
    maintenance: Some(|state| {
        delivery::delete_old(&state.db, state.clock.now(), LOG_KEPT).map(|r| Ok(r.map(|_| ())?)).boxed()
    }),
    worker: Some(|state, shutdown| match state.config.webhooks.worker {
        true => delivery::spawn(state, shutdown).map(Some),
        false => Ok(None),
    }),
    actions: ACTIONS,
    targets: &[("webhook_endpoint", "Webhook endpoint")],
    outbox: Some(&enqueue::OUTBOX),
    sealed_columns: &secret::SEALED_COLUMNS,
    ..Feature::new("webhooks")
};

/// Webhook messages (with their deliveries and attempts) are kept this
/// long once nothing is left to send.
const LOG_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(30);

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get("/settings/developer/webhooks", pages::webhooks_index)
        .get("/settings/developer/webhooks/new", pages::new_endpoint_page)
        .post("/settings/developer/webhooks/new", pages::create_endpoint)
        .get("/settings/developer/webhooks/{id}", pages::endpoint_page)
        .post("/settings/developer/webhooks/{id}", pages::update_endpoint)
        .post("/settings/developer/webhooks/{id}/delete", pages::delete_endpoint)
        .post("/settings/developer/webhooks/{id}/secret", secret_pages::reveal_secret)
        .post("/settings/developer/webhooks/{id}/rotate", secret_pages::rotate_secret)
        .post("/settings/developer/webhooks/{id}/test", pages::send_test)
        .post("/settings/developer/webhooks/{id}/recover", log_pages::recover)
        .get("/settings/developer/webhooks/{id}/deliveries/{delivery_id}", log_pages::delivery_page)
        .post("/settings/developer/webhooks/{id}/deliveries/{delivery_id}/resend", log_pages::resend_delivery);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::list_event_types))
            .routes(routes!(api::list_endpoints, api::create_endpoint))
            .routes(routes!(api::get_endpoint, api::update_endpoint, api::delete_endpoint))
            .routes(routes!(api::reveal_secret))
            .routes(routes!(api::rotate_secret))
            .routes(routes!(api::send_test))
            .routes(routes!(api::recover))
            .routes(routes!(api::list_deliveries))
            .routes(routes!(api::get_delivery))
            .routes(routes!(api::resend)),
    );
}
