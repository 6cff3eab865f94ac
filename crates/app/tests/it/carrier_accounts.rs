//! Bring your own carrier (SPEC §8): connecting Twilio (verified against
//! Prism serving Twilio's own API description) and SIP trunks (validated
//! here, nothing to verify), credentials sealed and never returned, one
//! account in one workspace, the import picker and idempotent import, a
//! number live elsewhere refused, the plan's limit, disconnection with its
//! callback resets (and their failures, shown), and Admins only.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_db::{fetch_all, fetch_one};

use crate::harness::{TestApp, Visitor, problem};
use crate::prism::PrismServer;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tw-auth-token-0123456789abcdef";
/// The one number Prism's example of IncomingPhoneNumbers lists.
const PRISM_NUMBER: &str = "+18089255327";

async fn admin(app: &TestApp, name: &str) -> (Visitor, String) {
    let email = format!("{}@example.com", name.to_lowercase());
    let v = app.user_with_workspace(name, &email, &format!("{name} Voice")).await;
    let ws = v.current_workspace_id().await;
    (v, ws)
}

async fn spawn_with_twilio(mock: &PrismServer) -> TestApp {
    let base = mock.base_url();
    TestApp::spawn_with_args(move |args| args.carrier.twilio_api_base = Some(base)).await
}

async fn connect(v: &Visitor, body: Value) -> reqwest::Response {
    v.post_json("/api/v1/carrier-accounts", body).await
}

fn sip(host: &str) -> Value {
    json!({
        "carrier": "sip",
        "termination_uri": format!("sip:{host}"),
        "username": "acme",
        "password": "sip-password-123",
        "allowed_origins": ["203.0.113.10", "198.51.100.0/24"],
    })
}

async fn connected_sip(v: &Visitor, host: &str) -> String {
    let res = connect(v, sip(host)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "connect SIP");
    let body: Value = res.json().await.expect("json");
    body["id"].as_str().expect("id").to_string()
}

async fn import(v: &Visitor, account: &str, numbers: &[&str]) -> Vec<Value> {
    let res =
        v.post_json(&format!("/api/v1/carrier-accounts/{account}/import"), json!({"phone_numbers": numbers})).await;
    assert_eq!(res.status(), StatusCode::OK, "import");
    let body: Value = res.json().await.expect("json");
    body["data"].as_array().expect("data").clone()
}

fn results(data: &[Value]) -> Vec<(String, String)> {
    data.iter().map(|r| (r["e164"].as_str().unwrap_or("").into(), r["result"].as_str().unwrap_or("").into())).collect()
}

/// `(e164, status, source, monthly_price, carrier_account_id)` of the workspace's numbers.
async fn numbers(app: &TestApp, ws: &str) -> Vec<(String, String, String, i64, Option<String>)> {
    fetch_all!(
        &app.state.db,
        (String, String, String, i64, Option<String>),
        "SELECT e164, status, source, monthly_price, carrier_account_id FROM phone_numbers WHERE workspace_id = $1 ORDER BY e164",
        ws
    )
    .expect("numbers")
}

async fn sealed_column(app: &TestApp, account: &str) -> String {
    let (sealed,): (String,) =
        fetch_one!(&app.state.db, (String,), "SELECT credentials_sealed FROM carrier_accounts WHERE id = $1", account)
            .expect("row");
    sealed
}

async fn audit_text(app: &TestApp, ws: &str) -> String {
    let rows: Vec<(String, String)> = fetch_all!(
        &app.state.db,
        (String, String),
        "SELECT action, CAST(changes AS TEXT) FROM audit_log WHERE workspace_id = $1 ORDER BY seq",
        ws
    )
    .expect("entries");
    rows.into_iter().map(|(a, c)| format!("{a} {c}\n")).collect()
}

