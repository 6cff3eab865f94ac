//! Invoices (SPEC §11): numbered per workspace, with lines, a total and a
//! status (`draft`, `open`, `paid`, `void`, `uncollectible`). Renewals,
//! upgrades, top-ups and auto-recharges each bill through an invoice
//! ([`store::create`], keyed so a retry finds the same one) and collect it
//! through the payment processor ([`charge::collect`]).
pub mod api;
pub mod charge;
pub mod email;
pub mod pages;
pub mod store;
pub mod view;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::Feature;
use crate::routes::{Access, Routes};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const INVOICES: ActionGroup = ActionGroup { title: "Invoices", filter: "invoice.*" };

pub const PAID_EVENT: EventType = EventType::change(
    "invoice.paid",
    "An invoice was paid (a renewal, an upgrade, a top-up or an auto-recharge).",
    "invoice",
    &["status", "total_cents"],
);
pub const PAYMENT_FAILED_EVENT: EventType = EventType::change(
    "invoice.payment_failed",
    "A payment of an invoice failed; `failure_message` says why.",
    "invoice",
    &["status", "failure_message", "total_cents"],
);

pub const PAID: Action = Action::publishing("invoice.paid", "Invoice paid", &INVOICES, &PAID_EVENT);
pub const PAYMENT_FAILED: Action =
    Action::publishing("invoice.payment_failed", "Payment failed", &INVOICES, &PAYMENT_FAILED_EVENT);

pub const ACTIONS: &[&Action] = &[&PAID, &PAYMENT_FAILED];

pub const FEATURE: Feature = Feature {
    actions: ACTIONS,
    targets: &[("invoice", "Invoice")],
    routes,
    api_tags: &[("invoices", "The workspace's invoices and their lines")],
    ..Feature::new("invoices")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin).get(pages::INVOICE, pages::invoice_page);
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(api::list_invoices)).routes(routes!(api::get_invoice)));
}
