//! The Stripe client: Stripe's REST API over reqwest (rustls), pinned to
//! API version [`API_VERSION`], against a configurable base URL (tests use
//! a local mock).
//!
//! - Requests are form-encoded as Stripe expects, with
//!   `Authorization: Bearer sk_…`, `Stripe-Version` and an
//!   `Idempotency-Key` on every POST, so a retried call changes nothing
//!   twice. Nested fields use brackets (`metadata[workspace_id]`); arrays
//!   of objects (`items[0][price]`) only where Stripe has no other shape
//!   (a subscription's items).
//! - The secret key is never in an error or a log line, and neither is a
//!   request or response body: errors carry Stripe's message and code,
//!   which are meant to be shown.
//! - Card errors become [`PaymentError::Declined`] with Stripe's message;
//!   5xx, 429, a refused key and network failures
//!   [`PaymentError::Unavailable`]; other 4xx [`PaymentError::Invalid`].
//!
//! Which calls: a customer per workspace (`POST /v1/customers`, metadata
//! `workspace_id`); a Checkout Session in `setup` mode to add a payment
//! method; the session's SetupIntent and PaymentMethod for brand and last
//! four; charges as PaymentIntents confirmed off-session; subscriptions on
//! prices made from the plan table ([`billing`]).
mod billing;
mod http;

use async_trait::async_trait;
use serde_json::Value;

use super::{
    CardInput, Charge, ChargeRequest, PaymentError, PaymentMethod, PaymentMethodSetup, PaymentProcessor,
    SubscriptionRequest,
};
use http::Form;

/// The API version every request pins (`Stripe-Version`), matching the
/// OpenAPI description the client is tested against.
pub const API_VERSION: &str = "2023-08-16";

/// The currency of every amount (the plan table is in US dollars).
const CURRENCY: &str = "usd";

pub struct Stripe {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("base", &self.base).field("secret_key", &"<redacted>").finish()
    }
}

impl Stripe {
    /// A client for `api_base` (`https://api.stripe.com`, no trailing `/v1`).
    pub fn new(secret_key: &str, api_base: &str) -> Result<Stripe, PaymentError> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(40))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PaymentError::Unavailable(format!("building the HTTP client: {e}")))?;
        Ok(Stripe { http, base: api_base.trim_end_matches('/').to_string(), secret_key: secret_key.to_string() })
    }

    pub fn api_base(&self) -> &str {
        &self.base
    }
}

/// A string field of a Stripe object, or an error naming what was missing.
fn text(object: &Value, field: &str) -> Result<String, PaymentError> {
    match object.get(field).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(PaymentError::Unavailable(format!("Stripe's answer has no {field}"))),
    }
}

/// Brand and last four of a PaymentMethod object (a card, or another
/// kind's own `last4`, e.g. a US bank account).
fn payment_method_of(pm: &Value) -> Result<PaymentMethod, PaymentError> {
    let reference = text(pm, "id")?;
    let kind = pm.get("type").and_then(Value::as_str).unwrap_or("card");
    let details = pm.get(kind).filter(|d| d.is_object()).or_else(|| pm.get("card")).unwrap_or(&Value::Null);
    let brand = details.get("brand").and_then(Value::as_str).unwrap_or(kind).to_string();
    let last4 = text(details, "last4")?;
    Ok(PaymentMethod { reference, brand, last4 })
}

