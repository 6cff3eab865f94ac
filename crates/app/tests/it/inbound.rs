//! The inbound route kind end to end: test-only Stripe, Twilio and Telnyx
//! routes mounted through `inbound::stack` beside the real app. A signed
//! callback reaches its handler with the exact bytes; a bad, missing or
//! stale signature is 401 and logged without the body; no CSRF token or
//! session is needed; the per-IP limit does not apply; the route's own body
//! limit does.
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Request};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::Value;
use switchboard::config::CommonArgs;
use switchboard::feature::Feature;
use switchboard::inbound::{self, Configured, Verified, Verifier, stripe, telnyx, twilio};
use tower::ServiceExt;

use crate::harness::{TestApp, problem};

const STRIPE_SECRET: &str = "whsec_inbound_test";
const TWILIO_TOKEN: &str = "twilio-test-token";
/// Small enough that a test can exceed it cheaply.
const BODY_LIMIT: usize = 4096;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../fixtures/inbound-webhook-signature-vectors.json")).expect("json")
}

/// The vector file's dummy Telnyx key pair.
fn telnyx_key() -> (SigningKey, String) {
    let telnyx = vectors()["vectors"].as_array().expect("vectors").iter().find(|v| v["provider"] == "telnyx").cloned();
    let telnyx = telnyx.expect("telnyx vector");
    let seed = hex::decode(telnyx["test_private_key_seed_hex"].as_str().expect("seed")).expect("hex");
    let key = SigningKey::from_bytes(&seed.try_into().expect("32 bytes"));
    (key, telnyx["test_public_key_base64"].as_str().expect("key").to_string())
}

/// Echoes what the handler was given: the body, and who was verified.
async fn echo(verified: Verified, body: Bytes) -> (HeaderMap, Bytes) {
    let mut out = HeaderMap::new();
    out.insert("x-verified-vendor", HeaderValue::from_static(verified.vendor.name()));
    if let Some(account) = verified.account.and_then(|a| HeaderValue::from_str(&a).ok()) {
        out.insert("x-verified-account", account);
    }
    (out, body)
}

/// The test routes, one per vendor, plus a Stripe route with no secret,
/// mounted as a feature mounts them: the inbound route kind.
const TEST_INBOUND: Feature = Feature {
    routes: |r| {
        r.inbound("POST", "/inbound/test/stripe", post(echo), Verifier::stripe(Configured), BODY_LIMIT);
        r.inbound("POST", "/inbound/test/twilio", post(echo), Verifier::twilio(Configured), BODY_LIMIT);
        r.inbound("POST", "/inbound/test/telnyx", post(echo), Verifier::telnyx(Configured), BODY_LIMIT);
        let unconfigured = inbound::secret_fn(|_, _| None);
        r.inbound("POST", "/inbound/test/unconfigured", post(echo), Verifier::stripe(unconfigured), BODY_LIMIT);
    },
    ..Feature::new("test_inbound")
};

fn configure(args: &mut CommonArgs) {
    args.inbound.stripe_webhook_secret = Some(STRIPE_SECRET.into());
    args.inbound.twilio_auth_token = Some(TWILIO_TOKEN.into());
    args.inbound.telnyx_public_key = Some(telnyx_key().1);
    // Low, so that a few anonymous requests to ordinary routes hit it.
    args.rate_limits.ip = Some("3/m".into());
}

async fn spawn() -> TestApp {
    TestApp::spawn_with_features_and_args(vec![TEST_INBOUND], configure).await
}

/// A body that would break under any re-encoding: odd spacing, Unicode,
/// escapes, no trailing newline.
const STRIPE_BODY: &str =
    "{\"id\":\"evt_1\",  \"object\":\"event\",\"type\":\"invoice.paid\",\"note\":\"caf\u{e9} \\u00e9\\n\"}";

