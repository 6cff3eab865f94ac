//! Buying platform numbers (issue 15): search with prices, the first month
//! charged once with its idempotency key, the plan's limit and the balance
//! checked before anything is ordered, a failed order refunded, an
//! asynchronous order completed by the reconcile job, and the two kills:
//! between the charge and the order, and between the order and the second
//! transaction (the job finds the number at the carrier, never orders it
//! twice). The sandbox carrier keeps one file per owned number in the data
//! folder: what the carrier holds is what that folder holds.
use std::path::PathBuf;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::Origin;
use switchboard::phone_numbers::{buy, carrier, orders, store};
use switchboard_core::{PhoneNumberId, WorkspaceId};
use switchboard_db::{execute, fetch_all, fetch_scalar};

use crate::credits_ledger::{balance, set_balance, whole};
use crate::harness::{TestApp, Visitor, problem};

pub const NUMBER: &str = "+14155550100";

/// The numbers the sandbox carrier holds (file names, digits only).
pub fn held(app: &TestApp) -> Vec<String> {
    let dir: PathBuf = app.state.config.data_dir.join(carrier::SANDBOX_DIR);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).filter_map(|e| e.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".json") && !n.starts_with('.'));
    names.sort();
    names
}

pub async fn admin_workspace(app: &TestApp) -> (Visitor, WorkspaceId) {
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    (admin, ws)
}

pub async fn buy_number(admin: &Visitor, e164: &str) -> Value {
    let res = admin.post_json("/api/v1/phone-numbers", json!({ "phone_number": e164 })).await;
    assert_eq!(res.status(), StatusCode::CREATED, "buy {e164}");
    res.json().await.expect("json")
}

pub async fn count(app: &TestApp, sql: &'static str, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, sql, ws.as_str()).expect("count")
}

pub const RENTALS: &str = "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'number_rental'";
const NUMBERS: &str = "SELECT COUNT(*) FROM phone_numbers WHERE workspace_id = $1";

#[tokio::test]
async fn buying_a_number_charges_the_first_month_once_and_activates_it() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["phone_number.purchased"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Search: priced at 30 number-days of the plan's rate (5 credits a day).
    let found = admin.get_json("/api/v1/phone-numbers/available?country=us&area_code=415&contains=0100").await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["data"][0]["phone_number"], NUMBER);
    assert_eq!(found["data"][0]["monthly_price_credits"], 150_000);
    assert_eq!(found["data"][0]["display"], "+1 415 555 0100");

    let number = buy_number(&admin, NUMBER).await;
    assert_eq!(number["status"], "ACTIVE", "{number}");
    assert_eq!(number["source"], "PLATFORM");
    assert_eq!(number["carrier"], "sandbox");
    assert_eq!(number["monthly_price_credits"], 150_000);
    assert_eq!(number["capabilities"], json!(["voice", "sms", "mms"]));
    assert!(number["renews_on"].is_string());
    let id = number["id"].as_str().expect("id");
    assert_eq!(held(&app), ["14155550100.json"], "the carrier holds it");

    // Credits down by the price, in one entry under the number's key.
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_sub(whole(150)).expect("sub"));
    let keys: Vec<(String, i64)> = fetch_all!(
        &app.state.db,
        (String, i64),
        "SELECT idempotency_key, amount FROM credit_entries WHERE workspace_id = $1 AND kind = 'number_rental'",
        ws.as_str()
    )
    .expect("entries");
    assert_eq!(keys, vec![(format!("number_rental:{id}:first"), -150_000)]);

    // Audited, and the webhook event is in the outbox.
    let actions = app.audit_actions(ws.as_str()).await;
    assert!(actions.contains(&"phone_number.ordered".to_string()), "{actions:?}");
    assert!(actions.contains(&"phone_number.purchased".to_string()), "{actions:?}");
    let purchased =
        "SELECT COUNT(*) FROM webhook_messages WHERE workspace_id = $1 AND event_type = 'phone_number.purchased'";
    assert_eq!(count(&app, purchased, &ws).await, 1);

    // Listed and read back.
    let list = admin.get_json("/api/v1/phone-numbers").await;
    assert_eq!(list["data"][0]["id"], id);
    assert_eq!(admin.get_json(&format!("/api/v1/phone-numbers/{id}")).await["phone_number"], NUMBER);
    // The reconcile job enqueued with the charge finds it settled and does nothing.
    app.clock.advance(Duration::minutes(5));
    app.run_jobs().await;
    assert_eq!(count(&app, RENTALS, &ws).await, 1);
    assert_eq!(held(&app).len(), 1);
}

