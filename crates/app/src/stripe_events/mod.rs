//! Stripe's side of payments: its signed events on the inbound router
//! (`POST /inbound/stripe`, [`receive`]) and the Settings button that sends
//! an Admin to Stripe Checkout to add a payment method ([`setup`]).
//!
//! Each event is handled once: its ID goes into `processor_events` in the
//! same transaction as its effects, so a replay (Stripe retries, or an
//! attacker replaying inside the signature's tolerance) changes nothing
//! and is answered 200. Unknown event types are answered 200 and ignored.
//! Which event does what is in [`effects`].
mod effects;
mod receive;
pub mod setup;

use axum::routing::post;

use crate::audit::{Action, ActionGroup};
use crate::feature::Feature;
use crate::inbound::{Configured, DEFAULT_BODY_LIMIT, Verifier};
use crate::routes::{Access, Routes};

pub const INBOUND_PATH: &str = "/inbound/stripe";

pub const STRIPE_SUBSCRIPTION: ActionGroup =
    ActionGroup { title: "Subscription (Stripe)", filter: "subscription.synced" };

/// Stripe changed the subscription (status, cancellation, period end).
pub const SYNCED: Action = Action::new("subscription.synced", "Subscription updated by Stripe", &STRIPE_SUBSCRIPTION);

pub const FEATURE: Feature = Feature { routes, actions: &[&SYNCED], ..Feature::new("stripe_events") };

fn routes(r: &mut Routes) {
    r.inbound("POST", INBOUND_PATH, post(receive::receive), Verifier::stripe(Configured), DEFAULT_BODY_LIMIT);
    r.pages(Access::Admin).post(setup::SETUP_PATH, setup::start_setup);
}
