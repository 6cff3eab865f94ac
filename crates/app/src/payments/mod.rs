//! The payment processor this server charges through (the sandbox by
//! default, Stripe when configured; the clients live in
//! `switchboard_providers::payments`), and what comes back from it.
pub mod api;
pub mod card;
pub mod methods;
pub mod pages;
pub mod view;

use std::sync::Arc;

use switchboard_providers::payments::{PaymentProcessor, sandbox::Sandbox, stripe::Stripe};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::{Access, Routes};

use crate::subscription::settings::ProcessorConfig;

/// The configured processor.
pub fn processor(config: &ProcessorConfig) -> anyhow::Result<Arc<dyn PaymentProcessor>> {
    match config {
        ProcessorConfig::Sandbox => Ok(Arc::new(Sandbox)),
        ProcessorConfig::Stripe { secret_key, api_base } => Ok(Arc::new(
            Stripe::new(secret_key.expose(), api_base).map_err(|e| anyhow::anyhow!("the Stripe client: {e}"))?,
        )),
    }
}

pub const PAYMENT_METHODS: crate::audit::ActionGroup =
    crate::audit::ActionGroup { title: "Payment method", filter: "payment_method.*" };

pub const METHOD_UPDATED: crate::audit::Action =
    crate::audit::Action::new("payment_method.updated", "Payment method changed", &PAYMENT_METHODS);

pub const FEATURE: crate::feature::Feature = crate::feature::Feature {
    actions: &[&METHOD_UPDATED],
    targets: &[("payment_method", "Payment method")],
    routes,
    ..crate::feature::Feature::new("payments")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin).post(pages::PAYMENT_METHOD, pages::save_card);
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(api::get_payment_method, api::set_payment_method)));
}
