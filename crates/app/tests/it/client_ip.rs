//! `--trusted-proxies`: the client address that audit entries (and rate
//! limits and sign-in throttling, which read the same `ClientMeta`) record.
//! The test server's peer is always 127.0.0.1.
use reqwest::StatusCode;
use serde_json::json;
use switchboard::audit;

use crate::harness::{TestApp, Visitor};

/// Renames the workspace with a forged `X-Forwarded-For` and returns the IP
/// of the audit entry it wrote.
async fn audited_ip(app: &TestApp, admin: &Visitor) -> Option<String> {
    let ws: switchboard_core::WorkspaceId = admin.workspace().await["id"].as_str().expect("id").parse().expect("id");
    let csrf = admin.csrf.clone().expect("csrf");
    let res = admin
        .client
        .patch(admin.at("/api/v1/workspace"))
        .header("x-csrf-token", csrf)
        .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
        .json(&json!({"name": "Acme Renamed"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), StatusCode::OK);
    let entries = audit::list_recent(&app.state.db, &ws, 1).await.expect("entries");
    assert_eq!(entries[0].action, "workspace.updated");
    entries[0].ip.clone()
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    assert_eq!(audited_ip(&app, &admin).await.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let app = TestApp::spawn_with_args(|args| args.trusted_proxies = Some("127.0.0.0/8".into())).await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    // The rightmost hop the proxy appended, not the one the client forged.
    assert_eq!(audited_ip(&app, &admin).await.as_deref(), Some("203.0.113.9"));
}
