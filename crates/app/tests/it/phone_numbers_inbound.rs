//! The carriers' callbacks for our numbers, end to end: a signed voice
//! callback is answered with TwiML that hands the call to the assigned
//! LIVE agent's media stream (or says the number is not in service); a
//! completed call's status becomes one `call_minutes` usage event however
//! often it is replayed; an inbound SMS is kept once; a callback signed
//! with the wrong secret, or for a number its signer does not own, does
//! nothing.
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::inbound::{telnyx, twilio};
use switchboard::phone_numbers::model::{NumberSource, NumberStatus};
use switchboard::phone_numbers::store::{self, NewNumber};
use switchboard_core::{AgentId, PhoneNumberId, WorkspaceId};
use switchboard_providers::carriers::{Capabilities, NumberType};

use crate::harness::{TestApp, Visitor};

pub const TOKEN: &str = "twilio-platform-token";
const STREAM: &str = "wss://runtime.example/media/{agent_id}?call={call_id}";

fn telnyx_key() -> (SigningKey, String) {
    let vectors: Value =
        serde_json::from_str(include_str!("../fixtures/inbound-webhook-signature-vectors.json")).expect("json");
    let telnyx = vectors["vectors"].as_array().expect("vectors").iter().find(|v| v["provider"] == "telnyx").cloned();
    let telnyx = telnyx.expect("telnyx vector");
    let seed = hex::decode(telnyx["test_private_key_seed_hex"].as_str().expect("seed")).expect("hex");
    let key = SigningKey::from_bytes(&seed.try_into().expect("32 bytes"));
    (key, telnyx["test_public_key_base64"].as_str().expect("key").to_string())
}

pub async fn spawn() -> TestApp {
    TestApp::spawn_with_args(|args| {
        args.inbound.twilio_auth_token = Some(TOKEN.into());
        args.inbound.telnyx_public_key = Some(telnyx_key().1);
        args.carrier.media_stream_url = Some(STREAM.into());
    })
    .await
}

pub struct Setup {
    pub ws: WorkspaceId,
    pub admin: Visitor,
    pub agent: AgentId,
    pub number: PhoneNumberId,
}

