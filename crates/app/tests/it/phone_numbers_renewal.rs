//! Renewing and releasing platform numbers (issue 15): one debit per
//! number and period across two processes and a crash, PAST_DUE with an
//! email to the Admins and release after the 7-day grace, a top-up or
//! auto-recharge that pays, imported numbers that never renew, releasing
//! by an Admin and with the workspace (the carrier no longer holds them).
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;
use switchboard::credits::ledger::{self, EntryKind, NewEntry};
use switchboard::phone_numbers::model::{NumberSource, NumberStatus};
use switchboard::phone_numbers::{renewal, store};
use switchboard::state::AppState;
use switchboard_core::{Credits, PhoneNumberId, WorkspaceId};
use switchboard_db::fetch_all;
use switchboard_providers::carriers::{Capabilities, NumberType};

use crate::credits_ledger::{balance, set_balance, whole};
use crate::harness::{TestApp, Visitor, problem};
use crate::phone_numbers_buy::{NUMBER, RENTALS, admin_workspace, buy_number, count, held};

async fn bought(app: &TestApp) -> (Visitor, WorkspaceId, PhoneNumberId) {
    let (admin, ws) = admin_workspace(app).await;
    let number = buy_number(&admin, NUMBER).await;
    let id: PhoneNumberId = number["id"].as_str().expect("id").parse().expect("id");
    (admin, ws, id)
}

async fn number(app: &TestApp, ws: &WorkspaceId, id: &PhoneNumberId) -> switchboard::phone_numbers::model::PhoneNumber {
    store::find(&app.state.db, ws, id).await.expect("find").expect("number")
}

/// Moves the clock to the number's renewal.
async fn to_renewal(app: &TestApp, ws: &WorkspaceId, id: &PhoneNumberId) -> DateTime<Utc> {
    let due = number(app, ws, id).await.renews_on.expect("renews");
    app.clock.advance(due - app.clock_now());
    due
}

async fn second_process(app: &TestApp) -> AppState {
    let config = app.state.config.clone();
    switchboard::server::build_state(config, app.url.clone(), app.clock.clone()).await.expect("second state")
}

async fn rental_keys(app: &TestApp, ws: &WorkspaceId) -> Vec<String> {
    let rows: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT idempotency_key FROM credit_entries WHERE workspace_id = $1 AND kind = 'number_rental' ORDER BY seq",
        ws.as_str()
    )
    .expect("keys");
    rows.into_iter().map(|(k,)| k).collect()
}

#[tokio::test]
async fn two_processes_renewing_at_once_charge_each_period_once() {
    let app = TestApp::spawn().await;
    let (_admin, ws, id) = bought(&app).await;
    let other = second_process(&app).await;
    let before = balance(&app.state, &ws).await.total();
    let due = to_renewal(&app, &ws, &id).await;
    let (a, b) = tokio::join!(renewal::run_pass(&app.state), renewal::run_pass(&other));
    assert_eq!(a.expect("first").renewed + b.expect("second").renewed, 1, "one of them renewed it");
    let after = number(&app, &ws, &id).await;
    assert_eq!(after.period_start, Some(due));
    assert!(after.renews_on.is_some_and(|next| next > due + chrono::Duration::days(27)));
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_sub(whole(150)).expect("sub"));
    assert_eq!(rental_keys(&app, &ws).await.len(), 2, "the first month and one renewal");
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.renewed".to_string()));
    // Passes before the next period (either process, after a restart) charge nothing.
    assert_eq!(renewal::run_pass(&other).await.expect("again").renewed, 0);
    assert_eq!(renewal::run_pass(&app.state).await.expect("again").renewed, 0);
    // The next month renews again, once.
    to_renewal(&app, &ws, &id).await;
    let (a, b) = tokio::join!(renewal::run_pass(&app.state), renewal::run_pass(&other));
    assert_eq!(a.expect("first").renewed + b.expect("second").renewed, 1);
    assert_eq!(rental_keys(&app, &ws).await.len(), 3);
}

