//! Top-ups (API and page) and auto-recharge: credits only after a paid
//! invoice, once per key; declines grant nothing; one recharge per
//! crossing however many debits cross together; a declined recharge turns
//! auto-recharge off and emails the Admins; the monthly cap; `credits.low`
//! written once per crossing.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::credits::auto_recharge::{self, Recharge};
use switchboard::credits::ledger::{EntryKind, NewEntry};
use switchboard_core::WorkspaceId;
use switchboard_db::{fetch_all, fetch_scalar};

use crate::credits_ledger::{balance, post, set_balance, whole, workspace};
use crate::harness::{TestApp, Visitor, flash_text, location, problem};

const OK_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";
/// Saves, then every charge is declined.
const FAILING_CARD: &str = "4000 0000 0000 0341";

fn card(number: &str) -> Value {
    json!({"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"})
}

async fn count(app: &TestApp, sql: &'static str, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, sql, ws.as_str()).expect("count")
}

async fn invoices_of_kind(app: &TestApp, ws: &WorkspaceId, kind: &str) -> Vec<(String, String)> {
    fetch_all!(
        &app.state.db,
        (String, String),
        "SELECT id, status FROM invoices WHERE workspace_id = $1 AND kind = $2 ORDER BY number",
        ws.as_str(),
        kind
    )
    .expect("invoices")
}

#[tokio::test]
async fn an_api_top_up_is_granted_after_payment_and_once_per_idempotency_key() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();

    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 50})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "credits");
    // No card saved and none given: a clear error by the card field.
    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 1000})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "card_number");

    let send = || {
        admin
            .with_csrf(admin.client.post(admin.at("/api/v1/credits/top-ups")))
            .header("Idempotency-Key", "top-up-1")
            .json(&json!({"credits": 1500, "card": card(OK_CARD)}))
            .send()
    };
    let res = send().await.expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["credits"], 1_500_000);
    assert_eq!(body["invoice"]["status"], "paid");
    assert_eq!(body["invoice"]["kind"], "top_up");
    assert_eq!(body["invoice"]["total_cents"], 1_500, "Pro: $10.00 per 1,000");
    assert_eq!(body["balance"]["balance"], before.checked_add(whole(1_500)).expect("sum").millis());
    let again = send().await.expect("post");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_add(whole(1_500)).expect("sum"));
    assert_eq!(invoices_of_kind(&app, &ws, "top_up").await.len(), 1);

    // The balance API shows the parts; the ledger lists the top-up first.
    let credits: Value = admin.get_json("/api/v1/credits").await;
    assert_eq!(credits["top_up"], 1_500_000);
    assert_eq!(credits["display"]["top_up"], "1,500");
    let ledger: Value = admin.get_json("/api/v1/credits/ledger?limit=1").await;
    assert_eq!(ledger["data"][0]["kind"], "top_up");
    let next = ledger["next_cursor"].as_str().expect("a second page");
    let older: Value = admin.get_json(&format!("/api/v1/credits/ledger?limit=1&cursor={next}")).await;
    assert_eq!(older["data"][0]["kind"], "cycle_grant");
    let actions = app.audit_actions(ws.as_str()).await;
    for action in ["credits.topped_up", "invoice.paid", "payment_method.updated"] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn declined_cards_and_payments_add_no_credits() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let before = balance(&app.state, &ws).await.total();

    // Declined when attached: nothing saved, nothing billed.
    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 1000, "card": card(DECLINED_CARD)})).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body = problem(res).await;
    assert_eq!(body["code"], "payment_declined");
    assert!(body["detail"].as_str().unwrap_or_default().contains("declined"), "{body}");
    assert!(invoices_of_kind(&app, &ws, "top_up").await.is_empty());

    // Saved, then the charge is declined: the invoice is void, no credits.
    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 1000, "card": card(FAILING_CARD)})).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body = problem(res).await;
    assert_eq!(body["code"], "payment_declined");
    assert!(body["detail"].as_str().unwrap_or_default().contains("no credits were added"), "{body}");
    let invoices = invoices_of_kind(&app, &ws, "top_up").await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].1, "void");
    assert_eq!(balance(&app.state, &ws).await.total(), before);
    let actions = app.audit_actions(ws.as_str()).await;
    assert!(actions.contains(&"invoice.payment_failed".to_string()));
    assert!(!actions.contains(&"credits.topped_up".to_string()));
}