#[tokio::test]
async fn sip_trunk_is_validated_field_by_field_and_connects_without_a_remote_check() {
    let app = TestApp::spawn().await;
    let (v, ws) = admin(&app, "Ada").await;
    let bad = json!({
        "carrier": "sip",
        "termination_uri": "http://trunk.example.com",
        "username": "",
        "password": "",
        "allowed_origins": ["203.0.113.0/33"],
    });
    let res = connect(&v, bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    let mut fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["allowed_origins", "password", "termination_uri", "username"], "{body}");
    let count: (i64,) = fetch_one!(&app.state.db, (i64,), "SELECT COUNT(*) FROM carrier_accounts").expect("count");
    assert_eq!(count.0, 0, "nothing saved");

    let id = connected_sip(&v, "trunk.example.com:5060").await;
    let list = v.get_text("/api/v1/carrier-accounts").await;
    assert!(list.contains(&id) && list.contains("sip:trunk.example.com:5060") && list.contains("198.51.100.0/24"));
    assert!(!list.contains("sip-password-123"), "the password is never returned");
    assert!(!sealed_column(&app, &id).await.contains("sip-password-123"), "sealed at rest");
    assert!(!audit_text(&app, &ws).await.contains("sip-password-123"), "not in the audit entry");

    // The same trunk cannot be connected twice.
    let res = connect(&v, sip("trunk.example.com:5060")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "carrier_account_connected");
}