async fn agent(admin: &Visitor, name: &str, status: &str) -> AgentId {
    let res = admin.post_json("/api/v1/agents", json!({"name": name, "status": status})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    body["id"].as_str().expect("id").parse().expect("agent id")
}

/// An ACTIVE platform number serving a LIVE agent for inbound and outbound calls and SMS.
pub async fn setup(app: &TestApp, e164: &str) -> Setup {
    let admin = app.user_with_workspace("Ada", &format!("ada{}@example.com", &e164[e164.len() - 4..]), "Acme").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    let agent = agent(&admin, "Front desk", "LIVE").await;
    let number = insert_number(app, &ws, e164, NumberSource::Platform).await;
    let mut tx = app.state.db.begin().await.expect("tx");
    for role in switchboard::phone_numbers::model::Role::ALL {
        store::set_agent(&mut tx, &ws, &number, role, Some(&agent), app.clock_now()).await.expect("assign");
    }
    tx.commit().await.expect("commit");
    Setup { ws, admin, agent, number }
}

async fn insert_number(app: &TestApp, ws: &WorkspaceId, e164: &str, source: NumberSource) -> PhoneNumberId {
    let id = PhoneNumberId::new();
    let now = app.clock_now();
    let mut tx = app.state.db.begin().await.expect("tx");
    let new = NewNumber {
        id: &id,
        e164,
        friendly_name: "Main line",
        country: "US",
        number_type: NumberType::Local,
        capabilities: Capabilities::ALL,
        source,
        carrier: "sandbox",
        carrier_account_id: None,
        carrier_ref: Some(e164),
        monthly_price: 150_000,
        status: NumberStatus::Active,
        period_start: Some(now),
        renews_on: Some(now + chrono::Duration::days(30)),
    };
    store::insert(&mut tx, ws, &new, now).await.expect("insert number");
    tx.commit().await.expect("commit");
    id
}

pub async fn twilio_post(app: &TestApp, path: &str, form: &str, token: &str) -> reqwest::Response {
    let signature = twilio::sign(token, &format!("{}{path}", app.url), Some(form.as_bytes()));
    app.client()
        .post(app.at(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(twilio::HEADER, signature)
        .body(form.to_string())
        .send()
        .await
        .expect("POST")
}

pub async fn telnyx_post(app: &TestApp, path: &str, body: &str, content_type: &str) -> reqwest::Response {
    let (key, _) = telnyx_key();
    let timestamp = app.clock_now().timestamp().to_string();
    let signature = key.sign(format!("{timestamp}|{body}").as_bytes());
    use base64::Engine;
    app.client()
        .post(app.at(path))
        .header("content-type", content_type)
        .header(telnyx::SIGNATURE_HEADER, base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
        .header(telnyx::TIMESTAMP_HEADER, timestamp)
        .body(body.to_string())
        .send()
        .await
        .expect("POST")
}

async fn call_events(admin: &Visitor) -> Vec<Value> {
    let body = admin.get_json("/api/v1/usage/events?type=call_minutes").await;
    body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_call_to_an_assigned_number_is_handed_to_its_agents_media_stream() {
    let app = spawn().await;
    let s = setup(&app, "+14155550101").await;
    let res = twilio_post(
        &app,
        "/inbound/twilio/voice",
        "CallSid=CA100&From=%2B15551230000&To=%2B14155550101&Direction=inbound&AccountSid=ACplatform",
        TOKEN,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("application/xml"));
    let twiml = res.text().await.expect("body");
    let stream = format!("wss://runtime.example/media/{}?call=CA100", s.agent);
    assert!(twiml.contains(&format!("<Stream url=\"{stream}\">")), "{twiml}");
    assert!(twiml.contains(&format!("value=\"{}\"", s.number)), "{twiml}");

    // The same over Telnyx's TeXML callback (Ed25519-signed).
    let form = "CallSid=v3%3Atx1&From=%2B15551230000&To=%2B14155550101&Direction=inbound";
    let res = telnyx_post(&app, "/inbound/telnyx/voice", form, "application/x-www-form-urlencoded").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("body").contains("<Connect><Stream"));
}

#[tokio::test]
async fn numbers_without_a_live_agent_or_unknown_numbers_are_not_in_service() {
    let app = spawn().await;
    let s = setup(&app, "+14155550102").await;
    let not_in_service = |twiml: &str| twiml.contains("not in service") && !twiml.contains("<Stream");

    let res =
        twilio_post(&app, "/inbound/twilio/voice", "CallSid=CA1&To=%2B14155550177&Direction=inbound", TOKEN).await;
    assert!(not_in_service(&res.text().await.expect("body")), "unknown number");

    // The agent set back to draft: its number says it is not in service.
    let res = s.admin.patch(&format!("/api/v1/agents/{}", s.agent), json!({"status": "DRAFT"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res =
        twilio_post(&app, "/inbound/twilio/voice", "CallSid=CA2&To=%2B14155550102&Direction=inbound", TOKEN).await;
    assert!(not_in_service(&res.text().await.expect("body")), "draft agent");

    // A released number is not ours any more.
    let mut tx = app.state.db.begin().await.expect("tx");
    store::set_status(&mut tx, &s.ws, &s.number, NumberStatus::Released, None, app.clock_now()).await.expect("set");
    tx.commit().await.expect("commit");
    let res = s.admin.patch(&format!("/api/v1/agents/{}", s.agent), json!({"status": "LIVE"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res =
        twilio_post(&app, "/inbound/twilio/voice", "CallSid=CA3&To=%2B14155550102&Direction=inbound", TOKEN).await;
    assert!(not_in_service(&res.text().await.expect("body")), "released number");
}

#[tokio::test]
async fn outbound_calls_follow_the_toggle_and_the_outbound_agent() {
    let app = spawn().await;
    let s = setup(&app, "+14155550103").await;
    let form = "CallSid=CA9&From=%2B14155550103&To=%2B15551230000&Direction=outbound-api";
    let res = twilio_post(&app, "/inbound/twilio/voice", form, TOKEN).await;
    assert!(res.text().await.expect("body").contains("<Stream"), "outbound allowed by default");

    store::update_details(&app.state.db, &s.ws, &s.number, "Main line", false, app.clock_now()).await.expect("toggle");
    let res = twilio_post(&app, "/inbound/twilio/voice", form, TOKEN).await;
    let twiml = res.text().await.expect("body");
    assert!(twiml.contains("<Reject") && !twiml.contains("<Stream"), "{twiml}");
}

#[tokio::test]
async fn a_completed_call_is_billed_once_to_its_agent_however_often_the_callback_comes() {
    let app = spawn().await;
    let s = setup(&app, "+14155550104").await;
    let form =
        "CallSid=CA42&CallStatus=completed&CallDuration=125&From=%2B15551230000&To=%2B14155550104&Direction=inbound";
    for _ in 0..3 {
        let res = twilio_post(&app, "/inbound/twilio/status", form, TOKEN).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    // Ringing and in-progress updates carry no duration and record nothing.
    let ringing = "CallSid=CA43&CallStatus=ringing&To=%2B14155550104&Direction=inbound";
    assert_eq!(twilio_post(&app, "/inbound/twilio/status", ringing, TOKEN).await.status(), StatusCode::NO_CONTENT);

    let events = call_events(&s.admin).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["quantity"], 125);
    assert_eq!(events[0]["agent_id"], s.agent.as_str());
    assert_eq!(events[0]["idempotency_key"], "call:twilio:CA42");

    // Telnyx's status callback for another call: one more event.
    let form =
        "CallSid=v3%3Atx2&CallStatus=completed&CallDuration=30&From=%2B15551230000&To=%2B14155550104&Direction=inbound";
    let res = telnyx_post(&app, "/inbound/telnyx/status", form, "application/x-www-form-urlencoded").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(call_events(&s.admin).await.len(), 2);

    // A completed call without a usable duration is a clear 400.
    let bad = "CallSid=CA44&CallStatus=completed&CallDuration=soon&To=%2B14155550104";
    assert_eq!(twilio_post(&app, "/inbound/twilio/status", bad, TOKEN).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_signatures_and_numbers_the_signer_does_not_own_change_nothing() {
    let app = spawn().await;
    let s = setup(&app, "+14155550105").await;
    let form = "CallSid=CA50&CallStatus=completed&CallDuration=60&To=%2B14155550105&Direction=inbound";
    let res = twilio_post(&app, "/inbound/twilio/status", form, "someone-elses-token").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(call_events(&s.admin).await.is_empty());

    // An imported number speaks only through its own account's token, never the platform's.
    let imported = insert_number(&app, &s.ws, "+14155550106", NumberSource::Imported).await;
    let mut tx = app.state.db.begin().await.expect("tx");
    let role = switchboard::phone_numbers::model::Role::Inbound;
    store::set_agent(&mut tx, &s.ws, &s.number, role, None, app.clock_now()).await.expect("unassign");
    store::set_agent(&mut tx, &s.ws, &imported, role, Some(&s.agent), app.clock_now()).await.expect("assign");
    tx.commit().await.expect("commit");
    let form = "CallSid=CA51&CallStatus=completed&CallDuration=60&To=%2B14155550106&Direction=inbound";
    assert_eq!(twilio_post(&app, "/inbound/twilio/status", form, TOKEN).await.status(), StatusCode::NO_CONTENT);
    assert!(call_events(&s.admin).await.is_empty(), "the platform's token cannot bill an imported number");
}

#[tokio::test]
async fn inbound_sms_are_kept_once_per_message() {
    let app = spawn().await;
    let s = setup(&app, "+14155550107").await;
    let form = "MessageSid=SM1&From=%2B15551230000&To=%2B14155550107&Body=STOP";
    for _ in 0..2 {
        let res = twilio_post(&app, "/inbound/twilio/sms", form, TOKEN).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("body").contains("<Response/>"));
    }
    let telnyx = json!({"data": {"event_type": "message.received", "id": "evt1", "payload": {
        "id": "tx-msg-1", "from": {"phone_number": "+15551239999"}, "to": [{"phone_number": "+14155550107"}], "text": "HELP"}}});
    let res = telnyx_post(&app, "/inbound/telnyx/sms", &telnyx.to_string(), "application/json").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let kept = switchboard::phone_numbers::inbound::messages_of(&app.state, &s.ws).await.expect("messages");
    let mut bodies: Vec<(&str, &str)> = kept.iter().map(|m| (m.carrier.as_str(), m.body.as_str())).collect();
    bodies.sort();
    assert_eq!(bodies, [("telnyx", "HELP"), ("twilio", "STOP")]);
    assert!(kept.iter().all(|m| m.phone_number_id == s.number.as_str()));
}