async fn post_stripe(app: &TestApp, body: &str, header: Option<String>) -> reqwest::Response {
    let mut req = app.client().post(app.at("/inbound/test/stripe")).header("content-type", "application/json");
    if let Some(header) = header {
        req = req.header("stripe-signature", header);
    }
    req.body(body.to_string()).send().await.expect("POST")
}

fn stripe_header(app: &TestApp, body: &str) -> String {
    stripe::sign(STRIPE_SECRET, app.clock_now().timestamp(), body.as_bytes())
}

async fn assert_refused(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let problem = problem(res).await;
    assert_eq!(problem["code"], "invalid_signature");
    problem
}

#[tokio::test]
async fn a_signed_stripe_event_reaches_the_handler_with_the_exact_body_and_the_usual_headers() {
    let app = spawn().await;
    let res = post_stripe(&app, STRIPE_BODY, Some(stripe_header(&app, STRIPE_BODY))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-verified-vendor"], "stripe");
    assert!(res.headers().get("x-verified-account").is_none(), "the platform's own secret has no account");
    // The request-ID and security-header layers still wrap inbound routes.
    assert!(res.headers().contains_key("x-request-id"));
    assert!(res.headers().contains_key("content-security-policy"));
    assert_eq!(res.bytes().await.expect("body"), STRIPE_BODY.as_bytes());
}

#[tokio::test]
async fn a_signed_twilio_callback_verifies_against_the_public_url_even_behind_a_proxy() {
    let app = spawn().await;
    let path = "/inbound/test/twilio?foo=1&bar=a%20b";
    let form = "To=%2B18005551212&From=%2B12349013030&CallSid=CA123&AccountSid=AC42&Body=hello+world%21";
    // Twilio signs the URL it was given, which is this server's public URL.
    let signature = twilio::sign(TWILIO_TOKEN, &format!("{}{path}", app.url), Some(form.as_bytes()));
    let res = app
        .client()
        .post(app.at(path))
        .header("content-type", "application/x-www-form-urlencoded")
        // What a load balancer forwards: another Host and forwarding headers.
        .header("host", "10.0.0.5:8080")
        .header("x-forwarded-proto", "http")
        .header("x-twilio-signature", &signature)
        .body(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-verified-vendor"], "twilio");
    assert_eq!(res.bytes().await.expect("body"), form.as_bytes());

    // Signed for another URL (the internal one) is not valid here.
    let internal = twilio::sign(TWILIO_TOKEN, &format!("http://10.0.0.5:8080{path}"), Some(form.as_bytes()));
    let res = app
        .client()
        .post(app.at(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", internal)
        .body(form)
        .send()
        .await
        .expect("POST");
    assert_refused(res).await;
}

fn telnyx_headers(timestamp: i64, body: &str) -> (String, String) {
    let (key, _) = telnyx_key();
    let signature = key.sign(format!("{timestamp}|{body}").as_bytes());
    (STANDARD.encode(signature.to_bytes()), timestamp.to_string())
}

async fn post_telnyx(app: &TestApp, body: &str, signature: Option<&str>, timestamp: Option<&str>) -> reqwest::Response {
    let mut req = app.client().post(app.at("/inbound/test/telnyx")).header("content-type", "application/json");
    if let Some(signature) = signature {
        req = req.header(telnyx::SIGNATURE_HEADER, signature);
    }
    if let Some(timestamp) = timestamp {
        req = req.header(telnyx::TIMESTAMP_HEADER, timestamp);
    }
    req.body(body.to_string()).send().await.expect("POST")
}

const TELNYX_BODY: &str = r#"{"data":{"event_type":"message.received","payload":{"text":"hi  there"}}}"#;

#[tokio::test]
async fn a_signed_telnyx_callback_reaches_the_handler_and_stale_or_tampered_ones_do_not() {
    let app = spawn().await;
    let (signature, timestamp) = telnyx_headers(app.clock_now().timestamp(), TELNYX_BODY);
    let res = post_telnyx(&app, TELNYX_BODY, Some(&signature), Some(&timestamp)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-verified-vendor"], "telnyx");
    assert_eq!(res.bytes().await.expect("body"), TELNYX_BODY.as_bytes());

    let tampered = TELNYX_BODY.replace("hi", "HI");
    assert_refused(post_telnyx(&app, &tampered, Some(&signature), Some(&timestamp)).await).await;
    assert_refused(post_telnyx(&app, TELNYX_BODY, None, Some(&timestamp)).await).await;
    assert_refused(post_telnyx(&app, TELNYX_BODY, Some(&signature), None).await).await;

    // The same genuine request, replayed after the five-minute window.
    app.clock.advance(TimeDelta::seconds(301));
    let problem = assert_refused(post_telnyx(&app, TELNYX_BODY, Some(&signature), Some(&timestamp)).await).await;
    assert!(problem["detail"].as_str().expect("detail").contains("window"), "{problem}");
}

#[tokio::test]
async fn bad_missing_and_stale_stripe_signatures_are_401() {
    let app = spawn().await;
    let good = stripe_header(&app, STRIPE_BODY);

    let tampered = STRIPE_BODY.replace("invoice.paid", "invoice.voided");
    assert_refused(post_stripe(&app, &tampered, Some(good.clone())).await).await;
    let other_secret = stripe::sign("whsec_someone_else", app.clock_now().timestamp(), STRIPE_BODY.as_bytes());
    assert_refused(post_stripe(&app, STRIPE_BODY, Some(other_secret)).await).await;
    assert_refused(post_stripe(&app, STRIPE_BODY, Some("t=1,v1=zz".into())).await).await;
    let problem = assert_refused(post_stripe(&app, STRIPE_BODY, None).await).await;
    assert!(problem["detail"].as_str().expect("detail").contains("no Stripe signature"), "{problem}");

    // Within the window it still passes; one second past it, it does not.
    app.clock.advance(TimeDelta::seconds(300));
    assert_eq!(post_stripe(&app, STRIPE_BODY, Some(good.clone())).await.status(), StatusCode::OK);
    app.clock.advance(TimeDelta::seconds(1));
    assert_refused(post_stripe(&app, STRIPE_BODY, Some(good)).await).await;
}

#[tokio::test]
async fn bad_and_missing_twilio_signatures_are_401() {
    let app = spawn().await;
    let form = "CallSid=CA1&Digits=1234";
    let url = app.at("/inbound/test/twilio");
    let send = |signature: Option<String>, body: &'static str| {
        let mut req = app.client().post(&url).header("content-type", "application/x-www-form-urlencoded");
        if let Some(signature) = signature {
            req = req.header("x-twilio-signature", signature);
        }
        req.body(body).send()
    };
    let good = twilio::sign(TWILIO_TOKEN, &url, Some(form.as_bytes()));
    assert_eq!(send(Some(good.clone()), form).await.expect("POST").status(), StatusCode::OK);
    assert_refused(send(Some(good), "CallSid=CA1&Digits=9999").await.expect("POST")).await;
    assert_refused(send(None, form).await.expect("POST")).await;
    assert_refused(send(Some("%%%".into()), form).await.expect("POST")).await;
}

#[tokio::test]
async fn a_route_without_a_configured_secret_refuses_everything() {
    let app = spawn().await;
    let res = app
        .client()
        .post(app.at("/inbound/test/unconfigured"))
        .header("stripe-signature", stripe_header(&app, STRIPE_BODY))
        .body(STRIPE_BODY)
        .send()
        .await
        .expect("POST");
    assert_refused(res).await;

    // And with nothing configured at all, the Configured source refuses too.
    let bare = TestApp::spawn_with_features(vec![TEST_INBOUND]).await;
    let res = post_stripe(&bare, STRIPE_BODY, Some(stripe_header(&bare, STRIPE_BODY))).await;
    assert_refused(res).await;
}

#[tokio::test]
async fn inbound_routes_need_no_csrf_token_or_session_and_ordinary_posts_still_do() {
    let app = spawn().await;
    // A signed-in browser's cookies and a cross-site fetch: the CSRF layer
    // would refuse this on any other route; inbound routes do not look.
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let res = user
        .client
        .post(app.at("/inbound/test/stripe"))
        .header("sec-fetch-site", "cross-site")
        .header("stripe-signature", stripe_header(&app, STRIPE_BODY))
        .body(STRIPE_BODY)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::OK);

    // The same request to an ordinary route is stopped by CSRF.
    let res = user
        .client
        .post(app.at("/api/v1/workspaces"))
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({ "name": "Forged" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "csrf_failed");
}

#[tokio::test]
async fn inbound_routes_are_not_limited_per_ip() {
    let app = spawn().await;
    // The limit is live for ordinary anonymous requests from this IP…
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.client().get(app.at("/signin")).send().await.expect("GET").status());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "the IP limit of 3/m applies: {statuses:?}");
    // …but a vendor's callbacks from that same IP all pass, past the limit.
    for n in 0..10 {
        let res = post_stripe(&app, STRIPE_BODY, Some(stripe_header(&app, STRIPE_BODY))).await;
        assert_eq!(res.status(), StatusCode::OK, "callback {n}");
        assert!(res.headers().get("ratelimit-remaining").is_none(), "no rate-limit bucket was charged");
    }
}

#[tokio::test]
async fn a_body_over_the_route_limit_is_413_declared_or_streamed() {
    let app = spawn().await;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(BODY_LIMIT));
    let res = post_stripe(&app, &big, Some(stripe_header(&app, &big))).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(res).await["code"], "payload_too_large");
    // Exactly the limit is fine.
    let exact = format!("{{\"pad\":\"{}\"}}", "x".repeat(BODY_LIMIT - 10));
    assert_eq!(exact.len(), BODY_LIMIT);
    assert_eq!(post_stripe(&app, &exact, Some(stripe_header(&app, &exact))).await.status(), StatusCode::OK);

    // Chunked, with no Content-Length to refuse early: the read stops at the limit.
    let router = switchboard::routes::router(app.state.clone());
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..8).map(|_| Ok(Bytes::from(vec![b'x'; 1024]))).collect();
    let req = Request::post("/inbound/test/stripe")
        .header("stripe-signature", stripe_header(&app, STRIPE_BODY))
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .expect("request");
    let res = router.oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A `tracing` writer that keeps what is written, for reading in the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Captured, not asserted by design: the server runs on this test's