#[tokio::test]
async fn a_renewal_killed_before_its_commit_renews_once_on_the_next_pass() {
    let app = TestApp::spawn().await;
    let (_admin, ws, id) = bought(&app).await;
    let due = to_renewal(&app, &ws, &id).await;
    // The debit written, the process dies before the commit: nothing stays.
    let mut tx = app.state.db.begin().await.expect("tx");
    let key = renewal::rental_key(&id, due);
    let debit = NewEntry::new(EntryKind::NumberRental, Credits::ZERO.checked_sub(whole(150)).expect("neg"), key, "x");
    ledger::post(&mut tx, &ws, debit, app.clock_now()).await.expect("debit");
    drop(tx);
    assert_eq!(rental_keys(&app, &ws).await.len(), 1);
    // The restarted process renews it, once.
    let restarted = second_process(&app).await;
    assert_eq!(renewal::run_pass(&restarted).await.expect("pass").renewed, 1);
    assert_eq!(renewal::run_pass(&restarted).await.expect("pass").renewed, 0);
    assert_eq!(rental_keys(&app, &ws).await, vec![format!("number_rental:{id}:first"), renewal::rental_key(&id, due)]);
}

#[tokio::test]
async fn an_unpaid_renewal_is_past_due_emails_the_admins_and_is_released_after_seven_days() {
    let app = TestApp::spawn().await;
    let (_admin, ws, id) = bought(&app).await;
    set_balance(&app.state, &ws, 40).await;
    to_renewal(&app, &ws, &id).await;
    let pass = renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(pass.past_due, 1);
    let n = number(&app, &ws, &id).await;
    assert_eq!(n.status, NumberStatus::PastDue);
    assert!(n.status_detail.as_deref().unwrap_or_default().contains("150 credits"), "{:?}", n.status_detail);
    assert_eq!(balance(&app.state, &ws).await.total(), whole(40), "nothing debited");
    app.run_jobs().await;
    let mails: Vec<String> = app.outbox().into_iter().filter(|m| m.contains("could not be renewed")).collect();
    assert_eq!(mails.len(), 1, "one email to the one Admin");
    assert!(mails[0].contains("ada@example.com") && mails[0].contains("150 credits"));
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.past_due".to_string()));
    // Later passes in the grace period: no second email, still held.
    app.clock.advance(chrono::Duration::days(3));
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass").released, 0);
    app.run_jobs().await;
    assert_eq!(app.outbox().iter().filter(|m| m.contains("could not be renewed")).count(), 1);
    assert_eq!(held(&app).len(), 1);
    // Seven days after it fell due: released, at the carrier too.
    app.clock.advance(chrono::Duration::days(4));
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass").released, 1);
    app.run_jobs().await;
    let n = number(&app, &ws, &id).await;
    assert_eq!(n.status, NumberStatus::Released);
    assert!(n.released_at.is_some() && n.renews_on.is_none());
    assert!(held(&app).is_empty(), "the carrier no longer holds it");
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.released".to_string()));
    assert_eq!(balance(&app.state, &ws).await.total(), whole(40));
}

#[tokio::test]
async fn a_past_due_number_renews_on_the_next_pass_once_credits_are_added() {
    let app = TestApp::spawn().await;
    let (_admin, ws, id) = bought(&app).await;
    set_balance(&app.state, &ws, 0).await;
    let due = to_renewal(&app, &ws, &id).await;
    renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(number(&app, &ws, &id).await.status, NumberStatus::PastDue);
    app.clock.advance(chrono::Duration::days(2));
    // A top-up (set_balance's keys are taken: a plain positive adjustment).
    let top_up = NewEntry::new(EntryKind::TopUp, whole(500), "test:top_up", "Top-up");
    crate::credits_ledger::post(&app.state, &ws, top_up).await.expect("top up");
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass").renewed, 1);
    let n = number(&app, &ws, &id).await;
    assert_eq!((n.status, n.past_due_since), (NumberStatus::Active, None));
    assert_eq!(n.period_start, Some(due), "the period still starts when it fell due");
    assert_eq!(balance(&app.state, &ws).await.total(), whole(350));
}