#[tokio::test]
async fn import_is_idempotent_and_a_number_live_in_another_workspace_is_refused() {
    let app = TestApp::spawn().await;
    let (a, ws_a) = admin(&app, "Ada").await;
    let (b, ws_b) = admin(&app, "Bob").await;
    let trunk_a = connected_sip(&a, "a.example.com").await;
    let trunk_b = connected_sip(&b, "b.example.com").await;

    let first = import(&a, &trunk_a, &["+1 415 555 0100", "+14155550101"]).await;
    assert_eq!(
        results(&first),
        [("+14155550100".into(), "imported".into()), ("+14155550101".into(), "imported".into())]
    );
    let again = import(&a, &trunk_a, &["+14155550100"]).await;
    assert_eq!(results(&again), [("+14155550100".into(), "unchanged".into())]);
    assert_eq!(again[0]["phone_number_id"], first[0]["phone_number_id"], "the same number");

    let rows = numbers(&app, &ws_a).await;
    assert_eq!(rows.len(), 2, "no duplicate");
    for (_, status, source, price, account) in &rows {
        assert_eq!((status.as_str(), source.as_str(), *price), ("ACTIVE", "IMPORTED", 0));
        assert_eq!(account.as_deref(), Some(trunk_a.as_str()));
    }
    let imported = app.audit_actions(&ws_a).await.iter().filter(|a| *a == "phone_number.imported").count();
    assert_eq!(imported, 2, "one entry per imported number");

    let elsewhere = import(&b, &trunk_b, &["+14155550100"]).await;
    assert_eq!(results(&elsewhere), [("+14155550100".into(), "refused".into())]);
    let reason = elsewhere[0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("another Switchboard workspace") && !reason.contains("Ada"), "{reason}");
    assert!(numbers(&app, &ws_b).await.is_empty());

    let res = b
        .post_json(&format!("/api/v1/carrier-accounts/{trunk_b}/import"), json!({"phone_numbers": ["555-0100"]}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "phone_numbers");
    // Another workspace's account is not found.
    let res = b
        .post_json(&format!("/api/v1/carrier-accounts/{trunk_a}/import"), json!({"phone_numbers": ["+14155550102"]}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn import_stops_at_the_plans_number_limit() {
    let app = TestApp::spawn().await;
    let (v, ws) = admin(&app, "Ada").await;
    switchboard_db::execute!(&app.state.db, "UPDATE subscriptions SET plan_key = 'basic' WHERE workspace_id = $1", &ws)
        .expect("plan");
    let trunk = connected_sip(&v, "trunk.example.com").await;
    let data = import(&v, &trunk, &["+14155550100", "+14155550101", "+14155550102", "+14155550103"]).await;
    let outcomes: Vec<String> = results(&data).into_iter().map(|(_, r)| r).collect();
    assert_eq!(outcomes, ["imported", "imported", "imported", "refused"]);
    assert!(data[3]["reason"].as_str().unwrap_or("").contains("phone numbers"), "{}", data[3]);
    assert_eq!(numbers(&app, &ws).await.len(), 3);
}

#[tokio::test]
async fn disconnect_marks_numbers_disconnected_clears_assignments_and_wipes_the_credentials() {
    let app = TestApp::spawn().await;
    let (v, ws) = admin(&app, "Ada").await;
    let trunk = connected_sip(&v, "trunk.example.com").await;
    let data = import(&v, &trunk, &["+14155550100"]).await;
    let number_id = data[0]["phone_number_id"].as_str().expect("id").to_string();
    let agent: Value = v.post_json("/api/v1/agents", json!({"name": "Front desk"})).await.json().await.expect("agent");
    switchboard_db::execute!(
        &app.state.db,
        "UPDATE phone_numbers SET inbound_agent_id = $1 WHERE id = $2",
        agent["id"].as_str().expect("agent id"),
        &number_id
    )
    .expect("assign");
    let sealed_before = sealed_column(&app, &trunk).await;

    let res = v.delete(&format!("/api/v1/carrier-accounts/{trunk}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["account"]["status"], "DISCONNECTED");
    assert_eq!(body["disconnected_numbers"], json!(["+14155550100"]));
    assert_eq!(body["callback_reset_failures"], json!([]));

    let (status, inbound): (String, Option<String>) = fetch_one!(
        &app.state.db,
        (String, Option<String>),
        "SELECT status, inbound_agent_id FROM phone_numbers WHERE id = $1",
        &number_id
    )
    .expect("number");
    assert_eq!((status.as_str(), inbound), ("DISCONNECTED", None));
    let actions = app.audit_actions(&ws).await;
    assert!(actions.iter().any(|a| a == "phone_number.disconnected"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "carrier_account.disconnected"), "{actions:?}");

    // The credentials are wiped once the reset no longer needs them.
    let sealed_after = sealed_column(&app, &trunk).await;
    assert_ne!(sealed_after, sealed_before);
    let account: switchboard_core::CarrierAccountId = trunk.parse().expect("id");
    let ws_id: switchboard_core::WorkspaceId = ws.parse().expect("ws");
    let creds =
        switchboard::phone_numbers::byoc::service::credentials(&app.state, &ws_id, &account).await.expect("open");
    assert!(creds.is_none(), "wiped");

    // Disconnected once; the number is free for another import, and the
    // trunk may be connected again.
    let res = v.delete(&format!("/api/v1/carrier-accounts/{trunk}")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let again = connected_sip(&v, "trunk.example.com").await;
    assert_eq!(results(&import(&v, &again, &["+14155550100"]).await), [("+14155550100".into(), "imported".into())]);
}

#[tokio::test]
async fn members_cannot_see_or_change_carrier_accounts() {
    let app = TestApp::spawn().await;
    let (admin_v, ws) = admin(&app, "Ada").await;
    let trunk = connected_sip(&admin_v, "trunk.example.com").await;
    let member = app.user_with_workspace("Meg", "meg@example.com", "Meg's own").await;
    app.add_member(&ws, &member, "member").await;
    member.switch_to(&ws).await;
    let calls = [
        (Method::GET, "/api/v1/carrier-accounts".to_string(), None),
        (Method::POST, "/api/v1/carrier-accounts".to_string(), Some(sip("other.example.com"))),
        (
            Method::POST,
            format!("/api/v1/carrier-accounts/{trunk}/import"),
            Some(json!({"phone_numbers": ["+14155550100"]})),
        ),
        (Method::DELETE, format!("/api/v1/carrier-accounts/{trunk}"), None),
    ];
    for (method, path, body) in calls {
        let res = member.api(method.clone(), &path, body).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    let res = member.get("/settings/phone-numbers/carriers").await;
    assert!(res.status() == StatusCode::FORBIDDEN || res.status().is_redirection(), "{}", res.status());
    let (accounts, connected): (i64, i64) = fetch_one!(
        &app.state.db,
        (i64, i64),
        "SELECT COUNT(*), SUM(CASE WHEN status = 'CONNECTED' THEN 1 ELSE 0 END) FROM carrier_accounts"
    )
    .expect("count");
    assert_eq!((accounts, connected), (1, 1), "nothing changed");
}

#[tokio::test]
async fn twilio_credentials_are_verified_sealed_and_never_returned() {
    let Some(mock) = PrismServer::twilio() else { return };
    let app = spawn_with_twilio(&mock).await;
    let (v, ws) = admin(&app, "Ada").await;
    let res = connect(&v, json!({"carrier": "twilio", "account_sid": SID, "auth_token": TOKEN})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", mock.log());
    let body: Value = res.json().await.expect("json");
    let id = body["id"].as_str().expect("id").to_string();
    assert_eq!(body["carrier"], "twilio");
    assert!(body["verified_at"].is_string());

    assert!(!sealed_column(&app, &id).await.contains(TOKEN), "sealed at rest");
    assert!(!body.to_string().contains(TOKEN));
    assert!(!v.get_text("/api/v1/carrier-accounts").await.contains(TOKEN));
    let page = v.get_text(&format!("/settings/phone-numbers/carriers/{id}")).await;
    assert!(!page.contains(TOKEN) && page.contains("Import selected"), "the page lists numbers, never the token");
    assert!(!v.get_text("/settings/phone-numbers/carriers").await.contains(TOKEN));
    let audit = audit_text(&app, &ws).await;
    assert!(audit.contains("carrier_account.connected") && !audit.contains(TOKEN), "{audit}");

    // The inbound callbacks open the token by the account's SID.
    let account_ref =
        fetch_one!(&app.state.db, (String,), "SELECT account_ref FROM carrier_accounts WHERE id = $1", &id)
            .expect("ref")
            .0;
    let found =
        switchboard::phone_numbers::byoc::callback_secret(&app.state, "twilio", &account_ref).await.expect("secret");
    let (found_account, secret) = found.expect("known account");
    assert_eq!((found_account.to_string(), secret.expose().as_str()), (id.clone(), TOKEN));
    assert!(
        switchboard::phone_numbers::byoc::callback_secret(&app.state, "twilio", "ACnope").await.expect("ok").is_none()
    );
}

#[tokio::test]
async fn refused_twilio_credentials_are_an_error_by_the_field_and_save_nothing() {
    let Some(mock) = PrismServer::twilio() else { return };
    let app = spawn_with_twilio(&mock).await;
    let (v, _) = admin(&app, "Ada").await;
    // Prism answers 401 to Basic credentials that do not decode to one
    // `user:password` pair: an auth token with a colon stands in for a
    // wrong one.
    let res = connect(&v, json!({"carrier": "twilio", "account_sid": SID, "auth_token": "wrong:token"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    assert_eq!(body["errors"][0]["field"], "auth_token", "{body}");
    assert!(body["detail"].as_str().unwrap_or("").contains("Twilio refused"), "{body}");
    let count: (i64,) = fetch_one!(&app.state.db, (i64,), "SELECT COUNT(*) FROM carrier_accounts").expect("count");
    assert_eq!(count.0, 0);

    // An API key that works, with a callback-signing auth token that does
    // not: refused by the token's field, since every callback would fail.
    let key = json!({
        "carrier": "twilio",
        "account_sid": SID,
        "api_key_sid": "SK0123456789abcdef0123456789abcdef",
        "api_key_secret": "key-secret",
        "auth_token": "wrong:token",
    });
    let res = connect(&v, key.clone()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "auth_token");
    let mut key = key;
    key["auth_token"] = json!(TOKEN);
    let res = connect(&v, key).await;
    assert_eq!(res.status(), StatusCode::CREATED, "the key with a working token connects");
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    assert!(!sealed_column(&app, &id).await.contains("key-secret"));
    assert_eq!(v.delete(&format!("/api/v1/carrier-accounts/{id}")).await.status(), StatusCode::OK);

    // The form shows it by the field, and does not echo the secret back.
    let mut v = v;
    v.load_csrf("/settings/phone-numbers/carriers/connect/twilio").await;
    let res = v
        .post_form(
            "/settings/phone-numbers/carriers/connect/twilio",
            &[("account_sid", SID), ("auth_token", "wrong:token")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("twilio-auth_token-error") && !html.contains("wrong:token"), "{html}");
}

#[tokio::test]
async fn one_twilio_account_links_to_one_workspace_once() {
    let Some(mock) = PrismServer::twilio() else { return };
    let app = spawn_with_twilio(&mock).await;
    let (a, ws_a) = admin(&app, "Ada").await;
    let (b, _) = admin(&app, "Bob").await;
    let res = connect(&a, json!({"carrier": "twilio", "account_sid": SID, "auth_token": TOKEN})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = connect(&b, json!({"carrier": "twilio", "account_sid": SID, "auth_token": TOKEN})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = problem(res).await;
    assert_eq!(body["code"], "carrier_account_taken");
    let text = body.to_string();
    assert!(!text.contains(&ws_a) && !text.contains("Ada"), "does not reveal the other workspace: {text}");
}

#[tokio::test]
async fn twilio_numbers_are_listed_imported_with_callbacks_and_disconnect_reports_reset_failures() {
    let Some(mock) = PrismServer::twilio() else { return };
    let app = spawn_with_twilio(&mock).await;
    let (v, ws) = admin(&app, "Ada").await;
    let res = connect(&v, json!({"carrier": "twilio", "account_sid": SID, "auth_token": TOKEN})).await;
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();

    let listed: Value = v.get_json(&format!("/api/v1/carrier-accounts/{id}/numbers")).await;
    let first = &listed["data"][0];
    assert_eq!((first["e164"].as_str(), first["state"].as_str()), (Some(PRISM_NUMBER), Some("importable")), "{listed}");

    // Pointing the callbacks at us is an update Prism checks against
    // Twilio's description: a request of the wrong shape would be refused.
    let data = import(&v, &id, &[PRISM_NUMBER]).await;
    assert_eq!(results(&data), [(PRISM_NUMBER.into(), "imported".into())], "{data:?}\n{}", mock.log());
    assert!(mock.log().contains("IncomingPhoneNumbers/PN"), "the callbacks were set at Twilio");
    assert_eq!(results(&import(&v, &id, &[PRISM_NUMBER]).await), [(PRISM_NUMBER.into(), "unchanged".into())]);
    let listed: Value = v.get_json(&format!("/api/v1/carrier-accounts/{id}/numbers")).await;
    assert_eq!(listed["data"][0]["state"], "imported_here");
    let row = &numbers(&app, &ws).await[0];
    assert_eq!((row.1.as_str(), row.2.as_str(), row.3), ("ACTIVE", "IMPORTED", 0));

    // With the carrier gone, the reset fails: reported, not hidden.
    drop(mock);
    let res = v.delete(&format!("/api/v1/carrier-accounts/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["account"]["status"], "DISCONNECTED");
    assert_eq!(body["callback_reset_failures"][0]["e164"], PRISM_NUMBER, "{body}");
    let page = v.get_text(&format!("/settings/phone-numbers/carriers/{id}")).await;
    assert!(page.contains("Callbacks not reset") && page.contains("+1 808 925 5327"), "shown on the page");
    assert_eq!(numbers(&app, &ws).await[0].1, "DISCONNECTED");
}

#[tokio::test]
async fn twilio_disconnect_resets_callbacks_at_the_carrier() {
    let Some(mock) = PrismServer::twilio() else { return };
    let app = spawn_with_twilio(&mock).await;
    let (v, _) = admin(&app, "Ada").await;
    let res = connect(&v, json!({"carrier": "twilio", "account_sid": SID, "auth_token": TOKEN})).await;
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    import(&v, &id, &[PRISM_NUMBER]).await;
    let updates_before = mock.log().matches("IncomingPhoneNumbers/PN").count();
    let res = v.delete(&format!("/api/v1/carrier-accounts/{id}")).await;
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["callback_reset_failures"], json!([]), "{body}\n{}", mock.log());
    assert!(mock.log().matches("IncomingPhoneNumbers/PN").count() > updates_before, "reset at Twilio");
}

#[tokio::test]
async fn telnyx_key_is_verified_its_account_shown_masked_and_its_numbers_listed() {
    let Some(mock) = PrismServer::telnyx() else { return };
    let base = mock.base_url();
    let app = TestApp::spawn_with_args(move |args| args.carrier.telnyx_api_base = Some(base)).await;
    let (v, ws) = admin(&app, "Ada").await;
    let key = "KEY0123456789ABCDEF_telnyx_secret";
    let res = connect(&v, json!({"carrier": "telnyx", "api_key": key})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the TeXML Application is needed");
    assert_eq!(problem(res).await["errors"][0]["field"], "connection_id");
    let res = connect(&v, json!({"carrier": "telnyx", "api_key": key, "connection_id": "1293384261075731499"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", mock.log());
    let body: Value = res.json().await.expect("json");
    let id = body["id"].as_str().expect("id").to_string();
    let shown = body["account"].as_str().expect("account");
    assert!(shown.starts_with("••••") && shown.chars().count() == 8, "masked: {shown}");
    assert!(!sealed_column(&app, &id).await.contains(key));
    assert!(!v.get_text("/api/v1/carrier-accounts").await.contains(key));
    assert!(!audit_text(&app, &ws).await.contains(key));
    let listed: Value = v.get_json(&format!("/api/v1/carrier-accounts/{id}/numbers")).await;
    let numbers = listed["data"].as_array().expect("data");
    assert!(!numbers.is_empty() && numbers.iter().all(|n| n["state"] == "importable"), "{listed}");

    // Importing points the number at the account's TeXML Application
    // (a PATCH Prism checks against Telnyx's description).
    let e164 = numbers[0]["e164"].as_str().expect("e164").to_string();
    let data = import(&v, &id, &[&e164]).await;
    assert_eq!(results(&data), [(e164.clone(), "imported".into())], "{data:?}\n{}", mock.log());
    assert!(mock.log().contains("patch /phone_numbers/"), "pointed at Telnyx:\n{}", mock.log());
}

#[tokio::test]
async fn rotating_the_server_key_reseals_carrier_credentials() {
    let app = TestApp::spawn().await;
    let (v, ws) = admin(&app, "Ada").await;
    let live = connected_sip(&v, "live.example.com").await;
    let gone = connected_sip(&v, "gone.example.com").await;
    assert_eq!(v.delete(&format!("/api/v1/carrier-accounts/{gone}")).await.status(), StatusCode::OK);
    let old_key = app.state.server_key.key_id();
    assert!(sealed_column(&app, &live).await.starts_with(&format!("v2.{old_key}.")));

    let (_, new_key) = switchboard::key_rotation::rotate(&app.state.config).await.expect("rotate");
    assert!(app.run_jobs().await >= 1);
    let ws_id: switchboard_core::WorkspaceId = ws.parse().expect("ws");
    for id in [&live, &gone] {
        assert!(sealed_column(&app, id).await.starts_with(&format!("v2.{new_key}.")), "{id} re-sealed");
    }
    let account: switchboard_core::CarrierAccountId = live.parse().expect("id");
    let creds =
        switchboard::phone_numbers::byoc::service::credentials(&app.state, &ws_id, &account).await.expect("open");
    assert!(
        matches!(creds, Some(switchboard::phone_numbers::byoc::model::Credentials::Sip { ref password, .. }) if password == "sip-password-123")
    );
    let account: switchboard_core::CarrierAccountId = gone.parse().expect("id");
    let wiped =
        switchboard::phone_numbers::byoc::service::credentials(&app.state, &ws_id, &account).await.expect("open");
    assert!(wiped.is_none(), "still wiped");
}
