//! The suppression list (SPEC §12, Settings → Audiences → Suppression):
//! phone numbers (E.164) and emails that must not be contacted, per
//! channel (`CALLS`, `SMS`, `ALL`), with reason, source, who and when —
//! and `GET /api/v1/suppressions/check`, which outbound code asks before
//! every call or message (one indexed query, the consent mode joined in).
//!
//! - [`model`]: an entry's fields, channels and what blocks what (pure).
//! - [`store`]: the `suppressions` table and the check's query.
//! - [`service`]: add, remove, list, check, and the transaction-level
//!   [`service::add_in`] / [`service::lift_in`] that consent records and
//!   the CSV import use.
//! - [`api`]: `/api/v1/suppressions`; [`pages`]: the Suppression tab.
//!
//! What other features may use: [`store::suppressed_phones`] (contact
//! lists show `SUPPRESSED`), [`service::add_in`], [`service::lift_in`],
//! [`service::add_from_consent_in`] and [`model`].
pub mod api;
pub mod import;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const GROUP: ActionGroup = ActionGroup { title: "Suppressions", filter: "suppression.*" };

const FIELDS: &[&str] = &["phone", "email", "channel", "reason", "source"];

pub const ADDED_EVENT: EventType = EventType::change(
    "suppression.added",
    "A phone number or email was added to the suppression list for a channel (CALLS, SMS or ALL).",
    "suppression",
    FIELDS,
);
pub const REMOVED_EVENT: EventType = EventType::change(
    "suppression.removed",
    "An entry left the suppression list (removed by an Admin, or lifted by an opt-in).",
    "suppression",
    FIELDS,
);

pub const ADDED: Action = Action::publishing("suppression.added", "Suppression added", &GROUP, &ADDED_EVENT);
pub const REMOVED: Action = Action::publishing("suppression.removed", "Suppression removed", &GROUP, &REMOVED_EVENT);

pub const ACTIONS: &[&Action] = &[&ADDED, &REMOVED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("suppressions", "The suppression list and the check outbound code calls before contacting someone")],
    actions: ACTIONS,
    targets: &[("suppression", "Suppression")],
    ..Feature::new("suppressions")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(pages::SUPPRESSION, pages::suppression_page)
        .post(pages::SUPPRESSION, pages::add_suppression)
        .get("/settings/audiences/suppression/{id}/remove", pages::remove_page)
        .post("/settings/audiences/suppression/{id}/remove", pages::remove_suppression);
    r.api(
        Access::Member,
        OpenApiRouter::new()
            .routes(routes!(api::check))
            .routes(routes!(api::list_suppressions))
            .routes(routes!(api::get_suppression)),
    );
    r.api(Access::Editor, OpenApiRouter::new().routes(routes!(api::add_suppression)));
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(api::remove_suppression)));
}
