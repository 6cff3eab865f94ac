//! What Prism cannot show about the carrier clients (see
//! `carriers_prism.rs`: Prism answers only with the descriptions' examples
//! and checks that credentials are present, not what they are), against a
//! stand-in that records each request and answers as the vendors document:
//! refused credentials, the carriers' error messages, outages, Twilio's
//! `next_page_uri` and Telnyx's pages, Telnyx's failed orders, and exactly
//! what each request carries.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchboard_providers::carriers::telnyx::Telnyx;
use switchboard_providers::carriers::twilio::{Twilio, TwilioAuth};
use switchboard_providers::carriers::{Callbacks, Carrier, CarrierError, OrderState};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-token-not-for-logs";
const KEY: &str = "KEY_telnyx_not_for_logs";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: String,
    authorization: String,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn incoming(sid: &str, number: &str) -> Value {
    json!({"sid": sid, "phone_number": number, "capabilities": {"voice": true, "sms": true, "mms": false}, "type": "local"})
}

fn twilio_answer(seen: &Seen) -> (StatusCode, Value) {
    let account = format!("/2010-04-01/Accounts/{SID}");
    if seen.authorization != basic(SID, TOKEN) && seen.authorization != basic("SK0123456789abcdef0123456789abcdef", "s")
    {
        return (StatusCode::UNAUTHORIZED, json!({"code": 20003, "message": "Authenticate", "status": 401}));
    }
    let page = seen.query.iter().find(|(k, _)| k == "Page").map(|(_, v)| v.as_str());
    match (seen.method.as_str(), seen.path.strip_prefix(&account).unwrap_or(&seen.path)) {
        ("GET", "/IncomingPhoneNumbers.json") if page.is_none() => (
            StatusCode::OK,
            json!({"incoming_phone_numbers": [incoming("PN01", "+14155550101")],
                   "next_page_uri": format!("{account}/IncomingPhoneNumbers.json?PageSize=1000&Page=1&PageToken=PA1")}),
        ),
        ("GET", "/IncomingPhoneNumbers.json") => (
            StatusCode::OK,
            // A next page elsewhere is never followed.
            json!({"incoming_phone_numbers": [incoming("PN02", "+14155550102")],
                   "next_page_uri": "https://elsewhere.example/2010-04-01/Accounts/AC/IncomingPhoneNumbers.json?Page=2"}),
        ),
        ("POST", "/IncomingPhoneNumbers.json") if seen.body.contains("PhoneNumber=%2B15005550000") => (
            StatusCode::BAD_REQUEST,
            json!({"code": 21422, "message": "+15005550000 is not available.", "status": 400}),
        ),
        ("POST", "/IncomingPhoneNumbers.json") => (StatusCode::CREATED, incoming("PN03", "+14155550103")),
        ("DELETE", "/IncomingPhoneNumbers/PNgone.json") => {
            (StatusCode::NOT_FOUND, json!({"code": 20404, "message": "Not found", "status": 404}))
        }
        ("DELETE", "/IncomingPhoneNumbers/PNdown.json") => (StatusCode::SERVICE_UNAVAILABLE, json!({})),
        _ => (StatusCode::NOT_FOUND, json!({"code": 20404, "message": "Not found", "status": 404})),
    }
}

fn telnyx_number(id: &str, number: &str) -> Value {
    json!({"id": id, "phone_number": number, "phone_number_type": "local", "country_iso_alpha2": "US",
           "messaging_profile_id": "mp_1"})
}

