//! Consent (SPEC §12, Settings → Audiences → Consent): the workspace's
//! mode (UNIVERSAL: an opt-out on one channel blocks every channel;
//! GRANULAR: per channel), its opt-out and opt-in keywords, and consent
//! records — append-only, each moving the suppression list in the same
//! transaction.
//!
//! - [`model`]: mode, channels, statuses, sources, keywords and the SMS
//!   matching rule, phone and email parsing (pure).
//! - [`store`]: `workspace_consent_settings`, `consent_records`.
//! - [`service`]: mode and keywords (Admins), [`service::record_in`] (the
//!   transaction-level write the API, the keywords and the CSV import use),
//!   the history.
//! - [`keywords`]: [`keywords::on_inbound_sms`], called by the carriers'
//!   SMS callback.
//! - [`api`]: `/api/v1/consent`; [`pages`]: the Consent tab.
//!
//! What other features may use: [`service::record_in`],
//! [`keywords::on_inbound_sms`], [`store::settings`] and the types of
//! [`model`].
pub mod api;
pub mod keywords;
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

pub const GROUP: ActionGroup = ActionGroup { title: "Consent", filter: "consent.*" };

pub const CHANGED_EVENT: EventType = EventType::change(
    "consent.changed",
    "A consent record was written: a phone number or email opted in or out of a channel (by the API, an import, \
     a keyword in an inbound SMS or a person), with its source and proof. The suppression list changed with it \
     (see `suppression.added` / `suppression.removed`).",
    "consent_record",
    &["phone", "email", "contact_id", "channel", "status", "source", "proof"],
);

pub const CHANGED: Action = Action::publishing("consent.changed", "Consent recorded", &GROUP, &CHANGED_EVENT);
pub const MODE_CHANGED: Action = Action::new("consent.mode_changed", "Consent mode changed", &GROUP);
pub const KEYWORDS_CHANGED: Action = Action::new("consent.keywords_changed", "Consent keywords changed", &GROUP);

pub const ACTIONS: &[&Action] = &[&CHANGED, &MODE_CHANGED, &KEYWORDS_CHANGED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("consent", "Consent: the workspace's mode and keywords, and consent records (append-only)")],
    actions: ACTIONS,
    targets: &[("consent_record", "Consent record"), ("consent_settings", "Consent settings")],
    ..Feature::new("consent")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(pages::CONSENT, pages::consent_page)
        .post("/settings/audiences/consent/mode", pages::set_mode)
        .post("/settings/audiences/consent/keywords", pages::set_keywords);
    r.api(Access::Member, OpenApiRouter::new().routes(routes!(api::get_settings)).routes(routes!(api::list_records)));
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(api::set_mode)).routes(routes!(api::set_keywords)));
    r.api(Access::Editor, OpenApiRouter::new().routes(routes!(api::create_record)));
}
