//! Consent (SPEC §12): the mode (an SMS opt-out blocks calls in
//! UNIVERSAL, not in GRANULAR), keywords edited and validated, consent
//! records through the API moving the suppression list, a signed inbound
//! SMS with `STOP` suppressing its sender and `START` lifting it (once per
//! carrier message ID, by the System, with audit entries and webhook
//! events), and bad input changing nothing; a contact's page showing its
//! consent history and recording consent by hand (Members and Admins).
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::webhooks::delivery;

use crate::harness::{TestApp, Visitor, flash_text, location, problem};
use crate::phone_numbers_inbound::{TOKEN, setup, twilio_post};
use crate::webhooks::{add_endpoint, receiver};

pub async fn spawn() -> TestApp {
    TestApp::spawn_with_args(|args| {
        args.inbound.twilio_auth_token = Some(TOKEN.into());
        args.webhooks.allow_private_targets = Some(true);
    })
    .await
}

/// `GET /api/v1/suppressions/check` for a phone on a channel.
pub async fn check(v: &Visitor, phone: &str, channel: &str) -> Value {
    let phone = phone.replace('+', "%2B");
    v.get_json(&format!("/api/v1/suppressions/check?phone={phone}&channel={channel}")).await
}

pub async fn allowed(v: &Visitor, phone: &str, channel: &str) -> bool {
    check(v, phone, channel).await["allowed"].as_bool().expect("allowed")
}

async fn record(v: &Visitor, body: Value) -> reqwest::Response {
    v.post_json("/api/v1/consent/records", body).await
}

fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

async fn sms(app: &TestApp, sid: &str, from: &str, to: &str, body: &str) {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let form = format!("MessageSid={sid}&From={}&To={}&Body={}", enc(from), enc(to), enc(body));
    let res = twilio_post(app, "/inbound/twilio/sms", &form, TOKEN).await;
    assert_eq!(res.status(), StatusCode::OK, "SMS callback");
}

async fn history(v: &Visitor, phone: &str) -> Vec<Value> {
    let body = v.get_json(&format!("/api/v1/consent/records?phone={}", phone.replace('+', "%2B"))).await;
    body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_sms_opt_out_blocks_calls_in_universal_mode_but_not_in_granular() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let settings = ada.get_json("/api/v1/consent").await;
    assert_eq!(settings["mode"], "UNIVERSAL");
    assert_eq!(settings["opt_out_keywords"], json!(["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]));
    assert_eq!(settings["opt_in_keywords"], json!(["START"]));

    // UNIVERSAL: an SMS opt-out blocks calls too.
    let body = json!({"phone": "+1 415 555 0101", "channel": "SMS", "status": "OPTED_OUT", "proof": "https://forms.example/1"});
    let res = record(&ada, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rec: Value = res.json().await.expect("json");
    assert!(rec["id"].as_str().expect("id").starts_with("cns_"));
    assert_eq!((&rec["phone"], &rec["source"], &rec["actor"]), (&json!("+14155550101"), &json!("API"), &json!("Ada")));
    assert!(!allowed(&ada, "+14155550101", "CALLS").await);
    assert!(!allowed(&ada, "+14155550101", "SMS").await);

    // GRANULAR: an SMS opt-out blocks SMS only.
    let res = ada.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "GRANULAR"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json!({"phone": "+14155550102", "channel": "SMS", "status": "OPTED_OUT", "proof": "Told our agent"});
    assert_eq!(record(&ada, body).await.status(), StatusCode::CREATED);
    assert!(allowed(&ada, "+14155550102", "CALLS").await);
    let answer = check(&ada, "+14155550102", "SMS").await;
    assert_eq!(answer["allowed"], false);
    assert_eq!(answer["reasons"][0]["channel"], "SMS");
    assert_eq!(answer["reasons"][0]["source"], "API");

    // Back to UNIVERSAL: the same SMS entry now blocks calls too.
    let res = ada.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "UNIVERSAL"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!allowed(&ada, "+14155550102", "CALLS").await);

    // An opt-in lifts it, and the history shows both, newest first.
    let body =
        json!({"phone": "+14155550102", "channel": "SMS", "status": "OPTED_IN", "proof": "Re-subscribed on the form"});
    assert_eq!(record(&ada, body).await.status(), StatusCode::CREATED);
    assert!(allowed(&ada, "+14155550102", "CALLS").await);
    let h = history(&ada, "+14155550102").await;
    let statuses: Vec<&str> = h.iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["OPTED_IN", "OPTED_OUT"]);

    let ws = ada.workspace_id().await;
    let actions = app.audit_actions(&ws).await;
    assert_eq!(actions.iter().filter(|a| *a == "consent.mode_changed").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "consent.changed").count(), 3);
    assert_eq!(actions.iter().filter(|a| *a == "suppression.added").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "suppression.removed").count(), 1);
}

