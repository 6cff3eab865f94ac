//! The Stripe client against Prism serving Stripe's OpenAPI description
//! (API version 2023-08-16, the billing subset; see `support/prism.rs`).
//! Every call here is one the subset describes; Prism refuses (422) a
//! request whose fields, types or enum values the description does not
//! allow, and a missing `Authorization` (401).
//!
//! Not here, because the subset has no such path or Prism cannot decode
//! the form (tested against a stand-in in `stripe_stub.rs`):
//! PaymentIntents (`charge`), SetupIntents and PaymentMethods (the second
//! half of `completed_setup`), and creating or changing a subscription
//! (`items[0][price]`, an array of objects).
#![allow(clippy::unwrap_used)]

#[path = "support/prism.rs"]
mod prism;

use prism::PrismServer;
use switchboard_core::Cents;
use switchboard_providers::payments::stripe::Stripe;
use switchboard_providers::payments::{Interval, PaymentError, PaymentMethodSetup, PaymentProcessor, PlanPrice};

const KEY: &str = "sk_test_prism_4eC39HqLyjWDarjtT1zdp7dc";

fn pro_monthly() -> PlanPrice<'static> {
    PlanPrice {
        plan_key: "pro",
        plan_name: "Pro",
        interval: Interval::Month,
        amount: Cents::from_minor(9900),
        configured_price: None,
    }
}

#[tokio::test]
async fn customers_checkout_sessions_prices_products_and_cancellation_match_stripes_description() {
    let Some(prism) = PrismServer::stripe() else { return };
    let stripe = Stripe::new(KEY, &prism.base_url()).unwrap();
    let log = || prism.log();

    let customer = stripe.create_customer("ws_01JPRISM", "Acme Voice").await;
    assert!(customer.is_ok(), "POST /v1/customers: {customer:?}\n{}", log());

    let setup = stripe.setup_payment_method("cus_prism", "https://switchboard.example/settings/subscription").await;
    assert!(
        matches!(setup, Ok(PaymentMethodSetup::Redirect { ref url, ref session_ref }) if !url.is_empty() && !session_ref.is_empty()),
        "POST /v1/checkout/sessions (setup mode): {setup:?}\n{}",
        log()
    );

    let found = stripe.find_price(&pro_monthly()).await;
    assert!(matches!(found, Ok(Some(_))), "GET /v1/prices?lookup_keys[]=…: {found:?}\n{}", log());
    let product = stripe.create_product(&pro_monthly()).await;
    assert!(product.is_ok(), "POST /v1/products: {product:?}\n{}", log());
    let annual = PlanPrice { interval: Interval::Year, amount: Cents::from_minor(99000), ..pro_monthly() };
    let price = stripe.create_price(&annual, "switchboard_pro").await;
    assert!(price.is_ok(), "POST /v1/prices: {price:?}\n{}", log());

    let at_end = stripe.cancel_subscription("sub_prism", true, "cancel-1").await;
    assert!(at_end.is_ok(), "POST /v1/subscriptions/{{id}} cancel_at_period_end: {at_end:?}\n{}", log());
    let resumed = stripe.resume_subscription("sub_prism", "resume-1").await;
    assert!(resumed.is_ok(), "POST /v1/subscriptions/{{id}} resume: {resumed:?}\n{}", log());
    let now = stripe.cancel_subscription("sub_prism", false, "cancel-2").await;
    assert!(now.is_ok(), "DELETE /v1/subscriptions/{{id}}: {now:?}\n{}", log());
}

#[tokio::test]
async fn a_refused_key_is_unavailable_and_a_refused_request_invalid() {
    let Some(prism) = PrismServer::stripe() else { return };
    // Prism answers 401 to a request without credentials, as Stripe does.
    let stripe = Stripe::new("", &prism.base_url()).unwrap();
    let err = stripe.create_customer("ws_01JPRISM", "Acme Voice").await.unwrap_err();
    assert_eq!(err, PaymentError::Unavailable("Stripe refused the API key (HTTP 401)".into()));

    // A request the description refuses (a name past its 5,000
    // characters) is 4xx: invalid, not worth retrying.
    let stripe = Stripe::new(KEY, &prism.base_url()).unwrap();
    let err = stripe.create_customer("ws_01JPRISM", &"x".repeat(5001)).await.unwrap_err();
    assert!(matches!(err, PaymentError::Invalid(_)), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}
