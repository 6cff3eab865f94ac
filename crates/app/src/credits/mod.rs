//! The credits ledger (SPEC §11): append-only entries whose sum is the
//! balance ([`ledger`]), the low-balance line ([`low_balance`]), top-ups and
//! auto-recharge. Subscriptions grant and expire cycle credits through
//! [`ledger::post`]; numbers, voices and usage debit through it.
pub mod api;
pub mod auto_recharge;
pub mod cli;
pub mod ledger;
pub mod low_balance;
pub mod pages;
pub mod spend;
pub mod top_up;
pub mod verify;
pub mod view;

use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const CREDITS: ActionGroup = ActionGroup { title: "Credits", filter: "credits.*" };
pub const TOPPED_UP: Action = Action::new("credits.topped_up", "Credits topped up", &CREDITS);
pub const AUTO_RECHARGE_UPDATED: Action =
    Action::new("credits.auto_recharge_updated", "Auto-recharge changed", &CREDITS);

pub const CREDITS_LOW: EventType = EventType::custom(
    "credits.low",
    "A debit took the balance below the auto-recharge threshold (or, without auto-recharge, below a tenth of the \
     cycle's credits). Amounts are milli-credits.",
    "credit_balance",
    &["balance", "threshold", "auto_recharge"],
    || {
        json!({
            "type": "object",
            "required": ["balance", "threshold", "auto_recharge"],
            "properties": {
                "balance": {"type": "integer", "description": "The balance after the debit, in milli-credits."},
                "threshold": {"type": "integer", "description": "The line it crossed, in milli-credits."},
                "auto_recharge": {"type": "boolean", "description": "Whether a recharge was started."}
            }
        })
    },
);

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("credits", "The credit balance, its ledger, top-ups and auto-recharge")],
    jobs: |jobs| jobs.with(auto_recharge::AutoRechargeJob),
    actions: &[&TOPPED_UP, &AUTO_RECHARGE_UPDATED],
    targets: &[("credit_balance", "Credits")],
    events: &[&CREDITS_LOW],
    ..Feature::new("credits")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin).post(pages::TOP_UP, pages::top_up).post(pages::AUTO_RECHARGE, pages::auto_recharge);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::get_credits))
            .routes(routes!(api::list_ledger))
            .routes(routes!(api::create_top_up))
            .routes(routes!(api::get_auto_recharge, api::put_auto_recharge))
            .routes(routes!(api::verify_credits)),
    );
}