#[tokio::test]
async fn a_member_reads_numbers_but_cannot_search_buy_or_release() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    let number = buy_number(&admin, NUMBER).await;
    let id = number["id"].as_str().expect("id");
    let mut mia = app.visitor();
    mia.sign_up("Mia", "mia@example.com", "correct horse battery").await;
    app.add_member(ws.as_str(), &mia, "member").await;
    mia.switch_to(ws.as_str()).await;
    assert_eq!(mia.get_json("/api/v1/phone-numbers").await["data"][0]["id"], id);
    assert_eq!(mia.get(&format!("/api/v1/phone-numbers/{id}")).await.status(), StatusCode::OK);
    let res = mia.post_json("/api/v1/phone-numbers", json!({"phone_number": "+12125550100"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(mia.get("/api/v1/phone-numbers/available?country=US").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(mia.delete(&format!("/api/v1/phone-numbers/{id}")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(held(&app).len(), 1);
    assert_eq!(count(&app, NUMBERS, &ws).await, 1);
    // Another workspace's number is not found.
    let other = app.user_with_workspace("Bo", "bo@example.com", "Other").await;
    assert_eq!(other.get(&format!("/api/v1/phone-numbers/{id}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_searches_and_numbers_get_field_errors() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    let res = admin.get("/api/v1/phone-numbers/available?country=USA&area_code=4x5&type=pager").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    let fields: Vec<&str> =
        body["errors"].as_array().map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect()).unwrap_or_default();
    assert_eq!(fields, ["country", "type", "area_code"], "{body}");
    let res = admin.post_json("/api/v1/phone-numbers", json!({"phone_number": "415 555 0100"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, NUMBERS, &ws).await, 0);
}

#[tokio::test]
async fn the_plan_limit_refuses_one_more_number_before_anything_is_charged() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    execute!(&app.state.db, "UPDATE subscriptions SET plan_key = 'free' WHERE workspace_id = $1", ws.as_str())
        .expect("free plan");
    buy_number(&admin, NUMBER).await;
    let before = balance(&app.state, &ws).await.total();
    let res = admin.post_json("/api/v1/phone-numbers", json!({"phone_number": "+12125550100"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "plan_limit");
    assert_eq!(balance(&app.state, &ws).await.total(), before);
    assert_eq!(held(&app), ["14155550100.json"]);
    assert_eq!(count(&app, NUMBERS, &ws).await, 1);
}

#[tokio::test]
async fn not_enough_credits_names_the_shortfall_and_orders_nothing() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    set_balance(&app.state, &ws, 100).await;
    let res = admin.post_json("/api/v1/phone-numbers", json!({"phone_number": NUMBER})).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body = problem(res).await;
    assert_eq!(body["code"], "insufficient_credits");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("costs 150") && detail.contains("balance is 100") && detail.contains("50 short"),
        "{detail}"
    );
    assert!(held(&app).is_empty(), "nothing ordered");
    assert_eq!(count(&app, NUMBERS, &ws).await, 0);
    assert_eq!(count(&app, RENTALS, &ws).await, 0);
    assert_eq!(balance(&app.state, &ws).await.total(), whole(100));
}

#[tokio::test]
async fn a_number_live_elsewhere_is_a_conflict_and_costs_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = admin_workspace(&app).await;
    buy_number(&admin, NUMBER).await;
    let other = app.user_with_workspace("Bo", "bo@example.com", "Other").await;
    let other_ws: WorkspaceId = other.workspace_id().await.parse().expect("ws");
    let before = balance(&app.state, &other_ws).await.total();
    let res = other.post_json("/api/v1/phone-numbers", json!({"phone_number": NUMBER})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "number_taken");
    assert_eq!(balance(&app.state, &other_ws).await.total(), before);
}

#[tokio::test]
async fn a_refused_order_fails_and_refunds_the_charge() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();
    let number = buy_number(&admin, "+14155550199").await;
    assert_eq!(number["status"], "FAILED", "{number}");
    assert!(number["status_detail"].as_str().unwrap_or_default().contains("could not complete"), "{number}");
    assert!(held(&app).is_empty());
    assert_eq!(balance(&app.state, &ws).await.total(), before, "refunded");
    let refunds = "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'refund'";
    assert_eq!(count(&app, refunds, &ws).await, 1);
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.order_failed".to_string()));
    // The failed number does not hold its E.164 or count against the plan.
    let list = admin.get_json("/api/v1/phone-numbers").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "failed numbers are hidden by default");
    let failed = admin.get_json("/api/v1/phone-numbers?status=FAILED").await;
    assert_eq!(failed["data"][0]["id"], number["id"]);
    // The job runs later and changes nothing (no second refund).
    app.clock.advance(Duration::minutes(5));
    app.run_jobs().await;
    assert_eq!(count(&app, refunds, &ws).await, 1);
}

#[tokio::test]
async fn an_asynchronous_order_is_pending_until_the_job_completes_it() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin_workspace(&app).await;
    let number = buy_number(&admin, "+14155550198").await;
    assert_eq!(number["status"], "PENDING", "{number}");
    assert!(number["renews_on"].is_null());
    let id = number["id"].as_str().expect("id");
    app.run_jobs().await;
    assert_eq!(admin.get_json(&format!("/api/v1/phone-numbers/{id}")).await["status"], "PENDING", "not due yet");
    app.clock.advance(Duration::minutes(3));
    app.run_jobs().await;
    let after = admin.get_json(&format!("/api/v1/phone-numbers/{id}")).await;
    assert_eq!(after["status"], "ACTIVE", "{after}");
    assert_eq!(count(&app, RENTALS, &ws).await, 1, "charged once");
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.purchased".to_string()));
}

/// Step 1 of a purchase alone, as a process killed right after it left it.
async fn charged_only(app: &TestApp, ws: &WorkspaceId, e164: &str) -> PhoneNumberId {
    let number = buy::charge(&app.state, &Origin::system(ws.clone()), ws, e164).await.expect("charge");
    assert_eq!(number.status.as_str(), "PENDING");
    number.id
}

async fn status_of(app: &TestApp, ws: &WorkspaceId, id: &PhoneNumberId) -> String {
    store::find(&app.state.db, ws, id).await.expect("find").expect("number").status.as_str().to_string()
}

#[tokio::test]
async fn a_purchase_killed_between_charge_and_order_is_ordered_once_by_the_job() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = admin_workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();
    let id = charged_only(&app, &ws, NUMBER).await;
    assert!(held(&app).is_empty(), "killed before the order");
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_sub(whole(150)).expect("sub"));
    // The restarted worker runs the reconcile job: the carrier does not hold it, so it orders.
    app.clock.advance(Duration::minutes(3));
    app.run_jobs().await;
    assert_eq!(status_of(&app, &ws, &id).await, "ACTIVE");
    assert_eq!(held(&app), ["14155550100.json"]);
    // Another pass (a second process, a repeated job) changes nothing.
    assert_eq!(orders::reconcile(&app.state, &ws, &id).await.expect("again"), orders::Reconciled::Settled);
    assert_eq!(count(&app, RENTALS, &ws).await, 1);
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_sub(whole(150)).expect("sub"));
}