#[tokio::test]
async fn a_signed_stop_suppresses_the_sender_once_and_start_lifts_it() {
    let app = spawn().await;
    let s = setup(&app, "+14155550110").await;
    let (url, received) = receiver(StatusCode::OK).await;
    add_endpoint(&s.admin, &url, json!(["consent.changed", "suppression.added", "suppression.removed"])).await;
    let sender = "+15551230000";

    // A sentence with the word is not a keyword.
    sms(&app, "SM0", sender, "+14155550110", "please stop calling").await;
    assert!(allowed(&s.admin, sender, "CALLS").await);
    assert!(history(&s.admin, sender).await.is_empty());

    // "Stop." opts out; the retried callback records nothing more.
    sms(&app, "SM1", sender, "+14155550110", " Stop. ").await;
    sms(&app, "SM1", sender, "+14155550110", " Stop. ").await;
    let answer = check(&s.admin, sender, "CALLS").await;
    assert_eq!(answer["allowed"], false, "UNIVERSAL: an SMS STOP blocks calls");
    assert_eq!(answer["reasons"].as_array().map(Vec::len), Some(1));
    assert_eq!((&answer["reasons"][0]["channel"], &answer["reasons"][0]["source"]), (&json!("ALL"), &json!("KEYWORD")));
    let h = history(&s.admin, sender).await;
    assert_eq!(h.len(), 2, "one record per channel in UNIVERSAL mode: {h:?}");
    for r in &h {
        assert_eq!(
            (&r["status"], &r["source"], &r["actor"]),
            (&json!("OPTED_OUT"), &json!("KEYWORD"), &json!("System"))
        );
        let proof = r["proof"].as_str().expect("proof");
        assert!(proof.contains("Stop.") && proof.contains("SM1") && proof.contains("twilio"), "{proof}");
    }
    let list = s.admin.get_json("/api/v1/suppressions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["created_by"], "System");

    // An Admin's own entry for the same sender is not lifted by START.
    let manual = s
        .admin
        .post_json("/api/v1/suppressions", json!({"phone": sender, "channel": "CALLS", "reason": "Asked us by email"}))
        .await;
    assert_eq!(manual.status(), StatusCode::CREATED);

    sms(&app, "SM2", sender, "+14155550110", "start").await;
    let answer = check(&s.admin, sender, "SMS").await;
    assert_eq!(answer["allowed"], false, "the manual CALLS entry still blocks every channel in UNIVERSAL");
    assert_eq!(answer["reasons"][0]["reason"], "Asked us by email");
    let list = s.admin.get_json("/api/v1/suppressions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "only the keyword's entry was lifted");
    let h = history(&s.admin, sender).await;
    assert_eq!(h.len(), 4);
    assert_eq!(h[0]["status"], "OPTED_IN");

    // The audit log: by the System, in the same transaction as the records.
    let entries = switchboard::audit::list_recent(&app.state.db, &s.ws, 100).await.expect("audit");
    let by_system: Vec<&str> = entries.iter().filter(|e| e.actor_type == "system").map(|e| e.action.as_str()).collect();
    assert_eq!(by_system.iter().filter(|a| **a == "consent.changed").count(), 4);
    assert_eq!(by_system.iter().filter(|a| **a == "suppression.added").count(), 1);
    assert_eq!(by_system.iter().filter(|a| **a == "suppression.removed").count(), 1);

    // The webhook events.
    delivery::run_due(&app.state).await.expect("run");
    let types: Vec<String> = received
        .all()
        .iter()
        .filter_map(|(_, body)| serde_json::from_str::<Value>(body).ok())
        .filter_map(|p| p["type"].as_str().map(str::to_string))
        .collect();
    for t in ["consent.changed", "suppression.added", "suppression.removed"] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }
}

#[tokio::test]
async fn in_granular_mode_stop_blocks_sms_only_and_edited_keywords_apply() {
    let app = spawn().await;
    let s = setup(&app, "+14155550111").await;
    let res = s.admin.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "granular"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json!({"opt_out_keywords": ["stop", "Arret", "STOP"], "opt_in_keywords": ["start", "oui"]});
    let res = s.admin.api(Method::PUT, "/api/v1/consent/keywords", Some(body)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let settings: Value = res.json().await.expect("json");
    assert_eq!(settings["opt_out_keywords"], json!(["STOP", "ARRET"]));
    assert_eq!(settings["opt_in_keywords"], json!(["START", "OUI"]));

    let sender = "+15551230001";
    sms(&app, "SM10", sender, "+14155550111", "arret!").await;
    assert!(!allowed(&s.admin, sender, "SMS").await);
    assert!(allowed(&s.admin, sender, "CALLS").await, "GRANULAR: calls stay allowed");
    let h = history(&s.admin, sender).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["channel"], "SMS");
    // UNSUBSCRIBE is no longer a keyword of this workspace.
    sms(&app, "SM11", "+15551230002", "+14155550111", "UNSUBSCRIBE").await;
    assert!(allowed(&s.admin, "+15551230002", "SMS").await);
    sms(&app, "SM12", sender, "+14155550111", "Oui").await;
    assert!(allowed(&s.admin, sender, "SMS").await);
}

#[tokio::test]
async fn bad_keywords_and_records_are_refused_by_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let before = ada.get_json("/api/v1/consent").await;
    for body in [
        json!({"opt_out_keywords": ["STOP"], "opt_in_keywords": ["stop"]}),
        json!({"opt_out_keywords": [], "opt_in_keywords": ["START"]}),
        json!({"opt_out_keywords": ["stop now"], "opt_in_keywords": []}),
        json!({"opt_out_keywords": ["x".repeat(21)], "opt_in_keywords": []}),
    ] {
        let res = ada.api(Method::PUT, "/api/v1/consent/keywords", Some(body.clone())).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p = problem(res).await;
        assert!(fields(&p).iter().any(|f| f.ends_with("_keywords")), "{p}");
    }
    let res = ada.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "SOMETIMES"}))).await;
    assert_eq!(fields(&problem(res).await), ["mode"]);
    assert_eq!(ada.get_json("/api/v1/consent").await, before);

    let res = record(&ada, json!({"phone": "12", "channel": "FAX", "status": "MAYBE", "proof": ""})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(res).await), ["phone", "channel", "status", "proof"]);
    let res =
        record(&ada, json!({"email": "not-an-email", "channel": "SMS", "status": "OPTED_OUT", "proof": "x"})).await;
    assert_eq!(fields(&problem(res).await), ["email"]);
    assert_eq!(ada.get_json("/api/v1/suppressions").await["data"], json!([]));
    assert!(!app.audit_actions(&ws).await.iter().any(|a| a.starts_with("consent.") || a.starts_with("suppression.")));

    // Members record consent but do not change the settings; Viewers read.
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&ws, &bob, "member").await;
    bob.switch_to(&ws).await;
    let body =
        json!({"email": "Carol@Example.com", "channel": "CALLS", "status": "OPTED_OUT", "proof": "Phone call 7 Dec"});
    let res = record(&bob, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.expect("json")["email"], "carol@example.com");
    let res = bob.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "GRANULAR"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let mut vic = app.visitor();
    vic.sign_up("Vic", "vic@example.com", "correct horse battery").await;
    app.add_member(&ws, &vic, "viewer").await;
    vic.switch_to(&ws).await;
    let h = vic.get_json("/api/v1/consent/records?email=carol%40example.com").await;
    assert_eq!(h["data"].as_array().map(Vec::len), Some(1));
    let body = json!({"email": "dan@example.com", "channel": "CALLS", "status": "OPTED_OUT", "proof": "x"});
    assert_eq!(record(&vic, body).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_consent_tab_saves_the_mode_and_keywords_and_shows_refusals_by_the_field() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let html = ada.get_text("/settings/audiences/consent").await;
    assert!(html.contains("aria-current=\"page\">Consent</a>"), "the tab is current");
    assert!(html.contains("value=\"STOP, UNSUBSCRIBE, CANCEL, END, QUIT\""));
    ada.load_csrf("/settings/audiences/consent").await;
    let res = ada.post_form("/settings/audiences/consent/mode", &[("mode", "GRANULAR")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ada.get_json("/api/v1/consent").await["mode"], "GRANULAR");
    let res = ada
        .post_form(
            "/settings/audiences/consent/keywords",
            &[("opt_out_keywords", "stop, halt"), ("opt_in_keywords", "halt")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("HALT is also an opt-out keyword"), "{html}");
    assert!(html.contains("value=\"stop, halt\""), "the words as typed");
    let res = ada
        .post_form(
            "/settings/audiences/consent/keywords",
            &[("opt_out_keywords", "stop halt"), ("opt_in_keywords", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let s = ada.get_json("/api/v1/consent").await;
    assert_eq!((&s["opt_out_keywords"], &s["opt_in_keywords"]), (&json!(["STOP", "HALT"]), &json!([])));

    // Members are sent back with the permissions toast.
    let ws = ada.workspace_id().await;
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&ws, &bob, "member").await;
    bob.switch_to(&ws).await;
    assert_eq!(bob.get("/settings/audiences/consent").await.status(), StatusCode::SEE_OTHER);
}

/// A contact of the workspace through the API: its ID.
async fn contact(v: &Visitor, name: &str, phone: &str) -> String {
    let res = v.post_json("/api/v1/contacts", json!({"name": name, "phone": phone})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "contact {name}");
    let body: Value = res.json().await.expect("json");
    body["id"].as_str().expect("id").to_string()
}

/// Refused by the policy: a 403, or a page's redirect with the permission toast.
fn refused(res: &reqwest::Response) -> bool {
    res.status() == StatusCode::FORBIDDEN || flash_text(res).is_some_and(|t| t.contains("permission"))
}

/// Where `needle` first appears in `html` (it must).
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} not on the page"))
}

/// The "Show older" link of the consent history, as a path.
fn older_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\">Show older</a>")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&#x2f;", "/").replace("&amp;", "&"))
}

