//! The SSRF guard cannot be walked around: IPv6 addresses that embed a
//! loopback or private IPv4 address (IPv4-compatible, IPv4-mapped and
//! -translated, 6to4, NAT64, Teredo) are refused when an endpoint is saved
//! and when a delivery is sent, and proxies from the environment
//! (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`), which would resolve the
//! name themselves and so skip the resolved-address check, are ignored.
use std::net::TcpListener;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;
use switchboard::webhooks::delivery;
use switchboard_db::execute;

use crate::harness::{TestApp, problem};
use crate::webhook_support::deliveries;
use crate::webhooks::add_endpoint;

/// Each embeds 127.0.0.1, 10.0.0.1, 192.168.0.1 or 169.254.169.254.
const EMBEDDED: &[&str] = &[
    "http://[::127.0.0.1]/hook",
    "http://[::ffff:0:127.0.0.1]/hook",
    "http://[::ffff:0:a00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[2002:c0a8:1::1]:8080/hook",
    "http://[64:ff9b::10.0.0.1]/hook",
    "http://[64:ff9b:1::a9fe:a9fe]/hook",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
];

#[tokio::test]
async fn ipv6_forms_of_internal_ipv4_addresses_are_refused_when_saved() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for url in EMBEDDED {
        let res = admin.post_json("/api/v1/webhooks/endpoints", json!({"url": url})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let body = problem(res).await;
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains("public addresses"), "{url}: {message}");
    }
    // A public IPv6 address and a NAT64 form of a public IPv4 one pass.
    for url in ["http://[2606:4700:4700::1111]/hook", "http://[64:ff9b::5db8:d822]/hook"] {
        let res = admin.post_json("/api/v1/webhooks/endpoints", json!({"url": url})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{url}");
    }
}

#[tokio::test]
async fn ipv6_forms_of_internal_ipv4_addresses_stored_earlier_are_refused_when_sending() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/x", json!(["workspace.updated"])).await;
    for (n, url) in EMBEDDED.iter().enumerate() {
        // E.g. saved by an older version, or while private targets were allowed.
        execute!(&app.state.db, "UPDATE webhook_endpoints SET url = $1 WHERE id = $2", *url, &id).expect("url");
        let name = format!("Acme {n}");
        assert_eq!(admin.patch("/api/v1/workspace", json!({"name": name})).await.status(), StatusCode::OK);
        assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1, "{url}");
        let all = deliveries(&app.state.db, &id).await;
        let d = all.iter().find(|d| d.attempts == 1 && d.status == "pending").expect("a failed attempt");
        let error = d.last_error.clone().unwrap_or_default();
        assert!(error.starts_with("refused: the URL points to a"), "{url}: {error}");
        execute!(&app.state.db, "UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1", &d.id).expect("done");
    }
}

const CHILD_ENV: &str = "SWITCHBOARD_TEST_PROXY_CHILD";
const CHILD_TEST: &str = "webhook_ssrf_more::child_sends_a_delivery_with_proxy_variables_set";

/// Runs [`child_sends_a_delivery_with_proxy_variables_set`] in a process of
/// its own whose environment names a proxy (a test cannot change its own
/// environment safely): a listener that must receive nothing.
#[tokio::test]
async fn proxies_from_the_environment_are_ignored() {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("bind");
    proxy.set_nonblocking(true).expect("nonblocking");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("addr"));
    let mut child = Command::new(std::env::current_exe().expect("test binary"));
    child.args([CHILD_TEST, "--exact", "--ignored", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, "1");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        child.env(var, &proxy_url);
    }
    // The test's own clients talk to the app on 127.0.0.1 directly.
    child.env("NO_PROXY", "127.0.0.1").env("no_proxy", "127.0.0.1");
    let out = tokio::task::spawn_blocking(move || child.output()).await.expect("join").expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.contains("1 passed"), "child failed:\n{stdout}\n{stderr}");
    match proxy.accept() {
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the proxy was contacted: {other:?}\n{stdout}"),
    }
}

#[tokio::test]
#[ignore = "run by proxies_from_the_environment_are_ignored, with the proxy variables set"]
async fn child_sends_a_delivery_with_proxy_variables_set() {
    assert_eq!(std::env::var(CHILD_ENV).as_deref(), Ok("1"), "run through proxies_from_the_environment_are_ignored");
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    // A name that passes the check when saved; through a proxy it would be
    // the proxy's to resolve, and any internal address would do.
    for url in ["http://hooks.switchboard-test.invalid/hook", "https://hooks.switchboard-test.invalid/hook"] {
        let (id, _) = add_endpoint(&admin, url, json!(["workspace.updated"])).await;
        assert_eq!(
            admin.patch("/api/v1/workspace", json!({"name": format!("Acme {url}")})).await.status(),
            StatusCode::OK
        );
        assert!(delivery::run_due(&app.state).await.expect("run") >= 1);
        let d = deliveries(&app.state.db, &id).await.remove(0);
        assert_eq!((d.status.as_str(), d.attempts), ("pending", 1), "{url}: a failed attempt");
        assert!(d.last_error.is_some(), "{url}");
        execute!(&app.state.db, "DELETE FROM webhook_endpoints WHERE id = $1", &id).expect("delete");
    }
}
