//! Subscriptions: the trial, its end, upgrades with proration, declined
//! upgrades, scheduled downgrades and cancellations, resume, the API's
//! shapes and the page's forms. Renewals are in `subscription_renewal.rs`,
//! limits in `subscription_limits.rs`.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::audit::Origin;
use switchboard::subscription::renewal;
use switchboard::subscription::store::{self, SubscriptionRow};
use switchboard_core::WorkspaceId;
use switchboard_db::fetch_scalar;
use switchboard_providers::payments::CardInput;

use crate::harness::{TestApp, Visitor, flash_text, location, problem};

pub const OK_CARD: &str = "4242424242424242";
/// Saved, then every charge of it is declined.
pub const FAILING_CARD: &str = "4000000000000341";

/// An Admin signed in to a new workspace (on its trial).
pub async fn workspace(app: &TestApp) -> (Visitor, WorkspaceId) {
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await.parse().expect("ws id");
    (admin, ws)
}

/// Saves `number` as the workspace's card, as the card form does.
pub async fn add_card(app: &TestApp, ws: &WorkspaceId, number: &str) {
    let customer =
        switchboard::payments::methods::ensure_customer(&app.state, ws, "Acme Voice").await.expect("customer");
    let card = CardInput { number: number.into(), exp_month: 12, exp_year: 2030, cvc: "123".into() };
    let method = app.state.payments.attach_card(&customer, &card).await.expect("card saved");
    switchboard::payments::methods::save(&app.state, &Origin::system(ws.clone()), ws, &method).await.expect("save");
}

pub async fn sub(app: &TestApp, ws: &WorkspaceId) -> SubscriptionRow {
    store::find(&app.state.db, ws).await.expect("read").expect("a subscription")
}

/// The balance in milli-credits.
pub async fn balance(app: &TestApp, ws: &WorkspaceId) -> i64 {
    let row = switchboard::credits::ledger::read_balance(&app.state.db, ws).await.expect("read").expect("balance");
    row.cycle_credits + row.top_up_credits
}

pub async fn count(app: &TestApp, sql: &'static str, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, sql, ws.as_str()).expect("count")
}

/// Moves the clock to the end of the current period and runs a renewal pass.
pub async fn to_period_end(app: &TestApp, ws: &WorkspaceId) {
    let end = sub(app, ws).await.period_end;
    app.clock.advance(end - app.clock_now());
    renewal::run_pass(&app.state).await.expect("pass");
}

/// A workspace on Basic (monthly), paid with a working card: the trial
/// ended on 12 Dec 2026 12:00 and the period runs to 12 Jan 2027 (31 days).
pub async fn on_basic(app: &TestApp) -> (Visitor, WorkspaceId) {
    let (admin, ws) = workspace(app).await;
    add_card(app, &ws, OK_CARD).await;
    let res = admin.patch("/api/v1/subscription", json!({"plan": "basic", "cycle": "monthly"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    to_period_end(app, &ws).await;
    let row = sub(app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.status.as_str()), ("basic", "active"));
    (admin, ws)
}

#[tokio::test]
async fn a_trial_starts_with_the_workspace_and_falls_to_free_without_a_chosen_plan() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let body = admin.get_json("/api/v1/subscription").await;
    assert_eq!(body["plan"], "pro");
    assert_eq!(body["status"], "trialing");
    assert_eq!(body["trial_ends_at"], "2026-12-12T12:00:00Z");
    assert_eq!(balance(&app, &ws).await, 1_000_000, "the trial grant");

    // Three days before its end the Admins hear of it, once.
    app.clock.advance(Duration::days(11));
    renewal::run_pass(&app.state).await.expect("pass");
    renewal::run_pass(&app.state).await.expect("pass");
    app.run_jobs().await;
    let reminders = app.outbox().iter().filter(|m| m.contains("trial ends on")).count();
    assert_eq!(reminders, 1);

    app.clock.advance(Duration::days(3));
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass"), 1);
    let row = sub(&app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.status.as_str()), ("free", "active"));
    assert_eq!(row.period_end.to_rfc3339(), "2027-01-12T12:00:00+00:00");
    assert_eq!(balance(&app, &ws).await, 100_000, "the trial's credits expired; Free's 100 granted");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1", &ws).await, 0);
    let actions = app.audit_actions(ws.as_str()).await;
    assert!(actions.iter().any(|a| a == "subscription.updated"));
}