#[tokio::test]
async fn a_purchase_killed_after_the_order_is_found_at_the_carrier_not_ordered_again() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = admin_workspace(&app).await;
    let id = charged_only(&app, &ws, NUMBER).await;
    let callbacks = carrier::callbacks(&app.state, "sandbox");
    let placed = app.state.carrier.order(NUMBER, id.as_str(), &callbacks).await.expect("order");
    assert!(matches!(placed, switchboard_providers::carriers::OrderState::Active(_)));
    // The process dies before the second transaction. To prove the job asks
    // before ordering, the carrier's record now names another reference: a
    // second order would be refused (and fail the number), finding it works.
    let file = app.state.config.data_dir.join(carrier::SANDBOX_DIR).join("14155550100.json");
    let record = std::fs::read_to_string(&file).expect("held");
    std::fs::write(&file, record.replace(id.as_str(), "pn_someone_else")).expect("rewrite");
    app.clock.advance(Duration::minutes(3));
    app.run_jobs().await;
    assert_eq!(status_of(&app, &ws, &id).await, "ACTIVE");
    let number = store::find(&app.state.db, &ws, &id).await.expect("find").expect("number");
    assert_eq!(number.carrier_ref.as_deref(), Some(NUMBER));
    assert_eq!(held(&app).len(), 1);
    assert_eq!(count(&app, RENTALS, &ws).await, 1, "one charge");
    let refunds = "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'refund'";
    assert_eq!(count(&app, refunds, &ws).await, 0);
}

#[tokio::test]
async fn a_pending_order_is_given_up_after_a_day_and_refunded() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = admin_workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();
    let id = charged_only(&app, &ws, "+14155550198").await;
    app.clock.advance(Duration::hours(25));
    assert_eq!(
        orders::reconcile(&app.state, &ws, &id).await.expect("reconcile"),
        orders::Reconciled::Done(switchboard::phone_numbers::model::NumberStatus::Failed)
    );
    assert_eq!(balance(&app.state, &ws).await.total(), before);
    assert!(held(&app).is_empty());
}
