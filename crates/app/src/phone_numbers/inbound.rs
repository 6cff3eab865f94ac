//! The carriers' callbacks for our numbers (mounted as inbound routes, so
//! each is checked with the vendor's signature before it runs):
//!
//! - `POST /inbound/{twilio,telnyx}/voice`: a call to (or from) one of our
//!   numbers. The answer is TwiML (Telnyx's TeXML is the same language):
//!   hand the call to the assigned LIVE agent's media stream (the
//!   `--media-stream-url` template), or say that the number is not in
//!   service.
//! - `POST /inbound/{twilio,telnyx}/status`: a call's status; a completed
//!   call with a duration becomes a `call_minutes` usage event for the
//!   agent, keyed by the call's ID, so a replayed callback is billed once.
//! - `POST /inbound/twilio/sms` (form) and `/inbound/telnyx/sms` (Telnyx's
//!   JSON messaging event): an inbound SMS, kept once per message ID; a
//!   new one that is an opt-out or opt-in keyword updates consent and the
//!   suppression list in the same transaction (`consent::keywords`).
//!
//! Whose secret: Twilio callbacks for a number imported from a connected
//! account are signed with that account's auth token, found by the
//! callback's `AccountSid`; everything else with the platform's
//! (`[inbound] twilio_auth_token`, `telnyx_public_key`). A callback signed
//! by one account may only speak for that account's numbers: a number is
//! handled only when the secret that matched is the one it belongs to.
use std::collections::HashMap;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use switchboard_core::{InboundMessageId, WorkspaceId};

use super::model::{NumberSource, NumberStatus, PhoneNumber};
use super::store;
use crate::agents::model::AgentStatus;
use crate::error::{AppError, AppResult};
use crate::inbound::{
    Configured, Credential, DEFAULT_BODY_LIMIT, InboundRequest, SecretSource, Vendor, Verified, Verifier,
};
use crate::routes::Routes;
use crate::state::AppState;
use crate::usage::ingest::record;
use crate::usage::ingest_input::NewEvent;
use crate::usage::types::UsageType;

/// Voice and status callbacks are small forms; SMS bodies are at most a
/// few kilobytes.
const BODY_LIMIT: usize = 64 * 1024;

pub fn routes(r: &mut Routes) {
    for (path, handler) in [("/inbound/twilio/voice", post(voice)), ("/inbound/twilio/status", post(status))] {
        r.inbound("POST", path, handler, Verifier::twilio(TwilioAccounts), BODY_LIMIT);
    }
    r.inbound("POST", "/inbound/twilio/sms", post(twilio_sms), Verifier::twilio(TwilioAccounts), BODY_LIMIT);
    for (path, handler) in [("/inbound/telnyx/voice", post(voice)), ("/inbound/telnyx/status", post(status))] {
        r.inbound("POST", path, handler, Verifier::telnyx(Configured), BODY_LIMIT);
    }
    r.inbound("POST", "/inbound/telnyx/sms", post(telnyx_sms), Verifier::telnyx(Configured), DEFAULT_BODY_LIMIT);
}

/// The secret of a Twilio callback: the connected account named by its
/// `AccountSid` when there is one, else the platform's auth token.
pub struct TwilioAccounts;

#[async_trait]
impl SecretSource for TwilioAccounts {
    async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> anyhow::Result<Option<Credential>> {
        if let Some(sid) = req.form_param("AccountSid")
            && let Some((account, secret)) = super::byoc::callback_secret(state, "twilio", &sid).await?
        {
            return Ok(Some(Credential { secret, account: Some(account.to_string()) }));
        }
        Ok(state.config.inbound.twilio_auth_token.clone().map(Credential::platform))
    }
}

/// The form fields of Twilio's (and TeXML's) voice and status callbacks.
fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Whether the call came in to our number (`To`) or went out from it (`From`).
fn is_outbound(fields: &HashMap<String, String>) -> bool {
    fields.get("Direction").is_some_and(|d| d.starts_with("outbound"))
}