#[tokio::test]
async fn a_trial_moves_to_the_chosen_plan_only_with_a_payment_method() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let res = admin.patch("/api/v1/subscription", json!({"plan": "basic", "cycle": "annual"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let p = problem(res).await;
    assert_eq!(p["code"], "payment_method_required");
    assert!(p["detail"].as_str().expect("detail").contains("payment method"));
    assert!(sub(&app, &ws).await.scheduled_plan_key.is_none(), "nothing scheduled");

    add_card(&app, &ws, OK_CARD).await;
    let preview = admin.get_json("/api/v1/subscription/preview?plan=basic&cycle=annual").await;
    assert_eq!(preview["effect"], "period_end");
    assert_eq!(preview["charge_cents"], 0);
    let res = admin.patch("/api/v1/subscription", json!({"plan": "basic", "cycle": "annual"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["subscription"]["plan"], "pro", "the trial goes on");
    assert_eq!(body["subscription"]["scheduled_change"]["plan"], "basic");
    assert_eq!(body["subscription"]["scheduled_change"]["cycle"], "annual");
    assert_eq!(body["subscription"]["scheduled_change"]["at"], "2026-12-12T12:00:00Z");

    to_period_end(&app, &ws).await;
    let row = sub(&app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.cycle.as_str(), row.status.as_str()), ("basic", "annual", "active"));
    assert_eq!(row.period_end.to_rfc3339(), "2027-12-12T12:00:00+00:00");
    let paid = count(
        &app,
        "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND kind = 'subscription' AND status = 'paid'
         AND total_cents = 29000",
        &ws,
    )
    .await;
    assert_eq!(paid, 1);
    assert_eq!(balance(&app, &ws).await, 24_000_000);
}

#[tokio::test]
async fn an_upgrade_charges_the_prorated_difference_then_changes_the_plan_and_grants_credits() {
    let app = TestApp::spawn().await;
    let (admin, ws) = on_basic(&app).await;
    let before = balance(&app, &ws).await;
    assert_eq!(before, 2_000_000);
    // 21 of the period's 31 days are left.
    app.clock.advance(Duration::days(10));
    let preview = admin.get_json("/api/v1/subscription/preview?plan=pro").await;
    assert_eq!(preview["effect"], "now");
    assert_eq!(preview["charge_cents"], 4742, "(99 − 29) × 21/31 = 47.419…, rounded up");
    assert_eq!(preview["credits"], 4_064_516, "(8,000 − 2,000) × 21/31 = 4,064.516…, rounded down");
    assert_eq!(sub(&app, &ws).await.plan_key, "basic", "a preview changes nothing");

    let res = admin.patch("/api/v1/subscription", json!({"plan": "pro"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["subscription"]["plan"], "pro");
    assert_eq!(body["subscription"]["current_period_end"], "2027-01-12T12:00:00Z", "the period stays");
    assert_eq!(body["invoice"]["kind"], "proration");
    assert_eq!(body["invoice"]["status"], "paid");
    assert_eq!(body["invoice"]["total_cents"], 4742);
    assert_eq!(balance(&app, &ws).await, before + 4_064_516);
    let actions = app.audit_actions(ws.as_str()).await;
    assert!(actions.iter().any(|a| a == "invoice.paid"));

    // Monthly → annual on the same plan is an upgrade too: a new year from now.
    let preview = admin.get_json("/api/v1/subscription/preview?plan=pro&cycle=annual").await;
    assert_eq!(preview["effect"], "now");
    // 990.00 − 99.00 × 21/31 (67.06…, rounded down to 67.06) = 922.94
    assert_eq!(preview["charge_cents"], 92_294);
    assert_eq!(preview["current_period_end"], "2027-12-22T12:00:00Z");
}

#[tokio::test]
async fn a_declined_upgrade_changes_nothing_and_says_why() {
    let app = TestApp::spawn().await;
    let (admin, ws) = on_basic(&app).await;
    add_card(&app, &ws, FAILING_CARD).await;
    let before = (sub(&app, &ws).await, balance(&app, &ws).await);
    let res = admin.patch("/api/v1/subscription", json!({"plan": "business", "cycle": "monthly"})).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let p = problem(res).await;
    assert_eq!(p["code"], "payment_declined");
    assert_eq!(p["detail"], "Your card was declined.");
    let after = sub(&app, &ws).await;
    assert_eq!((after.plan_key, after.period_end), (before.0.plan_key, before.0.period_end));
    assert_eq!(balance(&app, &ws).await, before.1, "no credits");
    let void = count(
        &app,
        "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND kind = 'proration' AND status = 'void'",
        &ws,
    )
    .await;
    assert_eq!(void, 1, "the failed charge's invoice is void: nothing is owed");
}

#[tokio::test]
async fn a_downgrade_waits_for_the_period_end_and_resume_undoes_it() {
    let app = TestApp::spawn().await;
    let (mut admin, ws) = on_basic(&app).await;
    let res = admin.patch("/api/v1/subscription", json!({"plan": "free"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["change"]["effect"], "period_end");
    assert_eq!(body["change"]["charge_cents"], 0);
    assert_eq!(body["subscription"]["plan"], "basic");
    assert_eq!(body["subscription"]["scheduled_change"]["plan"], "free");

    let res = admin.post_json("/api/v1/subscription/resume", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.expect("json")["scheduled_change"].is_null());
    let res = admin.post_json("/api/v1/subscription/resume", json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "nothing left to resume");
    assert_eq!(problem(res).await["code"], "nothing_to_resume");

    // Scheduled again, then applied by the renewal: no charge, Free's credits.
    admin.patch("/api/v1/subscription", json!({"plan": "free"})).await;
    // Once the period has ended, its renewal is not changed under it.
    let end = sub(&app, &ws).await.period_end;
    app.clock.advance(end - app.clock_now());
    admin.sign_in("ada@example.com", "correct horse battery").await;
    let res = admin.post_json("/api/v1/subscription/resume", json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "renewal_in_progress");
    assert_eq!(sub(&app, &ws).await.scheduled_plan_key.as_deref(), Some("free"));
    to_period_end(&app, &ws).await;
    let row = sub(&app, &ws).await;
    assert_eq!(row.plan_key, "free");
    assert!(row.scheduled_plan_key.is_none());
    assert_eq!(balance(&app, &ws).await, 100_000);
    let invoices = count(&app, "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1", &ws).await;
    assert_eq!(invoices, 1, "only Basic's first invoice");
}

#[tokio::test]
async fn a_cancellation_applies_at_the_period_end_unless_resumed() {
    let app = TestApp::spawn().await;
    let (mut admin, ws) = on_basic(&app).await;
    let res = admin.post_json("/api/v1/subscription/cancel", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["cancel_at_period_end"], true);
    let res = admin.post_json("/api/v1/subscription/resume", json!({})).await;
    assert_eq!(res.json::<Value>().await.expect("json")["cancel_at_period_end"], false);
    // Resumed: the renewal charges Basic again.
    to_period_end(&app, &ws).await;
    assert_eq!(sub(&app, &ws).await.plan_key, "basic");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1", &ws).await, 2);

    // A month and a half on, the session has expired: sign in again.
    admin.sign_in("ada@example.com", "correct horse battery").await;
    let res = admin.post_json("/api/v1/subscription/cancel", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert!(sub(&app, &ws).await.cancel_at_period_end);
    to_period_end(&app, &ws).await;
    let row = sub(&app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.cancel_at_period_end), ("free", false));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1", &ws).await, 2, "no charge");
    admin.sign_in("ada@example.com", "correct horse battery").await;
    let res = admin.post_json("/api/v1/subscription/cancel", json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "nothing_to_cancel");
}

#[tokio::test]
async fn the_api_lists_plans_and_refuses_bad_input_with_problems() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let plans = admin.get_json("/api/v1/plans").await;
    let data = plans["data"].as_array().expect("data");
    assert_eq!(data.len(), 4);
    assert_eq!(data[2]["key"], "pro");
    assert_eq!(data[2]["monthly_price_cents"], 9900);
    assert_eq!(data[2]["annual_saving_cents"], 19_800);
    assert_eq!(data[2]["monthly_credits"], 8_000_000);
    assert_eq!(data[2]["limits"]["members"], 20);
    assert_eq!(data[2]["current"], true);
    assert!(data[3]["limits"]["members"].is_null(), "no limit");

    let res = admin.patch("/api/v1/subscription", json!({"plan": "gold"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    assert!(p.to_string().contains("Choose one of the plans"), "{p}");
    let res = admin.patch("/api/v1/subscription", json!({"plan": "basic", "cycle": "weekly"})).await;
    assert!(res.status().is_client_error());
    let res = admin.api(Method::GET, "/api/v1/subscription/preview?plan=gold", None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sub(&app, &ws).await.scheduled_plan_key.is_none());

    // Members cannot see or change the subscription.
    let member = app.user_with_workspace("Bob", "bob@example.com", "Bob's").await;
    app.add_member(ws.as_str(), &member, "member").await;
    member.switch_to(ws.as_str()).await;
    assert_eq!(member.get("/api/v1/subscription").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(member.patch("/api/v1/subscription", json!({"plan": "free"})).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_page_previews_the_charge_and_its_forms_change_cancel_and_resume() {
    let app = TestApp::spawn().await;
    let (mut admin, ws) = on_basic(&app).await;
    app.clock.advance(Duration::days(10));
    let html = admin.get_text("/settings/subscription?cycle=monthly&change=pro").await;
    assert!(html.contains("Upgrade for $47.42"), "the confirm button names the action and price");
    assert!(html.contains("id=\"change-pro\" class=\"dialog\" aria-labelledby=\"change-pro-title\" open"));
    assert!(html.contains("4,064.516"), "the credits added now");
    let annual = admin.get_text("/settings/subscription?cycle=annual").await;
    assert!(annual.contains("save $58.00"), "the annual saving");

    admin.load_csrf("/settings/subscription").await;
    let wsid = ws.to_string();
    // A declined card: the page again, with the processor's message, nothing changed.
    add_card(&app, &ws, FAILING_CARD).await;
    let res = admin
        .post_form("/settings/subscription/plan", &[("plan", "pro"), ("cycle", "monthly"), ("_workspace", &wsid)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(res.text().await.expect("html").contains("Your card was declined."));
    assert_eq!(sub(&app, &ws).await.plan_key, "basic");

    add_card(&app, &ws, OK_CARD).await;
    let res = admin
        .post_form("/settings/subscription/plan", &[("plan", "pro"), ("cycle", "monthly"), ("_workspace", &wsid)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/subscription");
    assert!(flash_text(&res).expect("toast").contains("$47.42"));
    assert_eq!(sub(&app, &ws).await.plan_key, "pro");

    let res = admin.post_form("/settings/subscription/cancel", &[("_workspace", &wsid)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(sub(&app, &ws).await.cancel_at_period_end);
    let html = admin.get_text("/settings/subscription").await;
    assert!(html.contains("Resume subscription"));
    let res = admin.post_form("/settings/subscription/resume", &[("_workspace", &wsid)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!sub(&app, &ws).await.cancel_at_period_end);
    let res = admin.post_form("/settings/subscription/resume", &[("_workspace", &wsid)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("html").contains("No change or cancellation is scheduled."));
}

#[tokio::test]
async fn the_same_upgrade_sent_twice_at_once_is_charged_and_granted_once() {
    let app = TestApp::spawn().await;
    let (admin, ws) = on_basic(&app).await;
    app.clock.advance(Duration::days(10));
    let body = json!({"plan": "pro"});
    let (a, b) = tokio::join!(
        admin.patch("/api/v1/subscription", body.clone()),
        admin.patch("/api/v1/subscription", body.clone())
    );
    assert!(a.status().is_success() && b.status().is_success(), "{} {}", a.status(), b.status());
    let proration = "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND kind = 'proration'";
    assert_eq!(count(&app, proration, &ws).await, 1, "one invoice");
    let paid = "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND action = 'invoice.paid'";
    assert_eq!(count(&app, paid, &ws).await, 2, "Basic's first invoice and one proration");
    assert_eq!(balance(&app, &ws).await, 2_000_000 + 4_064_516, "one grant");
    assert_eq!(sub(&app, &ws).await.plan_key, "pro");
}
