//! Stripe as the processor, end to end: the Add payment method button
//! starts a Checkout Session and redirects to it; Stripe's signed events on
//! `/inbound/stripe` save the card, record paid and failed invoices, and
//! follow the subscription; each event is handled once; a wrong or stale
//! signature is 401 and changes nothing. Stripe itself is a small stand-in
//! here (the calls these flows make; the client's requests are checked
//! against Stripe's OpenAPI in the providers crate's Prism tests).
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_db::{fetch_one, fetch_scalar};

use crate::harness::{TestApp, Visitor, location};

const SECRET: &str = "whsec_stripe_events_test";
const CUSTOMER: &str = "cus_test_stripe";

/// What the stand-in was asked, by path.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>, Arc<std::sync::atomic::AtomicBool>);

impl Seen {
    /// From now on, Checkout URLs point at another plain-http host.
    fn send_elsewhere(&self) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn create_customer(State(seen): State<Seen>) -> Json<Value> {
    seen.0.lock().expect("lock").push("POST /v1/customers".into());
    Json(json!({"id": CUSTOMER, "object": "customer"}))
}

async fn create_session(State(seen): State<Seen>, headers: axum::http::HeaderMap) -> Json<Value> {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
    seen.0.lock().expect("lock").push("POST /v1/checkout/sessions".into());
    let host = if seen.1.load(std::sync::atomic::Ordering::SeqCst) { "elsewhere.example".into() } else { host };
    Json(json!({"id": "cs_test_1", "object": "checkout.session", "url": format!("http://{host}/pay/cs_test_1")}))
}

async fn get_session(State(seen): State<Seen>, Path(id): Path<String>) -> Json<Value> {
    seen.0.lock().expect("lock").push(format!("GET /v1/checkout/sessions/{id}"));
    Json(json!({
        "id": id, "object": "checkout.session", "mode": "setup", "customer": CUSTOMER,
        "setup_intent": {"id": "seti_1", "object": "setup_intent",
            "payment_method": {"id": "pm_card_1", "object": "payment_method", "type": "card",
                "card": {"brand": "mastercard", "last4": "4444"}}}
    }))
}

async fn create_intent(State(seen): State<Seen>) -> Json<Value> {
    seen.0.lock().expect("lock").push("POST /v1/payment_intents".into());
    Json(json!({"id": "pi_1", "object": "payment_intent", "status": "succeeded"}))
}

async fn find_price(State(seen): State<Seen>) -> Json<Value> {
    seen.0.lock().expect("lock").push("GET /v1/prices".into());
    Json(json!({"object": "list", "data": [{"id": "price_basic_month", "object": "price"}], "has_more": false}))
}

async fn create_subscription(State(seen): State<Seen>, body: String) -> Json<Value> {
    let anchored = if body.contains("billing_cycle_anchor=") { " anchored" } else { "" };
    seen.0.lock().expect("lock").push(format!("POST /v1/subscriptions{anchored}"));
    Json(json!({"id": "sub_1", "object": "subscription"}))
}

async fn get_subscription(Path(id): Path<String>) -> Json<Value> {
    Json(json!({"id": id, "object": "subscription", "items": {"data": [{"id": "si_1"}]}}))
}

async fn update_subscription(State(seen): State<Seen>, Path(id): Path<String>, body: String) -> Json<Value> {
    let what = if body.contains("cancel_at_period_end=true") { " cancel_at_period_end" } else { "" };
    seen.0.lock().expect("lock").push(format!("POST /v1/subscriptions/{id}{what}"));
    Json(json!({"id": id, "object": "subscription"}))
}

async fn stand_in() -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/v1/customers", post(create_customer))
        .route("/v1/checkout/sessions", post(create_session))
        .route("/v1/checkout/sessions/{id}", get(get_session))
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/prices", get(find_price))
        .route("/v1/subscriptions", post(create_subscription))
        .route("/v1/subscriptions/{id}", get(get_subscription).post(update_subscription))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn spawn() -> (TestApp, Seen) {
    spawn_with_secret(SECRET).await
}

async fn spawn_with_secret(secret: &str) -> (TestApp, Seen) {
    let (base, seen) = stand_in().await;
    let secret = secret.to_string();
    let app = TestApp::spawn_with_args(|args| {
        args.billing.payment_processor = Some("stripe".into());
        args.billing.stripe_secret_key = Some("sk_test_events".into());
        args.billing.stripe_api_base = Some(base);
        args.inbound.stripe_webhook_secret = Some(secret);
    })
    .await;
    (app, seen)
}

async fn admin(app: &TestApp) -> (Visitor, String) {
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    ada.load_csrf("/settings/subscription").await;
    let ws = ada.current_workspace_id().await;
    (ada, ws)
}

async fn set_customer(app: &TestApp, ws: &str) {
    switchboard_db::execute!(
        &app.state.db,
        "UPDATE subscriptions SET customer_ref = $2 WHERE workspace_id = $1",
        ws,
        CUSTOMER
    )
    .expect("ok");
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({"id": id, "object": "event", "type": kind, "api_version": "2023-08-16", "data": {"object": object}})
        .to_string()
}

async fn deliver_signed(app: &TestApp, body: &str, secret: &str, at: i64) -> reqwest::Response {
    let signature = switchboard::inbound::stripe::sign(secret, at, body.as_bytes());
    app.client()
        .post(app.at("/inbound/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("post")
}

async fn deliver(app: &TestApp, body: &str) -> Value {
    let res = deliver_signed(app, body, SECRET, app.clock_now().timestamp()).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

async fn handled_events(app: &TestApp) -> i64 {
    fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM processor_events").expect("ok")
}

#[tokio::test]
async fn add_payment_method_redirects_to_stripe_checkout_and_the_completed_event_saves_the_card_once() {
    let (app, seen) = spawn().await;
    let (ada, ws) = admin(&app).await;
    let page = ada.get_text("/settings/subscription").await;
    assert!(page.contains("Add payment method"), "the Stripe button is shown");

    let res = ada.post_form("/settings/subscription/payment-method/stripe", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).ends_with("/pay/cs_test_1"), "{}", location(&res));
    assert_eq!(*seen.0.lock().expect("lock"), ["POST /v1/customers", "POST /v1/checkout/sessions"]);
    let customer =
        fetch_scalar!(&app.state.db, String, "SELECT customer_ref FROM subscriptions WHERE workspace_id = $1", &ws);
    assert_eq!(customer.expect("ok"), CUSTOMER);

    let body = event(
        "evt_setup_1",
        "checkout.session.completed",
        json!({
            "id": "cs_test_1", "object": "checkout.session", "mode": "setup", "customer": CUSTOMER, "setup_intent": "seti_1"
        }),
    );
    assert_eq!(deliver(&app, &body).await["outcome"], "handled");
    let (brand, last4, reference) = fetch_one!(
        &app.state.db,
        (String, String, String),
        "SELECT card_brand, card_last4, payment_method_ref FROM subscriptions WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    assert_eq!((brand.as_str(), last4.as_str(), reference.as_str()), ("mastercard", "4444", "pm_card_1"));
    assert!(ada.get_text("/settings/subscription").await.contains("Mastercard ending 4444"));

    // Replayed: no second audit entry, no second call to Stripe.
    assert_eq!(deliver(&app, &body).await["outcome"], "replayed");
    let updates = app.audit_actions(&ws).await.iter().filter(|a| *a == "payment_method.updated").count();
    assert_eq!(updates, 1);
    assert_eq!(seen.0.lock().expect("lock").iter().filter(|s| s.starts_with("GET")).count(), 1);
    assert_eq!(handled_events(&app).await, 1);
}

fn stripe_invoice(id: &str) -> Value {
    json!({
        "id": id, "object": "invoice", "customer": CUSTOMER, "subscription": "sub_1", "amount_due": 9900,
        "billing_reason": "subscription_cycle",
        "lines": {"data": [{"description": "1 × Switchboard Pro (at $99.00 / month)", "amount": 9900,
            "period": {"start": 1_798_000_000, "end": 1_800_592_000}}]}
    })
}

#[tokio::test]
async fn a_failed_then_paid_stripe_invoice_is_recorded_once_emails_admins_and_moves_the_subscription() {
    let (app, _) = spawn().await;
    let (_ada, ws) = admin(&app).await;
    set_customer(&app, &ws).await;
    switchboard_db::execute!(&app.state.db, "UPDATE subscriptions SET status = 'active' WHERE workspace_id = $1", &ws)
        .expect("ok");

    app.run_jobs().await;
    let mails_before = app.outbox().len();
    let failed = event("evt_fail_1", "invoice.payment_failed", stripe_invoice("in_1"));
    assert_eq!(deliver(&app, &failed).await["outcome"], "handled");
    let (status, total, failure) = fetch_one!(
        &app.state.db,
        (String, i64, Option<String>),
        "SELECT status, total_cents, failure_message FROM invoices WHERE workspace_id = $1 AND processor_ref = 'in_1'",
        &ws
    )
    .expect("ok");
    assert_eq!((status.as_str(), total), ("open", 9900));
    assert!(failure.is_some());
    let sub_status =
        async || fetch_scalar!(&app.state.db, String, "SELECT status FROM subscriptions WHERE workspace_id = $1", &ws);
    assert_eq!(sub_status().await.expect("ok"), "past_due");
    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len(), mails_before + 1, "one email to the one Admin");
    assert!(mails.last().expect("ok").contains("ada@example.com"));

    assert_eq!(deliver(&app, &failed).await["outcome"], "replayed");
    let paid = event("evt_paid_1", "invoice.paid", stripe_invoice("in_1"));
    assert_eq!(deliver(&app, &paid).await["outcome"], "handled");
    assert_eq!(deliver(&app, &paid).await["outcome"], "replayed");
    let mut free_start = stripe_invoice("in_zero");
    free_start["amount_due"] = json!(0);
    free_start["billing_reason"] = json!("subscription_create");
    deliver(&app, &event("evt_paid_zero", "invoice.paid", free_start)).await;
    let rows =
        fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1", &ws).expect("ok");
    assert_eq!(rows, 1, "one invoice for the Stripe invoice, however often it is told; none for a $0 one");
    let (status, period_start) = fetch_one!(
        &app.state.db,
        (String, Option<chrono::DateTime<chrono::Utc>>),
        "SELECT status, period_start FROM invoices WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    assert_eq!(status, "paid");
    assert_eq!(period_start.map(|p| p.timestamp()), Some(1_798_000_000), "the cycle's period, for the renewal");
    assert_eq!(sub_status().await.expect("ok"), "active");
    let actions = app.audit_actions(&ws).await;
    for action in ["invoice.payment_failed", "invoice.paid"] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn subscription_updates_and_deletion_follow_stripe() {
    let (app, _) = spawn().await;
    let (_ada, ws) = admin(&app).await;
    set_customer(&app, &ws).await;
    let (start, end) = fetch_one!(
        &app.state.db,
        (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        "SELECT period_start, period_end FROM subscriptions WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    let stripe_end = end.timestamp() + 3600;
    let updated = event(
        "evt_sub_1",
        "customer.subscription.updated",
        json!({
            "id": "sub_9", "object": "subscription", "customer": CUSTOMER, "status": "active",
            "cancel_at_period_end": true, "current_period_start": start.timestamp(), "current_period_end": stripe_end
        }),
    );
    assert_eq!(deliver(&app, &updated).await["outcome"], "handled");
    let row = async || {
        fetch_one!(
            &app.state.db,
            (String, bool, chrono::DateTime<chrono::Utc>, Option<String>),
            "SELECT status, cancel_at_period_end, period_end, subscription_ref FROM subscriptions WHERE workspace_id = $1",
            &ws
        )
    };
    let (status, cancel, period_end, reference) = row().await.expect("ok");
    assert_eq!(
        (status.as_str(), cancel, period_end.timestamp(), reference.as_deref()),
        ("active", true, stripe_end, Some("sub_9"))
    );

    // A later period at Stripe is the renewal job's to open: the end stays.
    let next = event(
        "evt_sub_2",
        "customer.subscription.updated",
        json!({
            "id": "sub_9", "object": "subscription", "customer": CUSTOMER, "status": "active",
            "cancel_at_period_end": true, "current_period_start": stripe_end, "current_period_end": stripe_end + 2_592_000
        }),
    );
    deliver(&app, &next).await;
    assert_eq!(row().await.expect("ok").2.timestamp(), stripe_end);

    let deleted = event(
        "evt_sub_3",
        "customer.subscription.deleted",
        json!({
            "id": "sub_9", "object": "subscription", "customer": CUSTOMER, "status": "canceled", "cancel_at_period_end": false
        }),
    );
    deliver(&app, &deleted).await;
    let (status, cancel, _, reference) = row().await.expect("ok");
    assert_eq!((status.as_str(), cancel, reference), ("canceled", false, None));
    let synced = app.audit_actions(&ws).await.iter().filter(|a| *a == "subscription.synced").count();
    assert_eq!(synced, 2, "the period-only event changed nothing");
}

#[tokio::test]
async fn wrong_or_stale_signatures_are_refused_and_change_nothing_and_unknown_events_are_ignored() {
    let (app, _) = spawn().await;
    let (_ada, ws) = admin(&app).await;
    set_customer(&app, &ws).await;
    let body = event("evt_sub_x", "customer.subscription.deleted", json!({"id": "sub_1", "customer": CUSTOMER}));
    let now = app.clock_now().timestamp();
    assert_eq!(deliver_signed(&app, &body, "whsec_other", now).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(deliver_signed(&app, &body, SECRET, now - 301).await.status(), StatusCode::UNAUTHORIZED);
    let unsigned = app.client().post(app.at("/inbound/stripe")).body(body.clone()).send().await.expect("ok");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(handled_events(&app).await, 0);
    let status = fetch_scalar!(&app.state.db, String, "SELECT status FROM subscriptions WHERE workspace_id = $1", &ws);
    assert_eq!(status.expect("ok"), "trialing");

    let unknown = event("evt_other", "customer.created", json!({"id": CUSTOMER}));
    assert_eq!(deliver(&app, &unknown).await["outcome"], "ignored");
    assert_eq!(handled_events(&app).await, 0);
}

/// The shared signature vector (also checked by `inbound::stripe`'s unit
/// tests) through the real route: accepted at its own time, refused one
/// second past the tolerance.
#[tokio::test]
async fn the_shared_stripe_vector_is_accepted_by_the_route_at_its_time_and_refused_past_the_tolerance() {
    let vectors: Value =
        serde_json::from_str(include_str!("../fixtures/inbound-webhook-signature-vectors.json")).expect("ok");
    let vector =
        vectors["vectors"].as_array().expect("ok").iter().find(|v| v["provider"] == "stripe").expect("ok").clone();
    let (app, _) = spawn_with_secret(vector["endpoint_secret"].as_str().expect("ok")).await;
    let at = vector["timestamp"].as_i64().expect("ok");
    app.clock.advance(chrono::Duration::seconds(at - app.clock_now().timestamp()));
    let post = || {
        app.client()
            .post(app.at("/inbound/stripe"))
            .header("stripe-signature", vector["expected_header"].as_str().expect("ok"))
            .body(vector["raw_body"].as_str().expect("ok").to_string())
            .send()
    };
    let res = post().await.expect("ok");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["outcome"], "ignored", "customer.created has no effect");
    app.clock.advance(chrono::Duration::seconds(301));
    assert_eq!(post().await.expect("ok").status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn checkout_urls_must_be_https_or_the_api_hosts_and_the_sandbox_has_no_stripe_button() {
    let (app, seen) = spawn().await;
    let (ada, ws) = admin(&app).await;
    seen.send_elsewhere();
    let res = ada.post_form("/settings/subscription/payment-method/stripe", &[]).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "a plain-http page elsewhere is not followed");
    assert!(res.headers().get("location").is_none());
    let method = fetch_scalar!(
        &app.state.db,
        Option<String>,
        "SELECT payment_method_ref FROM subscriptions WHERE workspace_id = $1",
        &ws
    );
    assert_eq!(method.expect("ok"), None);

    let sandbox = TestApp::spawn().await;
    let (ada, _) = admin(&sandbox).await;
    assert!(!ada.get_text("/settings/subscription").await.contains("/payment-method/stripe"));
    let res = ada.post_form("/settings/subscription/payment-method/stripe", &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Stripe may deliver one event twice at once (a retry racing a slow
/// answer): it takes effect once.
#[tokio::test]
async fn the_same_event_delivered_twice_at_once_takes_effect_once() {
    let (app, _) = spawn().await;
    let (_ada, ws) = admin(&app).await;
    set_customer(&app, &ws).await;
    app.run_jobs().await;
    let mails_before = app.outbox().len();
    let failed = event("evt_race_1", "invoice.payment_failed", stripe_invoice("in_race"));
    let (a, b) = tokio::join!(deliver(&app, &failed), deliver(&app, &failed));
    let mut outcomes = [a["outcome"].to_string(), b["outcome"].to_string()];
    outcomes.sort();
    assert_eq!(outcomes, ["\"handled\"", "\"replayed\""]);
    let failures = app.audit_actions(&ws).await.iter().filter(|a| *a == "invoice.payment_failed").count();
    assert_eq!(failures, 1);
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), mails_before + 1, "one email");
    assert_eq!(handled_events(&app).await, 1);
}

/// With Stripe billing the cycles, our subscription row stays the authority:
/// the trial's end charges the first period through our own invoice, then
/// creates Stripe's subscription anchored at that period's end; the next
/// renewal does not charge but waits for Stripe's paid cycle invoice; a
/// cancellation reaches Stripe as cancel-at-period-end.
#[tokio::test]
async fn stripe_bills_the_cycles_after_the_first_and_our_renewal_waits_for_its_paid_invoice() {
    let (app, seen) = spawn().await;
    let (_ada, ws) = admin(&app).await;
    set_customer(&app, &ws).await;
    let ws_id: switchboard_core::WorkspaceId = ws.parse().expect("workspace ID");
    let card = switchboard_providers::payments::PaymentMethod {
        reference: "pm_card_1".into(),
        brand: "visa".into(),
        last4: "4242".into(),
    };
    let origin = switchboard::audit::Origin::system(ws_id.clone());
    switchboard::payments::methods::save(&app.state, &origin, &ws_id, &card).await.expect("card saved");
    switchboard_db::execute!(
        &app.state.db,
        "UPDATE subscriptions SET scheduled_plan_key = 'basic', scheduled_cycle = 'monthly' WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    let seen_now = || seen.0.lock().expect("lock").clone();
    let count = |calls: &[String], call: &str| calls.iter().filter(|c| c.as_str() == call).count();

    // The trial ends: our invoice charges the first period, then Stripe's
    // subscription starts, its first charge at that period's end.
    app.clock.advance(chrono::Duration::days(15));
    switchboard::subscription::renewal::run_pass(&app.state).await.expect("pass");
    let calls = seen_now();
    assert_eq!(count(&calls, "POST /v1/payment_intents"), 1, "{calls:?}");
    assert_eq!(count(&calls, "POST /v1/subscriptions anchored"), 1, "{calls:?}");
    let (plan, reference, period_end) = fetch_one!(
        &app.state.db,
        (String, Option<String>, chrono::DateTime<chrono::Utc>),
        "SELECT plan_key, subscription_ref, period_end FROM subscriptions WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    assert_eq!((plan.as_str(), reference.as_deref()), ("basic", Some("sub_1")));
    let grants = async || {
        fetch_scalar!(
            &app.state.db,
            i64,
            "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'cycle_grant'",
            &ws
        )
        .expect("ok")
    };
    let grants_after_trial = grants().await;

    // The period ends: no charge of ours, and the period waits for Stripe.
    app.clock.advance(chrono::Duration::days(31));
    switchboard::subscription::renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(count(&seen_now(), "POST /v1/payment_intents"), 1, "Stripe charges this cycle, not us");
    assert_eq!(grants().await, grants_after_trial, "no credits before Stripe's invoice is paid");

    // Stripe's cycle invoice is paid: the next pass opens the period once.
    let mut cycle = stripe_invoice("in_cycle_2");
    cycle["amount_due"] = json!(2900);
    cycle["lines"]["data"][0]["period"] =
        json!({"start": period_end.timestamp(), "end": period_end.timestamp() + 30 * 86_400});
    assert_eq!(deliver(&app, &event("evt_cycle_2", "invoice.paid", cycle)).await["outcome"], "handled");
    switchboard::subscription::renewal::run_pass(&app.state).await.expect("pass");
    switchboard::subscription::renewal::run_pass(&app.state).await.expect("a second pass changes nothing");
    assert_eq!(grants().await, grants_after_trial + 1, "the cycle's credits, once");
    let new_start = fetch_scalar!(
        &app.state.db,
        chrono::DateTime<chrono::Utc>,
        "SELECT period_start FROM subscriptions WHERE workspace_id = $1",
        &ws
    )
    .expect("ok");
    assert_eq!(new_start, period_end);

    // A cancellation reaches Stripe as cancel-at-period-end.
    switchboard_db::execute!(
        &app.state.db,
        "UPDATE subscriptions SET cancel_at_period_end = TRUE, updated_at = $2 WHERE workspace_id = $1",
        &ws,
        app.clock_now()
    )
    .expect("ok");
    switchboard::subscription::processor_sync::sync(&app.state, &ws_id).await;
    assert_eq!(count(&seen_now(), "POST /v1/subscriptions/sub_1 cancel_at_period_end"), 1, "{:?}", seen_now());
}
