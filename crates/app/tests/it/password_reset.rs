//! Password reset by email: one answer for every address, rate limits, a
//! hashed single-use link that expires after an hour, every session ended,
//! and the sign-in lock cleared.
use chrono::Duration;
use reqwest::StatusCode;
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, Visitor, flash_text, location};

const OLD: &str = "correct horse battery";
const NEW: &str = "a brand new passphrase";

/// Every `/password/reset/<token>` path in the outbox, oldest first.
pub fn reset_links(app: &TestApp) -> Vec<String> {
    let mut links = Vec::new();
    for raw in app.outbox() {
        // Undo quoted-printable soft line breaks before searching.
        let text = raw.replace("=\r\n", "").replace("=\n", "");
        if let Some(at) = text.find("/password/reset/") {
            let token: String =
                text[at + 16..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            links.push(format!("/password/reset/{token}"));
        }
    }
    links
}

async fn ask_for_reset(visitor: &mut Visitor, email: &str) -> reqwest::Response {
    visitor.load_csrf("/password/forgot").await;
    visitor.post_form("/password/forgot", &[("email", email)]).await
}

async fn signed_in(visitor: &Visitor) -> bool {
    visitor.get("/api/v1/me").await.status() == StatusCode::OK
}

#[tokio::test]
async fn a_reset_link_sets_the_password_ends_every_session_and_works_once() {
    let app = TestApp::spawn().await;
    let first = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let mut second = app.visitor();
    assert_eq!(second.sign_in("ada@example.com", OLD).await.status(), StatusCode::SEE_OTHER);
    assert!(signed_in(&first).await && signed_in(&second).await);

    let mut stranger = app.visitor();
    let res = ask_for_reset(&mut stranger, "ADA@example.com").await;
    assert_eq!(res.status(), StatusCode::OK);
    app.run_jobs().await;
    let links = reset_links(&app);
    assert_eq!(links.len(), 1, "one email with a link");
    let token = links[0].trim_start_matches("/password/reset/").to_string();
    assert!(token.len() >= 40, "a long random token: {token}");

    // Only the token's SHA-256 is stored.
    let stored = fetch_scalar!(&app.state.db, String, "SELECT token_hash FROM password_reset_tokens").expect("row");
    assert_eq!(stored, switchboard::secrets::sha256_hex(&token));
    assert_ne!(stored, token);

    let res = stranger.get(&links[0]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("referrer-policy").and_then(|v| v.to_str().ok()), Some("no-referrer"));
    assert!(res.text().await.expect("html").contains("New password"));

    // A password that breaks the rules is refused by the field; the link stays usable.
    let res = stranger.post_form(&links[0], &[("password", "short")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Password must be at least 10 characters."));

    let res = stranger.post_form(&links[0], &[("password", NEW)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin");
    assert!(flash_text(&res).is_some_and(|t| t.contains("Sign in with the new password")));

    // Every session of the account ended.
    assert!(!signed_in(&first).await, "the first session ended");
    assert!(!signed_in(&second).await, "the second session ended");
    let sessions = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM sessions").expect("count");
    assert_eq!(sessions, 0);

    // Single use.
    let res = stranger.post_form(&links[0], &[("password", "yet another passphrase")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.expect("html").contains("invalid or has expired"));
    assert_eq!(stranger.get(&links[0]).await.status(), StatusCode::NOT_FOUND);

    let mut ada = app.visitor();
    assert_eq!(ada.sign_in("ada@example.com", OLD).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ada.sign_in("ada@example.com", NEW).await.status(), StatusCode::SEE_OTHER);
    assert!(signed_in(&ada).await);
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let app = TestApp::spawn().await;
    app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let mut visitor = app.visitor();
    ask_for_reset(&mut visitor, "ada@example.com").await;
    app.run_jobs().await;
    let link = reset_links(&app).pop().expect("a link");

    app.clock.advance(Duration::minutes(59));
    assert_eq!(visitor.get(&link).await.status(), StatusCode::OK, "still valid at 59 minutes");
    app.clock.advance(Duration::minutes(2));
    assert_eq!(visitor.get(&link).await.status(), StatusCode::NOT_FOUND);
    let res = visitor.post_form(&link, &[("password", NEW)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let mut ada = app.visitor();
    assert_eq!(ada.sign_in("ada@example.com", NEW).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ada.sign_in("ada@example.com", OLD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn asking_for_a_reset_answers_the_same_for_an_unknown_address() {
    let app = TestApp::spawn().await;
    app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let mut visitor = app.visitor();
    let known = ask_for_reset(&mut visitor, "ada@example.com").await;
    let known_status = known.status();
    let known_body = known.text().await.expect("html");
    let unknown = ask_for_reset(&mut visitor, "nobody@example.com").await;
    assert_eq!(unknown.status(), known_status);
    assert_eq!(unknown.text().await.expect("html"), known_body, "the very same page");
    assert!(known_body.contains("If an account uses that address"));

    let before = app.outbox().len();
    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len() - before, 1, "only the account's owner gets an email");
    assert!(mails.iter().any(|m| m.contains("ada@example.com") && m.contains("Reset your Switchboard password")));
    assert!(!mails.iter().any(|m| m.contains("nobody@example.com")));
    let tokens = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM password_reset_tokens").expect("count");
    assert_eq!(tokens, 1);

    // A malformed address is a field error, not a request.
    let res = visitor.post_form("/password/forgot", &[("email", "not-an-email")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Enter an email address like name@example.com."));
}

#[tokio::test]
async fn reset_requests_are_limited_per_address_and_per_ip() {
    let app = TestApp::spawn().await;
    app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let mut visitor = app.visitor();
    for _ in 0..3 {
        assert_eq!(ask_for_reset(&mut visitor, "ada@example.com").await.status(), StatusCode::OK);
    }
    let res = ask_for_reset(&mut visitor, "Ada@example.com").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    assert!(res.text().await.expect("html").contains("Too many reset requests"));
    // The same for an address without an account: the limit tells nothing.
    for _ in 0..3 {
        assert_eq!(ask_for_reset(&mut visitor, "nobody@example.com").await.status(), StatusCode::OK);
    }
    assert_eq!(ask_for_reset(&mut visitor, "nobody@example.com").await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.run_jobs().await;
    assert_eq!(reset_links(&app).len(), 3, "refused requests send nothing");

    // Per IP, over many addresses: 20 an hour (6 counted above, all from this IP).
    for i in 0..14 {
        let res = ask_for_reset(&mut visitor, &format!("someone{i}@example.com")).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    assert_eq!(ask_for_reset(&mut visitor, "another@example.com").await.status(), StatusCode::TOO_MANY_REQUESTS);

    app.clock.advance(Duration::hours(1));
    assert_eq!(ask_for_reset(&mut visitor, "ada@example.com").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn using_a_reset_link_lifts_a_sign_in_lock() {
    let app = TestApp::spawn().await;
    app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let mut attacker = app.visitor();
    for _ in 0..5 {
        attacker.sign_in("ada@example.com", "wrong password!").await;
    }
    let mut ada = app.visitor();
    assert_eq!(ada.sign_in("ada@example.com", OLD).await.status(), StatusCode::TOO_MANY_REQUESTS);

    ask_for_reset(&mut ada, "ada@example.com").await;
    app.run_jobs().await;
    let link = reset_links(&app).pop().expect("a link");
    assert_eq!(ada.post_form(&link, &[("password", NEW)]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(ada.sign_in("ada@example.com", NEW).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_sign_in_page_links_to_the_reset_form() {
    let app = TestApp::spawn().await;
    let html = app.visitor().get_text("/signin").await;
    assert!(html.contains("href=\"/password/forgot\""));
    assert!(app.visitor().get_text("/password/forgot").await.contains("Send reset link"));
}
