//! The Stripe calls Prism cannot check (see `stripe_prism.rs`), against a
//! stand-in that records each request and answers as Stripe's API
//! reference documents: PaymentIntents confirmed off-session, a Checkout
//! Session's SetupIntent and PaymentMethod, subscriptions with `items[0]`,
//! and how Stripe's errors map. Also what every request carries: the key
//! as a bearer token, `Stripe-Version`, an `Idempotency-Key` on each POST.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use switchboard_core::Cents;
use switchboard_providers::payments::stripe::Stripe;
use switchboard_providers::payments::{
    ChargeRequest, Interval, PaymentError, PaymentProcessor, PlanPrice, SubscriptionRequest,
};

const KEY: &str = "sk_test_stub_51Hxyz";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    form: HashMap<String, String>,
    headers: HashMap<String, String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Answers by method and path; `customer` chooses a charge's fate.
fn answer(seen: &Seen) -> (StatusCode, Value) {
    let card_error = |code: &str, message: &str| json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": code, "message": message}});
    match (seen.method.as_str(), seen.path.as_str()) {
        ("POST", "/v1/payment_intents") => match seen.form.get("customer").map(String::as_str) {
            Some("cus_declined") => {
                (StatusCode::PAYMENT_REQUIRED, card_error("insufficient_funds", "Your card has insufficient funds."))
            }
            Some("cus_down") => {
                (StatusCode::SERVICE_UNAVAILABLE, json!({"error": {"type": "api_error", "message": "Try later"}}))
            }
            Some("cus_missing") => (
                StatusCode::BAD_REQUEST,
                json!({"error": {"type": "invalid_request_error", "message": format!("No such customer; key {KEY}")}}),
            ),
            Some("cus_3ds") => (StatusCode::OK, json!({"id": "pi_3ds", "status": "requires_action"})),
            _ => (StatusCode::OK, json!({"id": "pi_ok", "object": "payment_intent", "status": "succeeded"})),
        },
        ("GET", "/v1/checkout/sessions/cs_expanded") => (
            StatusCode::OK,
            json!({"id": "cs_expanded", "setup_intent": {"id": "seti_1", "payment_method": {
                "id": "pm_1", "type": "card", "card": {"brand": "visa", "last4": "4242"}}}}),
        ),
        ("GET", "/v1/checkout/sessions/cs_ids") => (StatusCode::OK, json!({"id": "cs_ids", "setup_intent": "seti_2"})),
        ("GET", "/v1/checkout/sessions/cs_payment") => {
            (StatusCode::OK, json!({"id": "cs_payment", "setup_intent": null}))
        }
        ("GET", "/v1/setup_intents/seti_2") => (StatusCode::OK, json!({"id": "seti_2", "payment_method": "pm_2"})),
        ("GET", "/v1/payment_methods/pm_2") => {
            (StatusCode::OK, json!({"id": "pm_2", "type": "card", "card": {"brand": "amex", "last4": "0005"}}))
        }
        ("GET", "/v1/prices") => (StatusCode::OK, json!({"object": "list", "data": []})),
        ("GET", "/v1/products/switchboard_pro") => (
            StatusCode::NOT_FOUND,
            json!({"error": {"type": "invalid_request_error", "message": "No such product: 'switchboard_pro'"}}),
        ),
        ("POST", "/v1/products") => (StatusCode::OK, json!({"id": "switchboard_pro"})),
        ("POST", "/v1/prices") => (StatusCode::OK, json!({"id": "price_new"})),
        ("POST", "/v1/subscriptions") => (StatusCode::OK, json!({"id": "sub_new", "status": "active"})),
        ("GET", "/v1/subscriptions/sub_1") => {
            (StatusCode::OK, json!({"id": "sub_1", "items": {"data": [{"id": "si_1", "price": {"id": "price_old"}}]}}))
        }
        ("POST", "/v1/subscriptions/sub_1") => (StatusCode::OK, json!({"id": "sub_1", "status": "active"})),
        _ => (
            StatusCode::NOT_FOUND,
            json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
        ),
    }
}

async fn record(State(log): State<Log>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let form = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        form,
        headers,
    };
    let (status, body) = answer(&seen);
    log.lock().unwrap().push(seen);
    (status, axum::Json(body)).into_response()
}

async fn stand_in() -> (Stripe, Log) {
    let log = Log::default();
    let app = Router::new().fallback(record).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Stripe::new(KEY, &base).unwrap(), log)
}

fn charge(customer: &str) -> ChargeRequest<'_> {
    ChargeRequest {
        customer,
        payment_method: "pm_1",
        amount: Cents::from_minor(4900),
        description: "Switchboard invoice SB-0000-0001",
        idempotency_key: "bill_01JSTUB",
    }
}

