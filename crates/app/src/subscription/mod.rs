//! Settings → Subscription (SPEC §11): the plan table ([`plans`], as
//! configuration), each workspace's subscription ([`store`]) starting as a
//! trial when the workspace is created, plan changes, renewals and the
//! limits plans set. Credits live in `crate::credits`; invoices in
//! `crate::invoices`; the payment processor in `crate::payments`.
pub mod plans;
pub mod settings;
pub mod store;
pub mod trial;

use crate::feature::Feature;

pub const FEATURE: Feature =
    Feature { on_workspace_created: Some(trial::on_workspace_created), ..Feature::new("subscription") };
