//! Settings → Subscription (SPEC §11): the plan table ([`plans`], as
//! configuration), each workspace's subscription ([`store`]) starting as a
//! trial when the workspace is created, plan changes, renewals and the
//! limits plans set. Credits live in `crate::credits`; invoices in
//! `crate::invoices`; the payment processor in `crate::payments`.
pub mod pages;
pub mod plans;
pub mod settings;
pub mod store;
pub mod trial;
pub mod view;

use crate::feature::{Feature, Section};
use crate::routes::{Access, Routes};

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
    ..Feature::new("subscription")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin).get(pages::SUBSCRIPTION, pages::subscription_page);
}