#[tokio::test]
async fn a_contacts_page_shows_its_consent_history_newest_first_with_sources_and_proof() {
    let app = spawn().await;
    let s = setup(&app, "+14155550120").await;
    let mut ada = s.admin;
    let phone = "+14155552690";
    let id = contact(&ada, "Grace", phone).await;
    let page = format!("/contacts/{id}");
    let html = ada.get_text(&page).await;
    assert!(html.contains("No consent recorded yet") && html.contains("Record consent"), "{html}");
    assert!(html.contains("status-active\">Allowed"), "calls and SMS allowed");

    // A keyword (one record per channel in UNIVERSAL mode), then the API, then a person.
    sms(&app, "SM20", phone, "+14155550120", "STOP").await;
    app.clock.advance(chrono::Duration::minutes(1));
    let body = json!({"phone": phone, "contact_id": id, "channel": "CALLS", "status": "OPTED_IN", "proof": "https://forms.example/consent/7"});
    assert_eq!(record(&ada, body).await.status(), StatusCode::CREATED);
    app.clock.advance(chrono::Duration::minutes(1));
    ada.load_csrf(&page).await;
    let ws = s.ws.to_string();
    let form =
        [("channel", "SMS"), ("status", "OPTED_IN"), ("proof", "Asked on the phone, 7 Dec"), ("_workspace", &ws)];
    let res = ada.post_form(&format!("{page}/consent"), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), page);
    assert_eq!(flash_text(&res).as_deref(), Some("Consent recorded: SMS — Opted in."));

    let html = ada.get_text(&page).await;
    assert!(!html.contains("No consent recorded yet"));
    let (manual, api, keyword) = (
        at(&html, "Asked on the phone, 7 Dec"),
        at(&html, ">https:&#x2f;&#x2f;forms.example&#x2f;consent&#x2f;7</a>"),
        at(&html, "twilio message SM20"),
    );
    assert!(manual < api && api < keyword, "newest first");
    assert!(html.contains("<td>Manual</td>") && html.contains("<td>API</td>") && html.contains("<td>Keyword</td>"));
    assert!(html.contains("href=\"https:&#x2f;&#x2f;forms.example&#x2f;consent&#x2f;7\""), "a URL proof is a link");
    assert!(html.contains("<td>System</td>") && html.contains("<td>Ada</td>"), "who recorded each");
    assert!(html.contains("status-suppressed\">Opted out") && html.contains("status-active\">Opted in"));
    assert!(older_link(&html).is_none(), "one page");

    // More than a page: "Show older" leads to the oldest records.
    for n in 0..18 {
        app.clock.advance(chrono::Duration::seconds(1));
        let body = json!({"phone": phone, "contact_id": id, "channel": "SMS", "status": "OPTED_IN", "proof": format!("Batch {n}")});
        assert_eq!(record(&ada, body).await.status(), StatusCode::CREATED);
    }
    let html = ada.get_text(&page).await;
    assert!(html.contains("Batch 17") && !html.contains("twilio message SM20"), "22 records, 20 a page");
    let older = older_link(&html).expect("Show older");
    assert!(older.starts_with(&format!("{page}?consent_cursor=")), "{older}");
    let html = ada.get_text(&older).await;
    assert!(html.contains("twilio message SM20") && !html.contains("Batch 17"), "{html}");
    assert!(html.contains("← Newest") && older_link(&html).is_none());
}