fn telnyx_answer(seen: &Seen) -> (StatusCode, Value) {
    if seen.authorization != format!("Bearer {KEY}") {
        let error = json!({"errors": [{"code": "10009", "title": "Authentication failed",
                                       "detail": "Could not understand the provided credentials."}]});
        return (StatusCode::UNAUTHORIZED, error);
    }
    let query = |k: &str| seen.query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", "/phone_numbers") => match query("page[number]") {
            Some("2") => (
                StatusCode::OK,
                json!({"data": [telnyx_number("2", "+13125550102")], "meta": {"page_number": 2, "total_pages": 2}}),
            ),
            _ => (
                StatusCode::OK,
                json!({"data": [telnyx_number("1", "+13125550101")], "meta": {"page_number": 1, "total_pages": 2}}),
            ),
        },
        ("POST", "/number_orders") if seen.body.contains("+13125550199") => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"errors": [{"code": "10015", "title": "Bad request", "detail": "Number +13125550199 is not available."}]}),
        ),
        ("POST", "/number_orders") => (
            StatusCode::OK,
            json!({"data": {"id": "ord_1", "status": "pending",
                            "phone_numbers": [{"phone_number": "+13125550105", "status": "pending"}]}}),
        ),
        ("GET", "/number_orders/ord_1") => (
            StatusCode::OK,
            json!({"data": {"id": "ord_1", "status": "failure", "phone_numbers": [
                {"phone_number": "+13125550105", "status": "failure", "requirements_met": false}]}}),
        ),
        ("PATCH", "/phone_numbers/1") => (StatusCode::OK, json!({"data": telnyx_number("1", "+13125550101")})),
        ("DELETE", "/phone_numbers/500") => (StatusCode::INTERNAL_SERVER_ERROR, json!({"errors": []})),
        _ => (StatusCode::NOT_FOUND, json!({"errors": [{"code": "10005", "title": "Resource not found"}]})),
    }
}

async fn record(State((log, telnyx)): State<(Log, bool)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        authorization: parts.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string(),
    };
    let (status, body) = if telnyx { telnyx_answer(&seen) } else { twilio_answer(&seen) };
    log.lock().unwrap().push(seen);
    (status, axum::Json(body)).into_response()
}