async fn settings_page(admin: &mut Visitor) -> String {
    admin.load_csrf("/settings/subscription").await;
    admin.get_text("/settings/subscription").await
}

fn nonce_of(html: &str) -> String {
    let at = html.find("name=\"nonce\" value=\"").expect("nonce field") + "name=\"nonce\" value=\"".len();
    html[at..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn the_page_tops_up_once_per_form_and_shows_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let (mut admin, ws) = workspace(&app).await;
    let html = settings_page(&mut admin).await;
    assert!(html.contains("Buy 1,000 credits for $10.00"), "the confirm button names credits and price");
    let before = balance(&app.state, &ws).await.total();

    // Out of bounds: the page again, the message by the amount, nothing billed.
    let nonce = nonce_of(&html);
    let res = admin.post_form("/settings/subscription/top-up", &[("credits", "42"), ("nonce", &nonce)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("html");
    assert!(page.contains("top-up-credits-error") && page.contains("Buy between 100 and 1,000,000 credits."));

    // A declined card: its message by the card number, no credits.
    let fields = [
        ("credits", "2,000"),
        ("nonce", nonce.as_str()),
        ("card_number", DECLINED_CARD),
        ("card_expiry", "12/30"),
        ("card_cvc", "123"),
    ];
    let res = admin.post_form("/settings/subscription/top-up", &fields).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let page = res.text().await.expect("html");
    assert!(page.contains("top-up-card_number-error") && page.contains("declined"), "{page}");
    // The page shows the test card numbers as a hint; none comes back as a field's value.
    assert!(
        !page.contains(r#"value="4000 0000 0000 0002""#) && !page.contains(r#"value="4000000000000002""#),
        "the card number is not sent back"
    );
    assert_eq!(balance(&app.state, &ws).await.total(), before);

    // The good card; the same form submitted twice is charged once.
    let html = settings_page(&mut admin).await;
    let nonce = nonce_of(&html);
    let fields = [
        ("credits", "2,000"),
        ("nonce", nonce.as_str()),
        ("card_number", OK_CARD),
        ("card_expiry", "12/30"),
        ("card_cvc", "123"),
    ];
    for _ in 0..2 {
        let res = admin.post_form("/settings/subscription/top-up", &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/settings/subscription#credits");
        let toast = flash_text(&res).unwrap_or_default();
        assert!(toast.contains("2,000 credits added for $20.00"), "{toast}");
    }
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_add(whole(2_000)).expect("sum"));
    assert_eq!(invoices_of_kind(&app, &ws, "top_up").await.iter().filter(|i| i.1 == "paid").count(), 1);

    // Blank card fields pay with the saved card.
    let html = settings_page(&mut admin).await;
    assert!(html.contains("Visa ending 4242"));
    let nonce = nonce_of(&html);
    let res = admin.post_form("/settings/subscription/top-up", &[("credits", "100"), ("nonce", &nonce)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_add(whole(2_100)).expect("sum"));
}

#[tokio::test]
async fn auto_recharge_settings_are_checked_saved_and_audited() {
    let app = TestApp::spawn().await;
    let (mut admin, ws) = workspace(&app).await;
    let res = admin
        .api(
            reqwest::Method::PUT,
            "/api/v1/credits/auto-recharge",
            Some(json!({"enabled": true, "threshold": -1, "amount": 50, "monthly_cap": 10})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    let fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["threshold", "amount", "monthly_cap"]);

    let settings = json!({"enabled": true, "threshold": 500, "amount": 2000, "monthly_cap": 6000});
    let res = admin.api(reqwest::Method::PUT, "/api/v1/credits/auto-recharge", Some(settings.clone())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let read: Value = admin.get_json("/api/v1/credits/auto-recharge").await;
    assert_eq!(
        read,
        json!({"enabled": true, "threshold": 500, "amount": 2000, "monthly_cap": 6000, "disabled_reason": null})
    );
    assert!(app.audit_actions(ws.as_str()).await.contains(&"credits.auto_recharge_updated".to_string()));

    // The page form: errors by field, then a toast.
    admin.load_csrf("/settings/subscription").await;
    let form = [("enabled", "on"), ("threshold", "300"), ("amount", "1000"), ("monthly_cap", "900")];
    let res = admin.post_form("/settings/subscription/auto-recharge", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("auto-recharge-monthly_cap-error"));
    let form = [("enabled", "on"), ("threshold", "300"), ("amount", "1000"), ("monthly_cap", "3000")];
    let res = admin.post_form("/settings/subscription/auto-recharge", &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("1,000 credits whenever the balance drops below 300"));
}

/// A workspace with the working card saved, `credits` in its balance and
/// auto-recharge on (threshold 500, amount 1,000, `cap`).
async fn recharging(app: &TestApp, card_number: &str, credits: i64, cap: i64) -> (Visitor, WorkspaceId) {
    let (admin, ws) = workspace(app).await;
    let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 100, "card": card(OK_CARD)})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    if card_number != OK_CARD {
        // Swap in a card that saves but whose charges fail.
        let res = admin.post_json("/api/v1/credits/top-ups", json!({"credits": 100, "card": card(card_number)})).await;
        assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    }
    set_balance(&app.state, &ws, credits).await;
    let settings = json!({"enabled": true, "threshold": 500, "amount": 1000, "monthly_cap": cap});
    let res = admin.api(reqwest::Method::PUT, "/api/v1/credits/auto-recharge", Some(settings)).await;
    assert_eq!(res.status(), StatusCode::OK);
    (admin, ws)
}

const RECHARGE_JOBS: &str = "SELECT COUNT(*) FROM jobs WHERE workspace_id = $1 AND kind = 'credits.auto_recharge'";

#[tokio::test]
async fn debits_crossing_together_start_one_recharge_one_charge_one_grant_and_one_low_event() {
    let app = TestApp::spawn().await;
    let (admin, ws) = recharging(&app, OK_CARD, 1_000, 5_000).await;
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["credits.low"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let mut tasks = Vec::new();
    for i in 0..10 {
        let state = app.state.clone();
        let ws = ws.clone();
        tasks.push(tokio::spawn(async move {
            post(&state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-100), format!("clone:{i}"), "Clone")).await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("debit");
    }
    assert_eq!(balance(&app.state, &ws).await.total(), whole(0));
    assert_eq!(count(&app, RECHARGE_JOBS, &ws).await, 1, "one crossing, one job");
    let low = "SELECT COUNT(*) FROM webhook_messages WHERE workspace_id = $1 AND event_type = 'credits.low'";
    assert_eq!(count(&app, low, &ws).await, 1, "credits.low once per crossing");

    app.run_jobs().await;
    app.run_jobs().await;
    let recharges = invoices_of_kind(&app, &ws, "auto_recharge").await;
    assert_eq!(recharges.len(), 1, "one charge");
    assert_eq!(recharges[0].1, "paid");
    assert_eq!(balance(&app.state, &ws).await.total(), whole(1_000));
    let grants =
        "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND idempotency_key LIKE 'auto_recharge:%'";
    assert_eq!(count(&app, grants, &ws).await, 1);

    // The job run again for the same crossing (a lease lost, a second process): nothing more.
    let (key,): (String,) = switchboard_db::fetch_one!(
        &app.state.db,
        (String,),
        "SELECT idempotency_key FROM credit_entries WHERE workspace_id = $1 AND idempotency_key LIKE 'auto_recharge:%'",
        ws.as_str()
    )
    .expect("key");
    assert_eq!(auto_recharge::run(&app.state, &ws, &key).await.expect("rerun"), Recharge::Granted);
    assert_eq!(balance(&app.state, &ws).await.total(), whole(1_000));
    assert_eq!(count(&app, grants, &ws).await, 1);

    // Debiting down again is a new crossing: a second credits.low.
    post(&app.state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-600), "clone:again", "Clone"))
        .await
        .expect("debit");
    assert_eq!(count(&app, low, &ws).await, 2);
    assert_eq!(count(&app, RECHARGE_JOBS, &ws).await, 2);
}

#[tokio::test]
async fn a_declined_recharge_turns_auto_recharge_off_and_tells_the_admins() {
    let app = TestApp::spawn().await;
    let (admin, ws) = recharging(&app, FAILING_CARD, 600, 5_000).await;
    app.run_jobs().await;
    let emails_before = app.outbox().len();
    post(&app.state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-200), "clone:1", "Clone")).await.expect("debit");
    app.run_jobs().await;
    app.run_jobs().await;

    assert_eq!(balance(&app.state, &ws).await.total(), whole(400), "nothing granted");
    let invoices = invoices_of_kind(&app, &ws, "auto_recharge").await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].1, "void");
    let read: Value = admin.get_json("/api/v1/credits/auto-recharge").await;
    assert_eq!(read["enabled"], false);
    let reason = read["disabled_reason"].as_str().expect("a reason");
    assert!(reason.contains("declined"), "{reason}");
    let entries = switchboard::audit::list_recent(&app.state.db, &ws, 100).await.expect("audit");
    let off = entries.iter().find(|e| e.action == "credits.auto_recharge_updated" && e.actor_type == "system");
    assert!(off.is_some(), "turned off by the system, audited");
    let emails = &app.outbox()[emails_before..];
    assert!(
        emails.iter().any(|e| e.contains("ada@example.com") && e.contains("auto-recharge turned off")),
        "the Admin is told: {emails:?}"
    );
    // The page shows why.
    let mut admin = admin;
    let html = settings_page(&mut admin).await;
    assert!(html.contains("Auto-recharge was turned off"));
}

#[tokio::test]
async fn the_monthly_cap_stops_a_recharge_until_the_next_month() {
    let app = TestApp::spawn().await;
    // The cap allows one recharge of 1,000 a month.
    let (_admin, ws) = recharging(&app, OK_CARD, 600, 1_000).await;
    post(&app.state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-200), "clone:1", "Clone")).await.expect("debit");
    app.run_jobs().await;
    assert_eq!(balance(&app.state, &ws).await.total(), whole(1_400));

    post(&app.state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-1_000), "clone:2", "Clone"))
        .await
        .expect("debit");
    assert_eq!(count(&app, RECHARGE_JOBS, &ws).await, 2, "the crossing starts a job");
    app.run_jobs().await;
    assert_eq!(balance(&app.state, &ws).await.total(), whole(400), "the cap is reached: no recharge");
    assert_eq!(invoices_of_kind(&app, &ws, "auto_recharge").await.len(), 1);

    // The harness clock starts on 28 November: December is a new month.
    app.clock.advance(Duration::days(5));
    post(&app.state, &ws, NewEntry::new(EntryKind::TopUp, whole(200), "top_up:x", "Top-up")).await.expect("up");
    post(&app.state, &ws, NewEntry::new(EntryKind::VoiceClone, whole(-200), "clone:3", "Clone")).await.expect("debit");
    app.run_jobs().await;
    assert_eq!(balance(&app.state, &ws).await.total(), whole(1_400));
    assert_eq!(invoices_of_kind(&app, &ws, "auto_recharge").await.len(), 2);
}
