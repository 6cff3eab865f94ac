//! Assigning numbers to agents (issue 15, item 5): per role on the
//! number's page (Admins) and from the agent's page (Members too); an
//! agent has one number per role (the database's unique indexes, turned
//! into an error naming the agent and the number), other workspaces'
//! agents and SMS on a voice-only number are refused, and every change
//! leaves one audit entry that publishes `phone_number.assignment_changed`.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::phone_numbers::model::{NumberSource, NumberStatus, PhoneNumber};
use switchboard::phone_numbers::store::{self, NewNumber};
use switchboard::webhooks::delivery;
use switchboard_core::{PhoneNumberId, WorkspaceId};
use switchboard_db::fetch_all;
use switchboard_providers::carriers::{Capabilities, NumberType};

pub use crate::agents::audit_changes as changes_of;
use crate::harness::{TestApp, Visitor, flash_text, location};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

/// A live platform number of the workspace, written straight to the store
/// (buying is tested in phone_numbers_buy.rs): its ID.
pub async fn seed_number(app: &TestApp, ws: &str, e164: &str, capabilities: Capabilities) -> String {
    let ws: WorkspaceId = ws.parse().expect("ws");
    let id = PhoneNumberId::new();
    let now = app.clock_now();
    let mut tx = app.state.db.begin().await.expect("tx");
    let new = NewNumber {
        id: &id,
        e164,
        friendly_name: "Main line",
        country: "US",
        number_type: NumberType::Local,
        capabilities,
        source: NumberSource::Platform,
        carrier: "sandbox",
        carrier_account_id: None,
        carrier_ref: Some(e164),
        monthly_price: 150_000,
        status: NumberStatus::Active,
        period_start: Some(now),
        renews_on: Some(now + chrono::Duration::days(30)),
    };
    store::insert(&mut tx, &ws, &new, now).await.expect("insert number");
    tx.commit().await.expect("commit");
    id.to_string()
}

pub async fn number(app: &TestApp, ws: &str, id: &str) -> PhoneNumber {
    let ws: WorkspaceId = ws.parse().expect("ws");
    store::find(&app.state.db, &ws, &id.parse().expect("id")).await.expect("find").expect("number")
}

