//! "Add payment method" with Stripe: the button on Settings → Subscription
//! posts here; the workspace's Stripe customer is made on first need and a
//! Checkout Session in setup mode is started; the browser goes to Stripe's
//! page (303) and comes back to the Subscription page. The method is saved
//! when Stripe's signed `checkout.session.completed` arrives, never from
//! the browser's return (which anyone could fake).
use axum::extract::State;
use axum::response::Response;
use switchboard_providers::payments::PaymentMethodSetup;

use crate::error::{AppError, AppResult};
use crate::payments::methods::{ensure_customer, payment_error};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::pages::SUBSCRIPTION;
use crate::subscription::settings::ProcessorConfig;
use crate::web::flash::redirect;

pub const SETUP_PATH: &str = "/settings/subscription/payment-method/stripe";

pub async fn start_setup(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let customer = ensure_customer(&state, &ctx.workspace.id, &ctx.workspace.name).await?;
    let return_url = format!("{}{SUBSCRIPTION}#payment-method", state.public_url);
    match state.payments.setup_payment_method(&customer, &return_url).await.map_err(payment_error)? {
        PaymentMethodSetup::Redirect { url, .. } if allowed(&state, &url) => Ok(redirect(&url)),
        PaymentMethodSetup::Redirect { .. } => {
            Err(AppError::Internal(anyhow::anyhow!("Stripe answered a Checkout URL that is not https")))
        }
        PaymentMethodSetup::CardForm => Err(AppError::not_found("Adding a payment method through Stripe")),
    }
}

/// Only an https page (Stripe's), or one on the configured API base's own
/// host (a local mock in tests), is a place to send the browser.
fn allowed(state: &AppState, url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return false };
    if parsed.scheme() == "https" {
        return true;
    }
    let ProcessorConfig::Stripe { api_base, .. } = &state.config.billing.processor else { return false };
    let base_host = url::Url::parse(api_base).ok().and_then(|b| b.host_str().map(str::to_string));
    parsed.scheme() == "http" && base_host.is_some() && parsed.host_str() == base_host.as_deref()
}