async fn stand_in(telnyx: bool) -> (String, Log) {
    let log = Log::default();
    let app = Router::new().fallback(record).with_state((log.clone(), telnyx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, log)
}

fn callbacks() -> Callbacks {
    Callbacks {
        voice_url: "https://sb.example/inbound/twilio/voice".into(),
        status_url: "https://sb.example/inbound/twilio/status".into(),
        sms_url: "https://sb.example/inbound/twilio/sms".into(),
    }
}

fn no_secret_in(err: &CarrierError, secret: &str) {
    assert!(!format!("{err:?} {err}").contains(secret), "{err:?}");
}

#[tokio::test]
async fn twilio_sends_basic_auth_and_the_callbacks_follows_only_its_own_next_pages_and_maps_errors() {
    let (base, log) = stand_in(false).await;
    let twilio =
        Twilio::new(&base, TwilioAuth::AuthToken { account_sid: SID.into(), auth_token: TOKEN.into() }).unwrap();

    let bought = twilio.order("+14155550103", "pn_1", &callbacks()).await.unwrap();
    assert!(matches!(bought, OrderState::Active(ref n) if n.carrier_ref == "PN03"), "{bought:?}");
    let sent = log.lock().unwrap()[0].clone();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(sent.body.as_bytes()).into_owned().collect();
    let field = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(field("PhoneNumber"), Some("+14155550103"));
    assert_eq!(field("VoiceUrl"), Some("https://sb.example/inbound/twilio/voice"));
    assert_eq!(field("StatusCallback"), Some("https://sb.example/inbound/twilio/status"));
    assert_eq!(field("SmsUrl"), Some("https://sb.example/inbound/twilio/sms"));
    assert_eq!(
        (field("VoiceMethod"), field("StatusCallbackMethod"), field("SmsMethod")),
        (Some("POST"), Some("POST"), Some("POST"))
    );

    // Two pages under the account; the third page's address is elsewhere: not followed.
    log.lock().unwrap().clear();
    let listed = twilio.list_numbers().await.unwrap();
    assert_eq!(listed.iter().map(|n| n.carrier_ref.as_str()).collect::<Vec<_>>(), ["PN01", "PN02"]);
    assert_eq!(log.lock().unwrap().len(), 2);

    // Twilio's message is shown; a gone number is released; an outage is Unavailable.
    let taken = twilio.order("+15005550000", "pn_2", &callbacks()).await;
    assert_eq!(taken, Err(CarrierError::Rejected("+15005550000 is not available.".into())));
    assert_eq!(twilio.release("PNgone").await, Ok(()));
    let down = twilio.release("PNdown").await.unwrap_err();
    assert!(matches!(down, CarrierError::Unavailable(_)), "{down:?}");
    no_secret_in(&down, TOKEN);

    // An API key authenticates as itself; a wrong token is Unauthorized.
    let keyed = TwilioAuth::ApiKey {
        account_sid: SID.into(),
        key_sid: "SK0123456789abcdef0123456789abcdef".into(),
        key_secret: "s".into(),
    };
    assert!(Twilio::new(&base, keyed).unwrap().list_numbers().await.is_ok());
    let wrong =
        Twilio::new(&base, TwilioAuth::AuthToken { account_sid: SID.into(), auth_token: "wrong".into() }).unwrap();
    assert_eq!(wrong.verify().await, Err(CarrierError::Unauthorized));
}

#[tokio::test]
async fn telnyx_sends_the_bearer_key_and_the_connection_walks_pages_and_maps_failed_orders() {
    let (base, log) = stand_in(true).await;
    let telnyx = Telnyx::new(&base, KEY).unwrap().with_connection_id(Some("conn_1"));

    let ordered = telnyx.order("+13125550105", "pn_01JSTUB", &callbacks()).await;
    assert_eq!(ordered, Ok(OrderState::Pending { order_ref: "ord_1".into() }));
    let body: Value = serde_json::from_str(&log.lock().unwrap()[0].body).unwrap();
    assert_eq!(
        body,
        json!({"phone_numbers": [{"phone_number": "+13125550105"}], "customer_reference": "pn_01JSTUB", "connection_id": "conn_1"})
    );
    let Ok(OrderState::Failed { reason }) = telnyx.order_status("ord_1").await else { panic!("failed order") };
    assert!(reason.contains("+13125550105") && reason.contains("regulatory"), "{reason}");

    // Telnyx's detail is shown.
    let refused = telnyx.order("+13125550199", "pn_2", &callbacks()).await;
    assert_eq!(refused, Err(CarrierError::Rejected("Number +13125550199 is not available.".into())));

    // Both pages, each number once.
    log.lock().unwrap().clear();
    let listed = telnyx.list_numbers().await.unwrap();
    assert_eq!(listed.iter().map(|n| n.e164.as_str()).collect::<Vec<_>>(), ["+13125550101", "+13125550102"]);
    let pages: Vec<_> = log.lock().unwrap().iter().map(|s| s.query.clone()).collect();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].contains(&("page[number]".to_string(), "2".to_string())), "{pages:?}");
    assert!(pages[1].contains(&("page[size]".to_string(), "250".to_string())), "{pages:?}");

    // Pointing sends the connection; detaching sends it empty.
    log.lock().unwrap().clear();
    telnyx.set_callbacks("1", Some(&callbacks())).await.unwrap();
    telnyx.set_callbacks("1", None).await.unwrap();
    let bodies: Vec<Value> = log.lock().unwrap().iter().map(|s| serde_json::from_str(&s.body).unwrap()).collect();
    assert_eq!(bodies, [json!({"connection_id": "conn_1"}), json!({"connection_id": ""})]);

    assert_eq!(telnyx.release("gone").await, Ok(()));
    let down = telnyx.release("500").await.unwrap_err();
    assert!(matches!(down, CarrierError::Unavailable(_)), "{down:?}");
    no_secret_in(&down, KEY);
    let wrong = Telnyx::new(&base, "KEY_wrong").unwrap();
    assert_eq!(wrong.verify().await, Err(CarrierError::Unauthorized));
}
