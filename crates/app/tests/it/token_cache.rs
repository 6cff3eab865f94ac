//! Verified tokens are kept for a second (auth::token_cache): a change made
//! in this process shows at the token's next request; one made by another
//! process sharing the PostgreSQL database shows there within two seconds.
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::developer::create_token;
use crate::harness::{TestApp, on_postgres};
use crate::webhook_support::start_server_at;

#[tokio::test]
async fn revocation_and_a_role_change_show_at_the_next_request_of_a_cached_token() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = ada.workspace_id().await;
    let bo = app.user_with_workspace("Bo", "bo@example.com", "Bo's").await;
    app.add_member(&ws, &bo, "admin").await;
    bo.switch_to(&ws).await;
    let (_, bo_secret) = create_token(&bo, "Bo's", "admin", None).await;
    let bo_token = app.token_visitor(&bo_secret);
    // Cached by these calls: an Admin-only read passes.
    for _ in 0..3 {
        assert_eq!(bo_token.get("/api/v1/tokens").await.status(), StatusCode::OK);
    }
    let member = ada.get_json("/api/v1/members").await["data"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["email"] == "bo@example.com").cloned())
        .expect("Bo's membership");
    let path = format!("/api/v1/members/{}", member["id"].as_str().expect("id"));
    let res = ada.api(Method::PATCH, &path, Some(json!({"role": "member"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    // At once: the token acts as a Member now.
    assert_eq!(bo_token.get("/api/v1/tokens").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(bo_token.get("/api/v1/workspace").await.status(), StatusCode::OK);

    let (id, secret) = create_token(&ada, "Ada's", "admin", None).await;
    let token = app.token_visitor(&secret);
    assert_eq!(token.get("/api/v1/workspace").await.status(), StatusCode::OK);
    assert_eq!(ada.delete(&format!("/api/v1/tokens/{id}")).await.status(), StatusCode::OK);
    assert_eq!(token.get("/api/v1/workspace").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_in_one_process_is_refused_by_another_within_two_seconds() {
    if !on_postgres() {
        eprintln!("SKIPPED: two processes share a database on PostgreSQL only");
        return;
    }
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let (id, secret) = create_token(&ada, "Shared", "admin", None).await;
    let logs = tempfile::tempdir().expect("dir");
    let (_other, other_url) = start_server_at(&app, &logs.path().join("other.log"), &[]);
    let client = reqwest::Client::new();
    let other = || client.get(format!("{other_url}/api/v1/workspace")).bearer_auth(&secret).send();
    // The other process verifies (and keeps) the token.
    for _ in 0..3 {
        assert_eq!(other().await.expect("other").status(), StatusCode::OK);
    }
    assert_eq!(ada.delete(&format!("/api/v1/tokens/{id}")).await.status(), StatusCode::OK);
    let revoked = Instant::now();
    loop {
        let status = other().await.expect("other").status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked.elapsed() < Duration::from_secs(2),
            "still accepted {:?} after the revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
