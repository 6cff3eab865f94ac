//! Names shown to others refuse bidi-override, zero-width and control
//! characters; email addresses are checked properly before anything is
//! stored or queued. Each refusal names its field and changes nothing.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, Visitor, problem};

/// A 422 naming `field`, whose message names the character.
async fn refused(res: reqwest::Response, field: &str, code_point: &str) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    assert_eq!(body["errors"][0]["field"], field, "{body}");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains(code_point) && message.contains("invisible or text-direction"), "{message}");
}

async fn list_len(admin: &Visitor, path: &str) -> usize {
    admin.get_json(path).await["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn names_with_bidi_or_zero_width_characters_are_refused_by_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;

    refused(admin.patch("/api/v1/me", json!({"name": "Ada\u{202E}nimdA"})).await, "name", "U+202E").await;
    assert_eq!(admin.get_json("/api/v1/me").await["name"], "Ada");

    refused(admin.patch("/api/v1/workspace", json!({"name": "Acme\u{200B}Voice"})).await, "name", "U+200B").await;
    refused(admin.patch("/api/v1/workspace", json!({"name": "\u{2066}Acme Voice"})).await, "name", "U+2066").await;
    assert_eq!(admin.workspace().await["name"], "Acme Voice");

    let before = list_len(&admin, "/api/v1/workspaces").await;
    refused(admin.post_json("/api/v1/workspaces", json!({"name": "Evil\u{FEFF}Corp"})).await, "name", "U+FEFF").await;
    assert_eq!(list_len(&admin, "/api/v1/workspaces").await, before);

    let token = json!({"name": "CI\u{200D}deploys", "role": "member"});
    refused(admin.post_json("/api/v1/tokens", token).await, "name", "U+200D").await;
    assert_eq!(list_len(&admin, "/api/v1/tokens").await, 0);

    let endpoint = json!({"url": "https://hooks.example.com/x", "description": "CRM\u{202D} sync"});
    refused(admin.post_json("/api/v1/webhooks/endpoints", endpoint).await, "description", "U+202D").await;
    assert_eq!(list_len(&admin, "/api/v1/webhooks/endpoints").await, 0);

    // A name in any script, emoji included, is fine.
    let res = admin.patch("/api/v1/me", json!({"name": "Ada 日本 🎧"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    // The sign-up form shows the message by the field and makes no account.
    let mut eve = app.visitor();
    let res = eve.sign_up("Eve\u{202E}nimdA", "eve@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Name contains an invisible or text-direction character (U+202E)"), "{html}");
    let users = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM users").expect("count");
    assert_eq!(users, 1);
}

/// Each was accepted before and would have been queued.
const BAD_ADDRESSES: &[&str] = &[
    "bob@evil.example@example.com",
    "bob,eve@example.com",
    "bob;eve@example.com",
    "<bob@example.com>",
    "\"bob eve\"@example.com",
    "bob(x)@example.com",
    "bob..smith@example.com",
    ".bob@example.com",
    "bob@exa_mple.com",
    "bob@-example.com",
    "bob@example.com.",
    "bob@127.0.0.1",
    "bób@example.com",
    "bob\u{202E}@example.com",
    "bob@exam\u{200B}ple.com",
];

#[tokio::test]
async fn bad_email_addresses_are_refused_before_anything_is_queued() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for bad in BAD_ADDRESSES {
        let res = admin.post_json("/api/v1/invitations", json!({"email": bad, "role": "member"})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let body: Value = problem(res).await;
        assert_eq!(body["errors"][0]["field"], "email", "{bad:?}: {body}");
    }
    assert_eq!(list_len(&admin, "/api/v1/invitations").await, 0);
    let jobs = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM jobs").expect("count");
    assert_eq!(jobs, 0, "no email was queued");
    assert_eq!(app.run_jobs().await, 0);
    assert!(app.outbox().is_empty());

    for bad in BAD_ADDRESSES {
        let res = app.visitor().sign_up("Bob", bad, "correct horse battery").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    let users = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM users").expect("count");
    assert_eq!(users, 1, "only Ada");

    // Ordinary addresses, unusual ones included, still work.
    for good in ["o'brien+switchboard@mail.example.co.uk", "bob@bücher.example"] {
        let res = admin.post_json("/api/v1/invitations", json!({"email": good, "role": "member"})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{good:?}");
    }
    assert_eq!(app.run_jobs().await, 2);
    let sent = app.outbox();
    assert_eq!(sent.len(), 2, "both delivered to the outbox");
    assert!(sent.iter().any(|m| m.contains("bob@xn--bcher-kva.example") || m.contains("bob@bücher.example")));
}
