//! Webhooks end to end, in process: an endpoint on a local receiver gets
//! the events of real changes, signed, and the log shows each delivery.
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::webhooks::delivery;

use crate::harness::{TestApp, Visitor};

/// What a receiver saw: headers and body of each request.
#[derive(Clone, Default)]
pub struct Received(pub Arc<Mutex<Vec<(HeaderMap, String)>>>);

impl Received {
    pub fn all(&self) -> Vec<(HeaderMap, String)> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A receiver on a free loopback port answering `status`; returns its URL.
pub async fn receiver(status: StatusCode) -> (String, Received) {
    let received = Received::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            async move {
                if let Ok(mut v) = log.0.lock() {
                    v.push((headers, body));
                }
                (status, "thanks")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

pub async fn app_allowing_local_targets() -> TestApp {
    TestApp::spawn_with_args(|a| a.webhooks.allow_private_targets = Some(true)).await
}

pub async fn add_endpoint(admin: &Visitor, url: &str, types: Value) -> (String, String) {
    let res = admin.post_json("/api/v1/webhooks/endpoints", json!({"url": url, "event_types": types})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    (body["id"].as_str().expect("id").into(), body["secret"].as_str().expect("secret").into())
}

#[tokio::test]
async fn a_change_reaches_the_endpoint_signed_and_the_log_shows_it() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    let (id, secret) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    assert!(secret.starts_with("whsec_"));
    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "Acme Two"})).await.status(), StatusCode::OK);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);

    let got = received.all();
    assert_eq!(got.len(), 1, "only the subscribed type");
    let (headers, body) = &got[0];
    let payload: Value = serde_json::from_str(body).expect("json body");
    assert_eq!(payload["type"], "workspace.updated");
    assert_eq!(payload["data"]["changes"]["name"], json!({"before": "Acme Voice", "after": "Acme Two"}));
    let msg_id = headers["webhook-id"].to_str().expect("id");
    let ts: i64 = headers["webhook-timestamp"].to_str().expect("ts").parse().expect("number");
    assert_eq!(ts, app.clock_now().timestamp());
    let expected = switchboard::webhooks::secret::sign(&secret, msg_id, ts, body.as_bytes()).expect("sign");
    assert_eq!(headers["webhook-signature"].to_str().expect("sig"), expected);

    let log = admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}/deliveries")).await;
    let d = &log["data"][0];
    assert_eq!(
        (d["status"].clone(), d["last_status_code"].clone(), d["attempts"].clone()),
        (json!("succeeded"), json!(200), json!(1))
    );
    let detail = admin.get_json(&format!("/api/v1/webhooks/deliveries/{}", d["id"].as_str().expect("id"))).await;
    assert_eq!(detail["payload"].as_str(), Some(body.as_str()));
    assert_eq!(detail["attempts_log"][0]["response_body"], "thanks");
    // Nothing is due any more.
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 0);
}
