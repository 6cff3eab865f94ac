//! Plan limits where they bite: inviting past the member limit, and the
//! API rate of the workspace's tokens.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, problem};
use crate::subscription::{sub, to_period_end, workspace};

#[tokio::test]
async fn inviting_past_the_member_limit_is_refused_naming_the_plan_and_the_way_up() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    // The trial ends without a plan: Free allows two members.
    to_period_end(&app, &ws).await;
    assert_eq!(sub(&app, &ws).await.plan_key, "free");
    let res = admin.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "the Admin and one invitation make two");
    let res = admin.post_json("/api/v1/invitations", json!({"email": "cy@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let p = problem(res).await;
    assert_eq!(p["code"], "plan_limit");
    assert_eq!(p["detail"], "The Free plan allows 2 members. Upgrade to Basic for 5 in Settings → Subscription.");
    let pending = admin.get_json("/api/v1/invitations").await;
    assert_eq!(pending["data"].as_array().expect("data").len(), 1, "nothing was sent");
    // Re-sending the pending invitation takes no new seat.
    let res = admin.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "viewer"})).await;
    assert!(res.status().is_success(), "{}", res.status());
}

#[tokio::test]
async fn the_api_rate_of_tokens_follows_the_plan() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let (_, token) = create_token(&admin, "CI", "viewer", None).await;
    let client = TokenClient::bearer(&app.url, &token);
    let res = client.get("/api/v1/workspace").await;
    assert_eq!(res.headers()["ratelimit-limit"], "1200", "the trial's plan, Pro");
    to_period_end(&app, &ws).await;
    app.clock.advance(Duration::minutes(1));
    for i in 0..60 {
        let res = client.get("/api/v1/workspace").await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        assert_eq!(res.headers()["ratelimit-limit"], "60", "Free's rate");
    }
    let res = client.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem(res).await["code"], "rate_limited");
}

#[tokio::test]
async fn audit_retention_follows_the_plan() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    let applied = |entries: &[switchboard::audit::AuditEntry]| {
        entries
            .iter()
            .filter(|e| e.action == "audit_log.retention_applied")
            .filter_map(|e| e.changes.0.0.get("retention").map(|c| c.after.clone()))
            .collect::<Vec<_>>()
    };
    // No --audit-retention: the trial's plan (Pro) keeps a year.
    app.clock.advance(Duration::days(13));
    switchboard::audit::retention::apply_configured(&app.state).await.expect("retention");
    let entries = switchboard::audit::list_recent(&app.state.db, &ws, 1000).await.expect("entries");
    assert!(applied(&entries).is_empty(), "nothing is old enough for Pro");
    let oldest = entries.iter().map(|e| e.created_at).min().expect("entries");

    // On Free, entries older than 30 days go.
    to_period_end(&app, &ws).await;
    app.clock.advance(Duration::days(31));
    switchboard::audit::retention::apply_configured(&app.state).await.expect("retention");
    let entries = switchboard::audit::list_recent(&app.state.db, &ws, 1000).await.expect("entries");
    assert_eq!(applied(&entries), vec![json!("30d")]);
    assert!(entries.iter().all(|e| e.created_at > oldest), "the oldest entries were removed");
}