/// current-thread runtime, so a thread-local subscriber sees its events.
#[tokio::test]
async fn a_refusal_is_logged_with_vendor_route_and_reason_but_never_the_body_or_signature() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = spawn().await;
    let body = "{\"secret_customer_note\":\"BODY-MARKER-do-not-log\"}";
    let header = stripe::sign("whsec_wrong", app.clock_now().timestamp(), body.as_bytes());
    let signature_hex = header.split_once("v1=").expect("v1").1.to_string();
    assert_refused(post_stripe(&app, body, Some(header)).await).await;
    let res = app
        .client()
        .post(app.at("/inbound/test/unconfigured"))
        .header("stripe-signature", stripe_header(&app, body))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_refused(res).await;

    let log = captured.text();
    let refusal = log.lines().find(|l| l.contains("reason=\"bad_signature\"") || l.contains("reason=bad_signature"));
    let refusal = refusal.unwrap_or_else(|| panic!("a refusal line in:\n{log}"));
    assert!(refusal.contains("WARN") && refusal.contains("inbound callback refused"), "{refusal}");
    assert!(refusal.contains("vendor=stripe") && refusal.contains("route=/inbound/test/stripe"), "{refusal}");
    assert!(log.contains("not_configured") && log.contains("no secret or key is configured"), "{log}");
    assert!(!log.contains("BODY-MARKER"), "the body was logged:\n{log}");
    assert!(!log.contains(&signature_hex), "the signature was logged:\n{log}");
}