#[tokio::test]
async fn the_record_consent_form_opts_a_contact_out_and_back_in_through_the_suppression_list() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let phone = "+14155552680";
    let id = contact(&ada, "Grace", phone).await;
    let page = format!("/contacts/{id}");
    ada.load_csrf(&page).await;

    let opt_out = [("channel", "CALLS"), ("status", "OPTED_OUT"), ("proof", ""), ("_workspace", ws.as_str())];
    let res = ada.post_form(&format!("{page}/consent"), &opt_out).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!allowed(&ada, phone, "CALLS").await);
    assert!(!allowed(&ada, phone, "SMS").await, "UNIVERSAL: a calls opt-out blocks SMS too");
    let answer = check(&ada, phone, "CALLS").await;
    assert_eq!(answer["reasons"][0]["source"], "MANUAL");
    let html = ada.get_text(&page).await;
    assert!(html.contains("status-suppressed\">Suppressed") && html.contains("Opted out (Calls)"), "{html}");
    assert!(html.contains("SUPPRESSED"), "the contact's badge");

    let opt_in = [("channel", "CALLS"), ("status", "OPTED_IN"), ("proof", "Called back, 8 Dec"), ("_workspace", &ws)];
    let res = ada.post_form(&format!("{page}/consent"), &opt_in).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(allowed(&ada, phone, "CALLS").await);
    assert!(allowed(&ada, phone, "SMS").await);
    let h = ada.get_json(&format!("/api/v1/consent/records?contact_id={id}")).await["data"].clone();
    let rows = h.as_array().expect("records");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["status"], &rows[0]["source"], &rows[0]["actor"]),
        (&json!("OPTED_IN"), &json!("MANUAL"), &json!("Ada"))
    );
    assert_eq!(
        (&rows[1]["status"], &rows[1]["proof"], &rows[1]["contact_id"]),
        (&json!("OPTED_OUT"), &json!(""), &json!(id))
    );
    let actions = app.audit_actions(&ws).await;
    assert_eq!(actions.iter().filter(|a| *a == "consent.changed").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "suppression.added").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "suppression.removed").count(), 1);

    // Bad input: shown again by the field, with what was typed, and nothing written.
    let before = actions.len();
    let bad = [("channel", "FAX"), ("status", "MAYBE"), ("proof", "Kept as typed"), ("_workspace", &ws)];
    let res = ada.post_form(&format!("{page}/consent"), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"<p class="field-error" id="consent-channel-error">Choose Calls or SMS.</p>"#), "{html}");
    assert!(html.contains(r#"<p class="field-error" id="consent-status-error">Choose Opted in or Opted out.</p>"#));
    assert!(html.contains(">Kept as typed</textarea>"), "the proof is kept");
    let long = "x".repeat(2_001);
    let bad = [("channel", "SMS"), ("status", "OPTED_OUT"), ("proof", long.as_str()), ("_workspace", &ws)];
    let res = ada.post_form(&format!("{page}/consent"), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Keep the proof to at most 2000 characters."));
    assert_eq!(app.audit_actions(&ws).await.len(), before, "no entry for a refused form");
    let h = ada.get_json(&format!("/api/v1/consent/records?contact_id={id}")).await;
    assert_eq!(h["data"].as_array().map(Vec::len), Some(2));
    assert!(allowed(&ada, phone, "SMS").await);
}

#[tokio::test]
async fn viewers_see_a_contacts_consent_history_without_the_form_and_cannot_record() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let phone = "+14155552681";
    let id = contact(&ada, "Grace", phone).await;
    let page = format!("/contacts/{id}");
    let body = json!({"phone": phone, "channel": "SMS", "status": "OPTED_OUT", "proof": "Replied NO to the survey"});
    assert_eq!(record(&ada, body).await.status(), StatusCode::CREATED);

    let mut vera = app.visitor();
    vera.sign_up("Vera", "vera@example.com", "correct horse battery").await;
    app.add_member(&ws, &vera, "viewer").await;
    vera.switch_to(&ws).await;
    let html = vera.get_text(&page).await;
    assert!(html.contains("Replied NO to the survey") && html.contains("status-suppressed\">Opted out"), "{html}");
    assert!(!html.contains("Record consent") && !html.contains("name=\"status\""), "no form for Viewers");
    vera.load_csrf(&page).await;
    let opt_in = [("channel", "SMS"), ("status", "OPTED_IN"), ("proof", ""), ("_workspace", ws.as_str())];
    assert!(refused(&vera.post_form(&format!("{page}/consent"), &opt_in).await));
    assert!(!allowed(&ada, phone, "SMS").await, "still opted out");

    // Members record; another workspace's contact is not found.
    let mut mo = app.visitor();
    mo.sign_up("Mo", "mo@example.com", "correct horse battery").await;
    app.add_member(&ws, &mo, "member").await;
    mo.switch_to(&ws).await;
    mo.load_csrf(&page).await;
    let res = mo.post_form(&format!("{page}/consent"), &opt_in).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(allowed(&ada, phone, "SMS").await);
    let mut bob = app.user_with_workspace("Bob", "bob@example.com", "Bob's Bots").await;
    let bob_ws = bob.workspace_id().await;
    bob.load_csrf("/contacts").await;
    let theirs = [("channel", "SMS"), ("status", "OPTED_OUT"), ("proof", ""), ("_workspace", bob_ws.as_str())];
    assert_eq!(bob.post_form(&format!("{page}/consent"), &theirs).await.status(), StatusCode::NOT_FOUND);
    assert!(allowed(&ada, phone, "SMS").await);
}