pub async fn agent(v: &Visitor, name: &str) -> String {
    let res = v.post_json("/api/v1/agents", json!({"name": name})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create agent");
    let body: Value = res.json().await.expect("json");
    body["id"].as_str().expect("id").to_string()
}

async fn assign_form(v: &Visitor, id: &str, inbound: &str, outbound: &str, sms: &str) -> reqwest::Response {
    let fields = [("inbound_agent_id", inbound), ("outbound_agent_id", outbound), ("sms_agent_id", sms)];
    v.post_form(&format!("/settings/phone-numbers/{id}/assignments"), &fields).await
}

/// Mia, a Member of the workspace, signed in there with a CSRF token.
pub async fn member(app: &TestApp, ws: &str) -> Visitor {
    let mut mia = app.visitor();
    mia.sign_up("Mia", "mia@example.com", "correct horse battery").await;
    app.verify_email(&mia).await;
    app.add_member(ws, &mia, "member").await;
    mia.switch_to(ws).await;
    mia.load_csrf("/agents").await;
    mia
}

async fn admin(app: &TestApp) -> (Visitor, String) {
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    ada.load_csrf("/settings/general").await;
    let ws = ada.workspace_id().await;
    (ada, ws)
}

#[tokio::test]
async fn an_admin_assigns_an_agent_per_role_with_one_entry_and_none_when_nothing_changes() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let id = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let (front, sales) = (agent(&ada, "Front desk").await, agent(&ada, "Sales").await);

    let res = assign_form(&ada, &id, &front, &sales, &front).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/settings/phone-numbers/{id}"));
    assert_eq!(flash_text(&res).as_deref(), Some("Assignments saved."));
    let n = number(&app, &ws, &id).await;
    let got = [&n.inbound_agent_id, &n.outbound_agent_id, &n.sms_agent_id].map(|a| a.as_ref().map(|a| a.to_string()));
    assert_eq!(got, [Some(front.clone()), Some(sales.clone()), Some(front.clone())]);
    let entries = changes_of(&app, &ws, "phone_number.assignment_changed").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["inbound_agent_id"], json!({"before": null, "after": front}));
    assert_eq!(entries[0]["outbound_agent_id"], json!({"before": null, "after": sales}));
    assert_eq!(entries[0]["sms_agent_id"], json!({"before": null, "after": front}));

    // The same again: nothing changes, no entry.
    assert_eq!(assign_form(&ada, &id, &front, &sales, &front).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(changes_of(&app, &ws, "phone_number.assignment_changed").await.len(), 1);

    // The page and the agent's page show it.
    let page = ada.get_text(&format!("/settings/phone-numbers/{id}")).await;
    assert!(page.contains(&format!(r#"<option value="{sales}" selected>Sales</option>"#)), "{page}");
    let agent_page = ada.get_text(&format!("/agents/{front}")).await;
    assert!(
        agent_page.contains("+1 415 555 0100 <span class=\"muted small\">(Inbound calls, SMS)</span>"),
        "{agent_page}"
    );

    // Clearing one role.
    assert_eq!(assign_form(&ada, &id, &front, "", &front).await.status(), StatusCode::SEE_OTHER);
    let entries = changes_of(&app, &ws, "phone_number.assignment_changed").await;
    assert_eq!(entries[1], json!({"outbound_agent_id": {"before": sales, "after": null}}));
}

#[tokio::test]
async fn an_agent_with_a_number_in_a_role_cannot_take_a_second_one_and_the_error_names_both() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let first = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let second = seed_number(&app, &ws, "+14155550101", Capabilities::ALL).await;
    let front = agent(&ada, "Front desk").await;
    assert_eq!(assign_form(&ada, &first, &front, "", "").await.status(), StatusCode::SEE_OTHER);

    let res = assign_form(&ada, &second, &front, "", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("Front desk already has +1 415 555 0100 for inbound calls; an agent has one number per role."),
        "{page}"
    );
    assert!(page.contains(r#"id="assign-inbound-error""#), "the message sits by its field: {page}");
    let n = number(&app, &ws, &second).await;
    assert_eq!(n.inbound_agent_id, None, "nothing changed");
    assert_eq!(changes_of(&app, &ws, "phone_number.assignment_changed").await.len(), 1);

    // Another role of the same agent is fine.
    assert_eq!(assign_form(&ada, &second, "", &front, "").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(number(&app, &ws, &second).await.outbound_agent_id.map(|a| a.to_string()), Some(front));
}

#[tokio::test]
async fn another_workspaces_agent_sms_on_a_voice_only_number_and_an_ended_number_are_refused() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let voice_only = seed_number(&app, &ws, "+15125550100", Capabilities::VOICE).await;
    let front = agent(&ada, "Front desk").await;
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Other Co").await;
    let theirs = agent(&bob, "Their agent").await;

    let res = assign_form(&ada, &voice_only, &theirs, "", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains(&format!("There is no agent {theirs} in this workspace.")), "{page}");

    let res = assign_form(&ada, &voice_only, "", "", &front).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains("+1 512 555 0100 cannot send or receive SMS"), "{page}");

    let n = number(&app, &ws, &voice_only).await;
    assert_eq!((n.inbound_agent_id, n.sms_agent_id), (None, None));

    // A released number serves nobody.
    let ws_id: WorkspaceId = ws.parse().expect("ws");
    store::set_status(&app.state.db, &ws_id, &n.id, NumberStatus::Released, None, app.clock_now())
        .await
        .expect("release");
    let res = assign_form(&ada, &voice_only, &front, "", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("page").contains("only active, pending or past-due numbers can serve agents"));
    assert!(changes_of(&app, &ws, "phone_number.assignment_changed").await.is_empty());
}

#[tokio::test]
async fn a_member_assigns_from_the_agent_page_but_may_not_rename_or_release() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let first = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let second = seed_number(&app, &ws, "+14155550101", Capabilities::VOICE).await;
    let front = agent(&ada, "Front desk").await;
    let mia = member(&app, &ws).await;

    let page = mia.get_text(&format!("/agents/{front}")).await;
    assert!(page.contains(&format!(r#"<option value="{first}">+1 415 555 0100 — Main line</option>"#)), "{page}");
    // The voice-only number is not offered for SMS.
    let sms_select = &page[page.find(r#"id="agent-number-sms""#).expect("sms select")..];
    let sms_select = &sms_select[..sms_select.find("</select>").expect("end")];
    assert!(!sms_select.contains(&second), "{sms_select}");

    let fields = [("inbound", first.as_str()), ("outbound", ""), ("sms", first.as_str()), ("_workspace", ws.as_str())];
    let res = mia.post_form(&format!("/agents/{front}/numbers"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", flash_text(&res));
    assert_eq!(location(&res), format!("/agents/{front}"));
    let n = number(&app, &ws, &first).await;
    assert_eq!(n.inbound_agent_id.map(|a| a.to_string()), Some(front.clone()));
    assert_eq!(n.sms_agent_id.map(|a| a.to_string()), Some(front.clone()));

    // Moving inbound to the second number unassigns the first: one entry each.
    let fields = [("inbound", second.as_str()), ("outbound", ""), ("sms", first.as_str()), ("_workspace", ws.as_str())];
    assert_eq!(mia.post_form(&format!("/agents/{front}/numbers"), &fields).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(number(&app, &ws, &first).await.inbound_agent_id, None);
    assert_eq!(number(&app, &ws, &second).await.inbound_agent_id.map(|a| a.to_string()), Some(front.clone()));
    let entries = changes_of(&app, &ws, "phone_number.assignment_changed").await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let actors: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT actor_name FROM audit_log WHERE workspace_id = $1 AND action = 'phone_number.assignment_changed'",
        ws.as_str()
    )
    .expect("actors");
    assert!(actors.iter().all(|(a,)| a == "Mia"), "{actors:?}");

    // SMS on the voice-only number from the agent's page: refused, said.
    let fields =
        [("inbound", second.as_str()), ("outbound", ""), ("sms", second.as_str()), ("_workspace", ws.as_str())];
    let res = mia.post_form(&format!("/agents/{front}/numbers"), &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("cannot send or receive SMS"));
    assert_eq!(number(&app, &ws, &first).await.sms_agent_id.map(|a| a.to_string()), Some(front.clone()));

    // Renaming and releasing are the Admins'.
    for path in [format!("/settings/phone-numbers/{first}"), format!("/settings/phone-numbers/{first}/release")] {
        let res = mia.post_form(&path, &[("friendly_name", "Taken over")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(flash_text(&res).unwrap_or_default().contains("permission"), "{path}");
    }
    let n = number(&app, &ws, &first).await;
    assert_eq!((n.friendly_name.as_str(), n.status), ("Main line", NumberStatus::Active));
}

#[tokio::test]
async fn renaming_and_the_outbound_toggle_are_audited_and_assignment_publishes_its_event() {
    let app = app_allowing_local_targets().await;
    let (ada, ws) = admin(&app).await;
    let id = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let front = agent(&ada, "Front desk").await;
    let (url, received) = receiver(StatusCode::OK).await;
    add_endpoint(&ada, &url, json!(["phone_number.assignment_changed"])).await;

    let res = ada.post_form(&format!("/settings/phone-numbers/{id}"), &[("friendly_name", "  Support  ")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(number(&app, &ws, &id).await.friendly_name, "Support");
    let renamed = changes_of(&app, &ws, "phone_number.updated").await;
    assert_eq!(renamed, [json!({"friendly_name": {"before": "Main line", "after": "Support"}})]);

    let res = ada.post_form(&format!("/settings/phone-numbers/{id}"), &[("friendly_name", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Enter a friendly name"));

    // The toggle: an unchecked box sends nothing.
    let res = ada.post_form(&format!("/settings/phone-numbers/{id}/outbound"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!number(&app, &ws, &id).await.allow_outbound);
    assert_eq!(assign_form(&ada, &id, &front, "", "").await.status(), StatusCode::SEE_OTHER);
    let entries = changes_of(&app, &ws, "phone_number.assignment_changed").await;
    assert_eq!(entries[0], json!({"allow_outbound": {"before": true, "after": false}}));

    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 2);
    let mut payloads: Vec<Value> =
        received.all().iter().map(|(_, body)| serde_json::from_str(body).expect("json")).collect();
    payloads.sort_by_key(|p| p["data"]["changes"].get("inbound_agent_id").is_some());
    assert!(payloads.iter().all(|p| p["type"] == "phone_number.assignment_changed"));
    assert_eq!(payloads[1]["data"]["object"], json!({"type": "phone_number", "id": id, "name": "+1 415 555 0100"}));
    assert_eq!(payloads[1]["data"]["changes"]["inbound_agent_id"], json!({"before": null, "after": front}));
}

async fn put(v: &Visitor, id: &str, body: Value) -> reqwest::Response {
    v.api(reqwest::Method::PUT, &format!("/api/v1/phone-numbers/{id}/assignments"), Some(body)).await
}

#[tokio::test]
async fn the_api_assigns_for_members_and_renames_for_admins_only() {
    use crate::harness::problem;
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let first = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let voice_only = seed_number(&app, &ws, "+15125550100", Capabilities::VOICE).await;
    let front = agent(&ada, "Front desk").await;
    let mia = member(&app, &ws).await;

    let res = put(&mia, &first, json!({"inbound_agent_id": front, "sms_agent_id": front})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["id"], first);
    assert_eq!(number(&app, &ws, &first).await.sms_agent_id.map(|a| a.to_string()), Some(front.clone()));

    // One number per role per agent: a 409 naming both.
    let res = put(&mia, &voice_only, json!({"inbound_agent_id": front})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let p = problem(res).await;
    assert_eq!(p["code"], "agent_has_number");
    assert!(p["detail"].as_str().unwrap_or_default().contains("Front desk already has +1 415 555 0100"), "{p}");

    // SMS on a voice-only number, another workspace's agent, a malformed ID.
    let res = put(&mia, &voice_only, json!({"sms_agent_id": front})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "sms_agent_id");
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Other Co").await;
    let theirs = agent(&bob, "Theirs").await;
    let res = put(&mia, &voice_only, json!({"outbound_agent_id": theirs})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "outbound_agent_id");
    let res = put(&mia, &voice_only, json!({"inbound_agent_id": "nope"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another workspace's number is not found.
    let res = put(&bob, &first, json!({"inbound_agent_id": theirs})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(number(&app, &ws, &voice_only).await.outbound_agent_id, None);

    // Renaming is the Admins'.
    let res = mia.patch(&format!("/api/v1/phone-numbers/{first}"), json!({"friendly_name": "Mine"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = ada
        .patch(&format!("/api/v1/phone-numbers/{first}"), json!({"friendly_name": " Sales ", "allow_outbound": false}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!((&body["friendly_name"], &body["allow_outbound"]), (&json!("Sales"), &json!(false)));
    let res = ada.patch(&format!("/api/v1/phone-numbers/{first}"), json!({"friendly_name": ""})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "friendly_name");
    assert_eq!(changes_of(&app, &ws, "phone_number.updated").await.len(), 1);
}