#[tokio::test]
async fn auto_recharge_pays_a_renewal_the_balance_cannot() {
    let app = TestApp::spawn().await;
    let (admin, ws, id) = bought(&app).await;
    let card = json!({"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"});
    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 100, "card": card})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let settings = json!({"enabled": true, "threshold": 500, "amount": 1000, "monthly_cap": 5000});
    let res = admin.api(reqwest::Method::PUT, "/api/v1/credits/auto-recharge", Some(settings)).await;
    assert_eq!(res.status(), StatusCode::OK);
    set_balance(&app.state, &ws, 40).await;
    to_renewal(&app, &ws, &id).await;
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass").renewed, 1);
    assert_eq!(number(&app, &ws, &id).await.status, NumberStatus::Active);
    assert_eq!(balance(&app.state, &ws).await.total(), whole(40 + 1000 - 150));
    assert_eq!(count(&app, RENTALS, &ws).await, 2);
}

#[tokio::test]
async fn imported_numbers_never_renew() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = admin_workspace(&app).await;
    let id = PhoneNumberId::new();
    let past = app.clock_now();
    let new = store::NewNumber {
        id: &id,
        e164: "+12125550150",
        friendly_name: "",
        country: "US",
        number_type: NumberType::Local,
        capabilities: Capabilities::VOICE,
        source: NumberSource::Imported,
        carrier: "twilio",
        carrier_account_id: None,
        carrier_ref: Some("PN1"),
        monthly_price: 0,
        status: NumberStatus::Active,
        period_start: None,
        renews_on: Some(past),
    };
    let mut tx = app.state.db.begin().await.expect("tx");
    store::insert(&mut tx, &ws, &new, past).await.expect("insert");
    tx.commit().await.expect("commit");
    app.clock.advance(chrono::Duration::days(40));
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass"), renewal::Pass::default());
    assert_eq!(count(&app, RENTALS, &ws).await, 0);
}

#[tokio::test]
async fn an_admin_releases_a_number_and_the_carrier_no_longer_holds_it() {
    let app = TestApp::spawn().await;
    let (admin, ws, id) = bought(&app).await;
    assert_eq!(held(&app).len(), 1);
    let res = admin.delete(&format!("/api/v1/phone-numbers/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "RELEASED");
    assert!(body["renews_on"].is_null());
    assert!(held(&app).is_empty(), "released at the carrier");
    assert!(app.audit_actions(ws.as_str()).await.contains(&"phone_number.released".to_string()));
    // Again: nothing to release. And no renewal charges it.
    let res = admin.delete(&format!("/api/v1/phone-numbers/{id}")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "number_not_held");
    // The E.164 is free again: bought anew it is another number.
    let again = buy_number(&admin, NUMBER).await;
    assert_eq!(again["status"], "ACTIVE");
    assert_ne!(again["id"], id.as_str());
    // Months later the released one was never charged again (the new one renews).
    app.clock.advance(chrono::Duration::days(40));
    app.run_jobs().await;
    renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(rental_keys(&app, &ws).await.iter().filter(|k| k.contains(id.as_str())).count(), 1);
}

#[tokio::test]
async fn deleting_the_workspace_releases_its_numbers_at_the_carrier() {
    let app = TestApp::spawn().await;
    let (admin, _ws, _id) = bought(&app).await;
    buy_number(&admin, "+12125550100").await;
    assert_eq!(held(&app).len(), 2);
    let res =
        admin.api(reqwest::Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme Voice"}))).await;
    assert!(res.status().is_success(), "{:?}", res.text().await);
    app.run_jobs().await;
    assert!(held(&app).is_empty(), "both numbers went back to the carrier");
}