/// The live number a callback speaks for, if the secret that matched may
/// speak for it: the platform's secret for platform numbers (and imported
/// Telnyx numbers, whose callbacks Telnyx signs with its one key), a
/// connected Twilio account's token for that account's numbers only.
async fn our_number(state: &AppState, verified: &Verified, e164: Option<&String>) -> AppResult<Option<PhoneNumber>> {
    let Some(e164) = e164.and_then(|raw| super::model::parse_e164(raw)) else { return Ok(None) };
    let Some(number) = store::find_live_by_e164(&state.db, &e164).await? else { return Ok(None) };
    let allowed = match (&verified.account, number.source) {
        (Some(account), NumberSource::Imported) => {
            number.carrier_account_id.as_ref().is_some_and(|id| id.as_str() == account)
        }
        (Some(_), NumberSource::Platform) => false,
        (None, NumberSource::Platform) => true,
        (None, NumberSource::Imported) => verified.vendor == Vendor::Telnyx,
    };
    Ok(allowed.then_some(number))
}

fn twiml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response()
}

/// Text for an XML attribute or element.
fn xml_escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

const NOT_IN_SERVICE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Say>The number you have called is not in service.</Say><Hangup/></Response>";
const OUTBOUND_NOT_ALLOWED: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Reject reason=\"rejected\"/></Response>";

/// The media stream URL for one call, from the configured template.
pub fn stream_url(template: &str, agent_id: &str, number: &str, call_id: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    template.replace("{agent_id}", &enc(agent_id)).replace("{number}", &enc(number)).replace("{call_id}", &enc(call_id))
}

async fn voice(State(state): State<AppState>, verified: Verified, body: Bytes) -> AppResult<Response> {
    let fields = form(&body);
    let outbound = is_outbound(&fields);
    let ours = if outbound { fields.get("From") } else { fields.get("To") };
    let Some(number) = our_number(&state, &verified, ours).await? else { return Ok(twiml(NOT_IN_SERVICE.into())) };
    if outbound && !number.allow_outbound {
        return Ok(twiml(OUTBOUND_NOT_ALLOWED.into()));
    }
    let agent_id = if outbound { number.outbound_agent_id.as_ref() } else { number.inbound_agent_id.as_ref() };
    let in_service = matches!(number.status, NumberStatus::Active | NumberStatus::PastDue);
    let agent = match agent_id.filter(|_| in_service) {
        Some(id) => crate::agents::store::find(&state.db, &number.workspace_id, id).await?,
        None => None,
    };
    let Some(agent) = agent.filter(|a| a.status == AgentStatus::Live) else {
        return Ok(twiml(NOT_IN_SERVICE.into()));
    };
    let call_id = fields.get("CallSid").map(String::as_str).unwrap_or_default();
    let url = stream_url(&state.config.carrier.media_stream_url, agent.id.as_str(), &number.e164, call_id);
    Ok(twiml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Connect><Stream url=\"{}\"><Parameter name=\"agent_id\" value=\"{}\"/><Parameter name=\"phone_number_id\" value=\"{}\"/></Stream></Connect></Response>",
        xml_escape(&url),
        xml_escape(agent.id.as_str()),
        xml_escape(number.id.as_str()),
    )))
}

/// Call IDs are the carrier's; anything longer is not one.
const MAX_CALL_ID: usize = 128;

