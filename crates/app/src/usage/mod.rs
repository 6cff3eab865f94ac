//! Usage (SPEC §10): events reported through the API, priced by the rate
//! card and debited from the credits ledger in the transaction that records
//! them ([`ingest`]); hourly roll-ups written in that same transaction, which
//! the page and the API sum into days in the workspace's timezone
//! ([`summary`]); the 50/80/100 % alerts of a cycle ([`alerts`]); the
//! Settings → Usage page with its server-drawn chart ([`pages`], [`chart`]);
//! the streamed CSV export ([`export`]).
pub mod types;

// Recording usage.
pub mod alerts;
pub mod cli;
pub mod ingest;
pub mod ingest_api;
pub mod ingest_input;
pub mod rates;
pub mod verify;

// Reading usage.
pub mod chart;
pub mod export;
pub mod pages;
pub mod read_api;
pub mod summary;

use crate::events::EventType;
use crate::feature::Feature;
use crate::routes::Routes;

pub use types::UsageType;

pub const USAGE_THRESHOLD_REACHED: EventType = EventType::custom(
    "usage.threshold_reached",
    "Usage reached 50 %, 80 % or 100 % of the credits the billing cycle included; each threshold once per cycle \
     (see usage::alerts). Amounts are milli-credits.",
    "usage",
    &["threshold", "used", "allowance", "period_start", "period_end"],
    alerts::event_schema,
);

pub const FEATURE: Feature = Feature {
    section: Some(crate::feature::Section {
        slug: "usage",
        title: "Usage",
        summary: "Monitor credit consumption by type and agent.",
        order: 50,
    }),
    routes,
    events: &[&USAGE_THRESHOLD_REACHED],
    api_tags: &[("usage", "Usage events, their credits, and summaries by day, type and agent")],
    ..Feature::new("usage")
};

fn routes(r: &mut Routes) {
    ingest_api::routes(r);
    read_api::routes(r);
    pages::routes(r);
}