#[tokio::test]
async fn a_charge_is_a_payment_intent_confirmed_off_session_under_the_invoice_key() {
    let (stripe, log) = stand_in().await;
    let charged = stripe.charge(charge("cus_ok")).await.unwrap();
    assert_eq!(charged.reference, "pi_ok");
    let seen = log.lock().unwrap()[0].clone();
    let form = |k: &str| seen.form.get(k).map(String::as_str);
    assert_eq!(
        [
            form("amount"),
            form("currency"),
            form("customer"),
            form("payment_method"),
            form("confirm"),
            form("off_session")
        ],
        [Some("4900"), Some("usd"), Some("cus_ok"), Some("pm_1"), Some("true"), Some("true")]
    );
    assert_eq!(seen.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(seen.headers["stripe-version"], "2023-08-16");
    assert_eq!(seen.headers["idempotency-key"], "bill_01JSTUB");
    assert_eq!(seen.headers["content-type"], "application/x-www-form-urlencoded");
}

#[tokio::test]
async fn declines_outages_and_refusals_map_to_their_errors_without_the_key() {
    let (stripe, _) = stand_in().await;
    assert_eq!(
        stripe.charge(charge("cus_declined")).await.unwrap_err(),
        PaymentError::Declined {
            code: "insufficient_funds".into(),
            message: "Your card has insufficient funds.".into()
        }
    );
    assert!(matches!(stripe.charge(charge("cus_down")).await, Err(PaymentError::Unavailable(_))));
    let invalid = stripe.charge(charge("cus_missing")).await.unwrap_err();
    assert!(matches!(invalid, PaymentError::Invalid(ref m) if m.starts_with("No such customer")), "{invalid:?}");
    assert!(!invalid.to_string().contains(KEY), "the key is scrubbed: {invalid}");
    assert!(matches!(
        stripe.charge(charge("cus_3ds")).await,
        Err(PaymentError::Declined { ref code, .. }) if code == "authentication_required"
    ));
    // Nothing listening: unavailable, and the key is not in the message.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let offline = Stripe::new(KEY, &format!("http://{closed}")).unwrap();
    let err = offline.charge(charge("cus_ok")).await.unwrap_err();
    assert!(matches!(err, PaymentError::Unavailable(_)) && !err.to_string().contains(KEY), "{err}");
}

#[tokio::test]
async fn a_completed_setup_gives_brand_and_last_four_expanded_or_by_id() {
    let (stripe, log) = stand_in().await;
    let expanded = stripe.completed_setup("cs_expanded").await.unwrap();
    assert_eq!(
        (expanded.reference.as_str(), expanded.brand.as_str(), expanded.last4.as_str()),
        ("pm_1", "visa", "4242")
    );
    assert_eq!(log.lock().unwrap()[0].query, "expand%5B%5D=setup_intent.payment_method");
    let by_id = stripe.completed_setup("cs_ids").await.unwrap();
    assert_eq!((by_id.reference.as_str(), by_id.brand.as_str(), by_id.last4.as_str()), ("pm_2", "amex", "0005"));
    assert!(matches!(stripe.completed_setup("cs_payment").await, Err(PaymentError::Invalid(_))));
    // Session IDs from events cannot steer the path.
    let _ = stripe.completed_setup("../v1/customers").await;
    assert_eq!(log.lock().unwrap().last().unwrap().path, "/v1/checkout/sessions/%2E%2E%2Fv1%2Fcustomers");
}

fn request<'a>(subscription_ref: Option<&'a str>, configured: Option<&'a str>) -> SubscriptionRequest<'a> {
    SubscriptionRequest {
        customer: "cus_1",
        subscription_ref,
        payment_method: Some("pm_1"),
        price: PlanPrice {
            plan_key: "pro",
            plan_name: "Pro",
            interval: Interval::Month,
            amount: Cents::from_minor(9900),
            configured_price: configured,
        },
        workspace_id: "ws_01JSTUB",
        first_charge_at: Some(Utc.with_ymd_and_hms(2026, 12, 28, 12, 0, 0).unwrap()),
        idempotency_key: "plan-change-1",
    }
}

#[tokio::test]
async fn a_new_subscription_makes_its_product_and_price_first_and_charges_first_at_our_period_end() {
    let (stripe, log) = stand_in().await;
    assert_eq!(stripe.sync_subscription(request(None, None)).await.unwrap().as_deref(), Some("sub_new"));
    let seen = log.lock().unwrap().clone();
    let calls: Vec<String> = seen.iter().map(|s| format!("{} {}", s.method, s.path)).collect();
    assert_eq!(
        calls,
        [
            "GET /v1/prices",
            "GET /v1/products/switchboard_pro",
            "POST /v1/products",
            "POST /v1/prices",
            "POST /v1/subscriptions"
        ]
    );
    assert!(seen[0].query.contains("lookup_keys%5B%5D=switchboard_pro_month_9900"), "{}", seen[0].query);
    assert_eq!(seen[3].form["recurring[interval]"], "month");
    assert_eq!(seen[3].form["unit_amount"], "9900");
    assert_eq!(seen[3].form["product"], "switchboard_pro");
    let create = &seen[4];
    assert_eq!(create.form["items[0][price]"], "price_new");
    assert_eq!(create.form["proration_behavior"], "none");
    assert_eq!(create.form["billing_cycle_anchor"], "1798459200");
    assert_eq!(create.form["metadata[workspace_id]"], "ws_01JSTUB");
    assert_eq!(create.headers["idempotency-key"], "plan-change-1");
    assert!(seen.iter().filter(|s| s.method == "POST").all(|s| s.headers.contains_key("idempotency-key")));
}

#[tokio::test]
async fn a_change_swaps_the_item_price_without_proration_and_a_configured_price_is_used_as_is() {
    let (stripe, log) = stand_in().await;
    let changed = stripe.sync_subscription(request(Some("sub_1"), Some("price_configured"))).await.unwrap();
    assert_eq!(changed.as_deref(), Some("sub_1"));
    let seen = log.lock().unwrap().clone();
    let calls: Vec<String> = seen.iter().map(|s| format!("{} {}", s.method, s.path)).collect();
    assert_eq!(calls, ["GET /v1/subscriptions/sub_1", "POST /v1/subscriptions/sub_1"]);
    let update = &seen[1].form;
    assert_eq!(update["items[0][id]"], "si_1");
    assert_eq!(update["items[0][price]"], "price_configured");
    assert_eq!(update["proration_behavior"], "none");
    assert_eq!(update["cancel_at_period_end"], "false");
    assert!(!update.contains_key("billing_cycle_anchor"));
}
