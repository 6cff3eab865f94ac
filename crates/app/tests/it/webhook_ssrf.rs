//! No webhook requests to internal addresses (private targets not allowed,
//! the default): internal IP literals are refused when an endpoint is
//! saved, and a host name that resolves to loopback is refused when a
//! delivery is sent — the attempt says why and nothing reaches the target.
use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::webhooks::{delivery, model};
use switchboard_db::execute;

use crate::harness::{TestApp, problem};
use crate::webhook_support::{attempts_of, deliveries};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

#[tokio::test]
async fn endpoints_on_internal_addresses_are_refused_with_a_field_error() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for (url, kind) in [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://[::ffff:127.0.0.1]:8080/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://localhost.:8080/hook", "loopback"),
    ] {
        let res = admin.post_json("/api/v1/webhooks/endpoints", json!({"url": url})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let body = problem(res).await;
        assert_eq!(body["code"], "validation_failed", "{url}: {body}");
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(kind) && message.contains("public addresses"), "{url}: {message}");
    }
    // Changing a saved endpoint's URL is checked the same way.
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/switchboard", json!(["workspace.updated"])).await;
    let res = admin.patch(&format!("/api/v1/webhooks/endpoints/{id}"), json!({"url": "http://169.254.169.254/"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "url");
    let list = admin.get_json("/api/v1/webhooks/endpoints").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "only the public one was saved");
}

/// A host name from /etc/hosts that passes the check when an endpoint is
/// saved (it is not an IP address, nor `localhost`) but resolves to a
/// loopback address: the machine's own name, on most systems.
async fn name_resolving_to_loopback() -> Option<(String, IpAddr)> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    for line in hosts.lines() {
        let mut words = line.split('#').next().unwrap_or("").split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()).filter(IpAddr::is_loopback) else {
            continue;
        };
        for name in words {
            if model::check_url(&format!("http://{name}/"), false).is_err() {
                continue;
            }
            let resolved: Vec<IpAddr> = match tokio::net::lookup_host((name, 0)).await {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(_) => continue,
            };
            if resolved.contains(&ip) && resolved.iter().all(IpAddr::is_loopback) {
                return Some((name.to_string(), ip));
            }
        }
    }
    None
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_when_sending() {
    let Some((name, ip)) = name_resolving_to_loopback().await else {
        eprintln!("SKIPPED: no name in /etc/hosts resolves to loopback and passes the URL check");
        return;
    };
    let app = TestApp::spawn().await;
    assert!(!app.state.config.webhooks.allow_private_targets, "the default");
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (loopback_url, received) = receiver(StatusCode::OK).await;
    let port = loopback_url.rsplit(':').next().and_then(|p| p.split('/').next()).expect("port");
    assert!(ip.is_ipv4(), "the receiver listens on 127.0.0.1; {name} is {ip}");
    let url = format!("http://{name}:{port}/hook");
    let (id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;

    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "Acme Two"})).await.status(), StatusCode::OK);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 1), "a failed attempt, retried later");
    let error = d.last_error.clone().unwrap_or_default();
    assert!(error.contains(&format!("{name} resolves to a loopback address")), "{error}");
    let attempts = attempts_of(&app.state.db, &d.id).await;
    assert_eq!((attempts[0].status_code, attempts[0].error.as_deref()), (None, Some(error.as_str())));
    let detail: Value = admin.get_json(&format!("/api/v1/webhooks/deliveries/{}", d.id)).await;
    assert_eq!(detail["attempts_log"][0]["error"], error.as_str());
    assert!(received.all().is_empty(), "the receiver got nothing");

    // The control: with private targets allowed, the same URL does reach it.
    let open = app_allowing_local_targets().await;
    let other = open.user_with_workspace("Bo", "bo@example.com", "Bo Voice").await;
    add_endpoint(&other, &url, json!(["workspace.updated"])).await;
    assert_eq!(other.patch("/api/v1/workspace", json!({"name": "Bo Two"})).await.status(), StatusCode::OK);
    assert_eq!(delivery::run_due(&open.state).await.expect("run"), 1);
    assert_eq!(received.all().len(), 1);
}

#[tokio::test]
async fn an_internal_ip_stored_earlier_is_refused_when_sending() {
    // E.g. saved while --webhook-allow-private-targets was on, then turned off.
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (loopback_url, received) = receiver(StatusCode::OK).await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/x", json!(["workspace.updated"])).await;
    execute!(&app.state.db, "UPDATE webhook_endpoints SET url = $1 WHERE id = $2", &loopback_url, &id).expect("url");

    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "Acme Two"})).await.status(), StatusCode::OK);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!(d.last_error.as_deref(), Some("refused: the URL points to a loopback address"));
    assert!(received.all().is_empty());
}