async fn status(State(state): State<AppState>, verified: Verified, body: Bytes) -> AppResult<StatusCode> {
    let fields = form(&body);
    if fields.get("CallStatus").map(String::as_str) != Some("completed") {
        return Ok(StatusCode::NO_CONTENT);
    }
    let call_id = fields.get("CallSid").filter(|c| !c.is_empty() && c.len() <= MAX_CALL_ID);
    let seconds = fields.get("CallDuration").and_then(|d| d.trim().parse::<i64>().ok()).filter(|s| *s >= 0);
    let (Some(call_id), Some(seconds)) = (call_id, seconds) else {
        return Err(AppError::bad_request(
            "invalid_callback",
            "A completed call's callback needs CallSid and CallDuration (whole seconds).",
        ));
    };
    let outbound = is_outbound(&fields);
    let ours = if outbound { fields.get("From") } else { fields.get("To") };
    let Some(number) = our_number(&state, &verified, ours).await? else { return Ok(StatusCode::NO_CONTENT) };
    if seconds == 0 {
        return Ok(StatusCode::NO_CONTENT);
    }
    let agent_id = if outbound { number.outbound_agent_id.clone() } else { number.inbound_agent_id.clone() };
    let metadata = serde_json::json!({
        "call_id": call_id,
        "direction": if outbound { "outbound" } else { "inbound" },
        "phone_number_id": number.id.as_str(),
        "carrier": verified.vendor.name(),
    });
    let event = NewEvent {
        usage_type: UsageType::CallMinutes,
        quantity: seconds,
        occurred_at: state.clock.now(),
        agent_id,
        idempotency_key: format!("call:{}:{call_id}", verified.vendor.name()),
        metadata: Some(metadata.to_string()),
    };
    record(&state, &number.workspace_id, &[event]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An inbound SMS as both carriers describe it.
struct Sms {
    carrier_ref: String,
    from: String,
    to: String,
    body: String,
}

/// SMS bodies kept at most this long (a concatenated message of 10 segments).
const MAX_SMS_CHARS: usize = 1_600;

async fn keep_sms(state: &AppState, verified: &Verified, sms: Sms) -> AppResult<()> {
    if sms.carrier_ref.is_empty() || sms.carrier_ref.len() > MAX_CALL_ID {
        return Err(AppError::bad_request("invalid_callback", "An inbound message needs its message ID."));
    }
    let Some(number) = our_number(state, verified, Some(&sms.to)).await? else { return Ok(()) };
    let from = super::model::parse_e164(&sms.from).unwrap_or_else(|| sms.from.chars().take(32).collect());
    let body: String = sms.body.chars().take(MAX_SMS_CHARS).collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let new = store::insert_inbound_message(
        &mut tx,
        &number.workspace_id,
        &InboundMessageId::new(),
        &number,
        verified.vendor.name(),
        &sms.carrier_ref,
        &from,
        &body,
        now,
    )
    .await?;
    // The opt-out/opt-in keywords, once per carrier message ID: a retried
    // callback finds the message kept and records nothing again.
    if new {
        let message = crate::consent::keywords::InboundSms {
            from: &from,
            body: &body,
            carrier: verified.vendor.name(),
            message_ref: &sms.carrier_ref,
        };
        crate::consent::keywords::on_inbound_sms(&mut tx, &number.workspace_id, &message, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn twilio_sms(State(state): State<AppState>, verified: Verified, body: Bytes) -> AppResult<Response> {
    let mut fields = form(&body);
    let mut take = |k: &str| fields.remove(k).unwrap_or_default();
    let sms = Sms { carrier_ref: take("MessageSid"), from: take("From"), to: take("To"), body: take("Body") };
    keep_sms(&state, &verified, sms).await?;
    Ok(twiml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response/>".into()))
}

/// Telnyx's messaging webhook: `data.event_type` `message.received` with
/// the message in `data.payload`; other event types are acknowledged.
async fn telnyx_sms(State(state): State<AppState>, verified: Verified, body: Bytes) -> AppResult<StatusCode> {
    let event: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| AppError::bad_request("invalid_callback", "The body is not a Telnyx event."))?;
    if event["data"]["event_type"].as_str() != Some("message.received") {
        return Ok(StatusCode::NO_CONTENT);
    }
    let payload = &event["data"]["payload"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let sms = Sms {
        carrier_ref: text(&payload["id"]),
        from: text(&payload["from"]["phone_number"]),
        to: text(&payload["to"][0]["phone_number"]),
        body: text(&payload["text"]),
    };
    keep_sms(&state, &verified, sms).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace an inbound SMS went to, for tests and the Audiences issue.
pub async fn messages_of(state: &AppState, ws: &WorkspaceId) -> AppResult<Vec<store::InboundMessage>> {
    Ok(store::inbound_messages(&state.db, ws).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_url_is_filled_in_and_encoded() {
        let url =
            stream_url("wss://rt.example/media/{agent_id}?n={number}&c={call_id}", "agt_1", "+14155550100", "CA 1");
        assert_eq!(url, "wss://rt.example/media/agt_1?n=%2B14155550100&c=CA+1");
        assert_eq!(xml_escape("a&b<\"c\">"), "a&amp;b&lt;&quot;c&quot;&gt;");
    }

    #[test]
    fn direction_picks_the_side_that_is_ours() {
        let fields = form(b"Direction=outbound-api&From=%2B14155550100");
        assert!(is_outbound(&fields));
        assert!(!is_outbound(&form(b"Direction=inbound")));
        assert_eq!(fields.get("From").map(String::as_str), Some("+14155550100"));
    }
}
