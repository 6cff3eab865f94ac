//! The home page: the workspace's overview, each part for the roles that
//! may see it, and a getting-started checklist that ticks itself off.
use serde_json::json;
use switchboard_providers::carriers::Capabilities;

use crate::developer::create_token;
use crate::harness::{TestApp, Visitor};

/// The `<li>` of a checklist step, from its `data-step` attribute to its end.
fn step<'a>(home: &'a str, key: &str) -> &'a str {
    let marker = format!("data-step=\"{key}\"");
    let start = home.find(&marker).unwrap_or_else(|| panic!("step {key} on the home page"));
    let end = home[start..].find("</li>").map(|e| start + e).unwrap_or(home.len());
    &home[start..end]
}

fn progress(home: &str) -> &str {
    let start = home.find("id=\"home-checklist-progress\"").expect("checklist progress");
    let rest = &home[start..];
    let open = rest.find('>').map(|i| i + 1).unwrap_or(0);
    let close = rest.find("</p>").unwrap_or(rest.len());
    &rest[open..close]
}

async fn home(visitor: &Visitor) -> String {
    visitor.get_text("/").await
}

#[tokio::test]
async fn an_admin_sees_the_credits_and_a_checklist_that_ticks_itself_off() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    app.verify_email(&ada).await;

    let page = home(&ada).await;
    // A new workspace is on its trial: 1,000 credits, none used.
    assert!(page.contains("id=\"home-credit-balance\">1,000</strong> credits left"), "{page}");
    assert!(page.contains("0 of 1,000 trial credits used on Pro"), "{page}");
    assert!(!step(&page, "api_token").contains("(done)"));
    assert!(!step(&page, "teammate").contains("(done)"));
    // Each step leads to where it is taken.
    let voice = step(&page, "voice");
    assert!(voice.contains("href=") && voice.contains("voices&#x2f;clone"), "{page}");
    assert!(!step(&page, "voice").contains("(done)"));
    let phone = step(&page, "phone_number");
    assert!(phone.contains("href=") && phone.contains("phone-numbers"), "{page}");
    assert!(!step(&page, "phone_number").contains("(done)"));
    let before = progress(&page).to_string();

    create_token(&ada, "CI", "member", None).await;
    let page = home(&ada).await;
    assert!(step(&page, "api_token").contains("(done)"), "{page}");
    assert_ne!(progress(&page), before);

    let res = ada.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "member"})).await;
    assert!(res.status().is_success(), "invite: {}", res.status());
    let page = home(&ada).await;
    assert!(step(&page, "teammate").contains("(done)"), "{page}");
    assert!(!step(&page, "agent").contains("(done)"), "{page}");
    assert!(page.contains("No agents yet."), "{page}");

    let res = ada.post_json("/api/v1/agents", json!({"name": "Front desk", "status": "LIVE"})).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let page = home(&ada).await;
    assert!(step(&page, "agent").contains("(done)"), "{page}");
    assert!(!page.contains("All set"), "the phone number and voice steps are left: {page}");
    let ws = ada.workspace_id().await;
    crate::phone_numbers_assign::seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let page = home(&ada).await;
    assert!(step(&page, "phone_number").contains("(done)"), "{page}");
    // A clone being made is not done yet; a READY one is.
    let res = crate::voices::create(&ada, vec![crate::voices::wav("me.wav", 12.0)]).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    assert!(!step(&home(&ada).await, "voice").contains("(done)"));
    app.run_jobs().await;
    let page = home(&ada).await;
    assert!(page.contains("All set"), "every step there is is done: {page}");
    assert!(!page.contains("data-step="), "{page}");
    // The agent is listed with its status and (no) numbers.
    assert!(page.contains("1 agent, 1 live"), "{page}");
    assert!(page.contains(">Front desk</a>") && page.contains("status-live"), "{page}");
    assert!(page.contains("No phone numbers"), "{page}");
}

#[tokio::test]
async fn the_credits_card_follows_the_balance() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: switchboard_core::WorkspaceId = ada.workspace_id().await.parse().expect("ws id");
    let now = app.clock_now();
    let mut tx = app.state.db.begin().await.expect("tx");
    let entry = switchboard::credits::ledger::NewEntry::new(
        switchboard::credits::ledger::EntryKind::Usage,
        switchboard_core::Credits::from_whole(-250).expect("credits"),
        "home-test",
        "Usage",
    );
    switchboard::credits::ledger::post(&mut tx, &ws, entry, now).await.expect("debit");
    tx.commit().await.expect("commit");

    let page = home(&ada).await;
    assert!(page.contains("id=\"home-credit-balance\">750</strong>"), "{page}");
    assert!(page.contains("250 of 1,000 trial credits used"), "{page}");
    assert!(page.contains("value=\"25\""), "the progress bar is at 25 %: {page}");
}

#[tokio::test]
async fn members_and_viewers_see_no_credits_nor_admin_steps() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    for (role, email) in [("member", "mia@example.com"), ("viewer", "vic@example.com")] {
        let other = app.user_with_workspace("Other", email, "Own").await;
        app.add_member(&ws, &other, role).await;
        other.switch_to(&ws).await;
        let page = home(&other).await;
        assert!(page.contains("Acme Voice"), "{role}: {page}");
        assert!(!page.contains("home-credit-balance"), "{role} sees no credits: {page}");
        assert!(!page.contains("data-step=\"api_token\""), "{role} sees no admin step: {page}");
        assert!(!page.contains("data-step=\"teammate\""), "{role} sees no admin step: {page}");
        // Everyone sees the agents; only Members (and Admins) may create one.
        assert!(page.contains("home-agents-heading"), "{role}: {page}");
        let creates = role == "member";
        assert_eq!(page.contains("href=\"/agents/new\""), creates, "{role}: {page}");
        assert_eq!(page.contains("data-step=\"agent\""), creates, "{role}: {page}");
        assert!(!page.contains("home-usage-credits"), "{role} sees no usage: {page}");
    }
}

#[tokio::test]
async fn the_usage_card_shows_this_cycles_usage_with_its_chart() {
    let app = TestApp::spawn().await;
    // The cycle starts when the workspace is created, inside an hour: usage
    // of that first (partial) hour belongs to the cycle.
    app.clock.advance(chrono::Duration::minutes(35));
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let page = home(&ada).await;
    assert!(page.contains("id=\"home-usage-credits\">0</strong>"), "{page}");
    assert_eq!(page.matches("<g class=\"bar\"").count(), 0, "no usage, no bar: {page}");

    // A 61-second call is two started minutes: 20 credits on the default rate card.
    let now = app.clock_now().to_rfc3339();
    let events = json!({"events": [
        {"type": "call_minutes", "quantity": 61, "occurred_at": now, "idempotency_key": "call-1"},
        {"type": "sms", "quantity": 3, "occurred_at": now, "idempotency_key": "sms-1"}
    ]});
    let res = ada.post_json("/api/v1/usage/events", events).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    let page = home(&ada).await;
    assert!(page.contains("id=\"home-usage-credits\">23</strong> credits used by 2 events"), "{page}");
    assert_eq!(page.matches("<g class=\"bar\"").count(), 1, "one bar, today: {page}");
    assert!(page.contains("id=\"home-credit-balance\">977</strong>"), "the ledger was debited: {page}");
}