#[async_trait]
impl PaymentProcessor for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn create_customer(&self, workspace_id: &str, name: &str) -> Result<String, PaymentError> {
        let form: Form = vec![("name", name.into()), ("metadata[workspace_id]", workspace_id.into())];
        // One customer per workspace even when two first calls race (for
        // the 24 hours Stripe keeps a key).
        let customer = self.post("/v1/customers", &form, &format!("customer:{workspace_id}")).await?;
        text(&customer, "id")
    }

    async fn setup_payment_method(&self, customer: &str, return_url: &str) -> Result<PaymentMethodSetup, PaymentError> {
        let form: Form = vec![
            ("mode", "setup".into()),
            ("customer", customer.into()),
            // Setup mode without `payment_method_types` (an array) needs the
            // currency of the payments to come.
            ("currency", CURRENCY.into()),
            ("success_url", return_url.into()),
            ("cancel_url", return_url.into()),
        ];
        // A double click within the same minute gets the same session.
        let minute = chrono::Utc::now().timestamp() / 60;
        let session = self.post("/v1/checkout/sessions", &form, &format!("setup:{customer}:{minute}")).await?;
        let url = text(&session, "url")?;
        Ok(PaymentMethodSetup::Redirect { url, session_ref: text(&session, "id")? })
    }

    async fn attach_card(&self, _customer: &str, _card: &CardInput) -> Result<PaymentMethod, PaymentError> {
        Err(PaymentError::Invalid("Card numbers are entered on Stripe's page: use Add payment method.".into()))
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, PaymentError> {
        if request.amount.minor() <= 0 {
            return Err(PaymentError::Invalid("A charge must be more than zero.".into()));
        }
        let form: Form = vec![
            ("amount", request.amount.minor().to_string()),
            ("currency", CURRENCY.into()),
            ("customer", request.customer.into()),
            ("payment_method", request.payment_method.into()),
            ("confirm", "true".into()),
            ("off_session", "true".into()),
            ("description", request.description.into()),
        ];
        let intent = self.post("/v1/payment_intents", &form, request.idempotency_key).await?;
        match intent.get("status").and_then(Value::as_str) {
            Some("succeeded") => Ok(Charge { reference: text(&intent, "id")? }),
            Some("requires_action") => Err(PaymentError::Declined {
                code: "authentication_required".into(),
                message: "Your bank asks you to confirm this payment: add the card again to authorise it.".into(),
            }),
            Some("processing") => {
                Err(PaymentError::Unavailable("the payment is still processing at Stripe; try again later".into()))
            }
            other => Err(PaymentError::Declined {
                code: other.unwrap_or("unknown").to_string(),
                message: "The payment did not go through.".into(),
            }),
        }
    }

    async fn completed_setup(&self, session_ref: &str) -> Result<PaymentMethod, PaymentError> {
        let path = format!("/v1/checkout/sessions/{}", http::segment(session_ref));
        let session = self.get(&path, &[("expand[]", "setup_intent.payment_method")]).await?;
        let intent = match session.get("setup_intent") {
            Some(object @ Value::Object(_)) => object.clone(),
            Some(Value::String(id)) => {
                let path = format!("/v1/setup_intents/{}", http::segment(id));
                self.get(&path, &[("expand[]", "payment_method")]).await?
            }
            _ => return Err(PaymentError::Invalid("This Checkout Session saved no payment method.".into())),
        };
        match intent.get("payment_method") {
            Some(pm @ Value::Object(_)) => payment_method_of(pm),
            Some(Value::String(id)) => {
                payment_method_of(&self.get(&format!("/v1/payment_methods/{}", http::segment(id)), &[]).await?)
            }
            _ => Err(PaymentError::Invalid("This Checkout Session saved no payment method.".into())),
        }
    }

    fn collects_renewals(&self) -> bool {
        true
    }

    async fn sync_subscription(&self, request: SubscriptionRequest<'_>) -> Result<Option<String>, PaymentError> {
        self.sync(&request).await.map(Some)
    }

    async fn cancel_subscription(
        &self,
        subscription_ref: &str,
        at_period_end: bool,
        idempotency_key: &str,
    ) -> Result<(), PaymentError> {
        let path = format!("/v1/subscriptions/{}", http::segment(subscription_ref));
        if at_period_end {
            self.post(&path, &vec![("cancel_at_period_end", "true".into())], idempotency_key).await?;
        } else {
            self.delete(&path).await?;
        }
        Ok(())
    }

    async fn resume_subscription(&self, subscription_ref: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        let path = format!("/v1/subscriptions/{}", http::segment(subscription_ref));
        self.post(&path, &vec![("cancel_at_period_end", "false".into())], idempotency_key).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_never_shows_in_debug() {
        let stripe = Stripe::new("sk_test_secret123", "https://api.stripe.com/").expect("client");
        let shown = format!("{stripe:?}");
        assert!(!shown.contains("sk_test_secret123"), "{shown}");
        assert_eq!(stripe.api_base(), "https://api.stripe.com");
    }

    #[test]
    fn brand_and_last_four_come_from_a_card_or_another_kind() {
        let card = json!({"id": "pm_1", "type": "card", "card": {"brand": "visa", "last4": "4242"}});
        let pm = payment_method_of(&card).expect("card");
        assert_eq!((pm.reference.as_str(), pm.brand.as_str(), pm.last4.as_str()), ("pm_1", "visa", "4242"));
        let bank = json!({"id": "pm_2", "type": "us_bank_account", "us_bank_account": {"last4": "6789"}});
        let pm = payment_method_of(&bank).expect("bank account");
        assert_eq!((pm.brand.as_str(), pm.last4.as_str()), ("us_bank_account", "6789"));
        assert!(payment_method_of(&json!({"id": "pm_3", "type": "card", "card": {}})).is_err());
    }
}
