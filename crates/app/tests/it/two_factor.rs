//! Two-factor sign-in: set-up with codes computed here from the shown
//! secret (RFC 6238 written out below, independent of the server's crate),
//! the second sign-in step (replay, recovery codes, expiry, attempt limit),
//! turning it off, the workspace requirement, audit entries, and the
//! sealed secret across a key rotation.
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha1::Sha1;
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, Visitor, location, problem};

const PASSWORD: &str = "correct horse battery";

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.chars().filter(|c| *c != '=') {
        let value = ALPHABET.find(c.to_ascii_uppercase()).expect("base32 character") as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// RFC 6238 with SHA-1, six digits and 30-second steps.
pub fn totp(secret_base32: &str, unix: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(&base32_decode(secret_base32)).expect("key");
    mac.update(&((unix / 30) as u64).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0xf);
    let bin = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

#[test]
fn the_test_totp_matches_rfc_6238() {
    // "12345678901234567890" in base32; RFC 6238 appendix B, SHA-1.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp(secret, 59), "287082");
    assert_eq!(totp(secret, 1_111_111_109), "081804");
    assert_eq!(totp(secret, 2_000_000_000), "279037");
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    html.match_indices(start)
        .filter_map(|(at, _)| {
            let rest = &html[at + start.len()..];
            rest.find(end).map(|e| &rest[..e])
        })
        .collect()
}

fn code_now(app: &TestApp, secret: &str) -> String {
    totp(secret, app.clock_now().timestamp())
}

/// Sets up two-factor sign-in as the Profile page leads a person through
/// it; returns the secret and the recovery codes.
async fn enable(app: &TestApp, user: &mut Visitor) -> (String, Vec<String>) {
    let page = user.get_text("/profile/two-factor").await;
    let secret = between(&page, "id=\"totp-secret\">", "<").pop().expect("secret shown").to_string();
    let uri =
        between(&page, "id=\"totp-uri\">", "<").pop().expect("uri shown").replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(uri.starts_with("otpauth://totp/Switchboard:") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(page.contains("class=\"qr\" src=\"data:image&#x2f;svg+xml;base64,"), "QR code shown");
    // Showing the page again keeps the same pending secret.
    let again = user.get_text("/profile/two-factor").await;
    assert!(again.contains(&secret));
    user.load_csrf("/profile/two-factor").await;
    let wrong = if code_now(app, &secret) == "000000" { "111111" } else { "000000" };
    let res = user.post_form("/profile/two-factor", &[("code", wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!user.get_json("/api/v1/me/two-factor").await["enabled"].as_bool().expect("enabled"));
    let res = user.post_form("/profile/two-factor", &[("code", &code_now(app, &secret))]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    let codes: Vec<String> =
        between(&html, "class=\"secret recovery-code\">", "<").into_iter().map(str::to_string).collect();
    assert_eq!(codes.len(), 10, "{html}");
    (secret, codes)
}

async fn sign_out(user: &mut Visitor) {
    user.load_csrf("/profile").await;
    let res = user.post_form("/signout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(user.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// Email and password: the answer (a redirect to the second step when
/// two-factor sign-in is on).
async fn password_step(user: &mut Visitor, email: &str) -> reqwest::Response {
    user.load_csrf("/signin").await;
    user.post_form("/signin", &[("email", email), ("password", PASSWORD)]).await
}

async fn code_step(user: &mut Visitor, code: &str) -> reqwest::Response {
    let res = user.post_form("/signin/two-factor", &[("code", code)]).await;
    if res.status() == StatusCode::SEE_OTHER && user.get("/api/v1/me").await.status() == StatusCode::OK {
        user.refresh_session_csrf().await;
    }
    res
}

#[tokio::test]
async fn set_up_then_sign_in_with_a_code_from_the_secret() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let (secret, _) = enable(&app, &mut ada).await;
    let status = ada.get_json("/api/v1/me/two-factor").await;
    assert_eq!(status, json!({"enabled": true, "recovery_codes_left": 10}));
    assert!(app.audit_actions(&ws).await.contains(&"member.two_factor_enabled".to_string()));

    // At rest: sealed, not the secret.
    let stored: String =
        fetch_scalar!(&app.state.db, String, "SELECT secret_sealed FROM two_factor_secrets").expect("stored");
    assert!(stored.starts_with("v2.") && !stored.contains(&secret), "{stored}");
    let hashes: i64 =
        fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM two_factor_recovery_codes").expect("codes");
    assert_eq!(hashes, 10);

    sign_out(&mut ada).await;
    app.clock.advance(chrono::Duration::seconds(30));
    let res = password_step(&mut ada, "ada@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin/two-factor");
    assert_eq!(ada.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED, "no session after the password alone");
    let page = ada.get_text("/signin/two-factor").await;
    assert!(page.contains("Authentication code"));
    let res = code_step(&mut ada, &code_now(&app, &secret)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    assert_eq!(ada.get_json("/api/v1/me").await["email"], "ada@example.com");
}

#[tokio::test]
async fn a_code_is_accepted_once_and_recovery_codes_once() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (secret, codes) = enable(&app, &mut ada).await;
    // The code that confirmed set-up cannot sign in within its window.
    let used = code_now(&app, &secret);
    sign_out(&mut ada).await;
    password_step(&mut ada, "ada@example.com").await;
    let res = code_step(&mut ada, &used).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("already used"));

    // A recovery code works, once.
    let res = code_step(&mut ada, &codes[3].to_uppercase()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ada.get_json("/api/v1/me/two-factor").await["recovery_codes_left"], 9);
    sign_out(&mut ada).await;
    password_step(&mut ada, "ada@example.com").await;
    let res = code_step(&mut ada, &codes[3]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The next step's code works; then it too is spent.
    app.clock.advance(chrono::Duration::seconds(30));
    let fresh = code_now(&app, &secret);
    let res = code_step(&mut ada, &fresh).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    sign_out(&mut ada).await;
    password_step(&mut ada, "ada@example.com").await;
    let res = code_step(&mut ada, &fresh).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_pending_step_expires_and_allows_five_codes() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (secret, _) = enable(&app, &mut ada).await;
    sign_out(&mut ada).await;

    // Five wrong codes: the step is gone, even for the right code.
    app.clock.advance(chrono::Duration::seconds(30));
    password_step(&mut ada, "ada@example.com").await;
    let right = code_now(&app, &secret);
    let wrong = if right == "123456" { "654321" } else { "123456" };
    for n in 1..=4 {
        let res = code_step(&mut ada, wrong).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {n}");
    }
    let res = code_step(&mut ada, wrong).await;
    assert_eq!(location(&res), "/signin");
    let res = code_step(&mut ada, &right).await;
    assert_eq!(location(&res), "/signin");
    assert_eq!(ada.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    // The wrong codes count against the account like wrong passwords: a new
    // password step cannot buy five more guesses at once.
    let res = password_step(&mut ada, "ada@example.com").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(chrono::Duration::minutes(16));

    // Five minutes later the step has expired.
    password_step(&mut ada, "ada@example.com").await;
    app.clock.advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    let res = code_step(&mut ada, &code_now(&app, &secret)).await;
    assert_eq!(location(&res), "/signin");
    assert_eq!(ada.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let res = ada.get("/signin/two-factor").await;
    assert_eq!(location(&res), "/signin");

    // Without the cookie there is no step at all.
    let mut stranger = app.visitor();
    stranger.load_csrf("/signin").await;
    let res = stranger.post_form("/signin/two-factor", &[("code", "123456")]).await;
    assert_eq!(location(&res), "/signin");
}

#[tokio::test]
async fn turning_it_off_takes_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let (secret, _) = enable(&app, &mut ada).await;
    app.clock.advance(chrono::Duration::seconds(30));
    ada.load_csrf("/profile/two-factor").await;
    let res = ada
        .post_form(
            "/profile/two-factor/disable",
            &[("password", "wrong password!"), ("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("That password is not right."));
    let res = ada.post_form("/profile/two-factor/disable", &[("password", PASSWORD), ("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ada.get_json("/api/v1/me/two-factor").await["enabled"].as_bool().expect("enabled"));

    let res = ada
        .post_form("/profile/two-factor/disable", &[("password", PASSWORD), ("code", &code_now(&app, &secret))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!ada.get_json("/api/v1/me/two-factor").await["enabled"].as_bool().expect("enabled"));
    assert!(app.audit_actions(&ws).await.contains(&"member.two_factor_disabled".to_string()));
    // Signing in needs the password only again.
    sign_out(&mut ada).await;
    let res = ada.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn a_workspace_can_require_it_of_every_member_but_not_of_tokens() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let mut bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    app.add_member(&ws, &bob, "member").await;
    bob.switch_to(&ws).await;

    // An Admin without a second factor cannot require one.
    let res = ada.api(Method::PUT, "/api/v1/workspace/two-factor", Some(json!({"required": true}))).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "two_factor_not_enabled");
    let token = ada.post_json("/api/v1/tokens", json!({"name": "CI", "role": "member"})).await;
    assert_eq!(token.status(), StatusCode::CREATED);
    let token = token.json::<serde_json::Value>().await.expect("json")["token"].as_str().expect("token").to_string();

    enable(&app, &mut ada).await;
    let res = ada.api(Method::PUT, "/api/v1/workspace/two-factor", Some(json!({"required": true}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ada.get_json("/api/v1/workspace/two-factor").await, json!({"required": true}));
    assert!(app.audit_actions(&ws).await.contains(&"workspace.two_factor_required".to_string()));
    assert_eq!(ada.get("/settings/general").await.status(), StatusCode::OK, "Ada has a second factor");

    // Bob, without one: pages send him to set-up, the API says why.
    let res = bob.get("/").await;
    assert_eq!(location(&res), "/profile/two-factor?required=1");
    let res = bob.get("/workspace/leave").await;
    assert_eq!(location(&res), "/profile/two-factor?required=1");
    let res = bob.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "two_factor_required");
    let page = bob.get_text("/profile/two-factor?required=1").await;
    assert!(page.contains("requires two-factor sign-in"));
    // His other workspace does not require it.
    let mine = bob.get_json("/api/v1/workspaces").await;
    let bob_co = mine["data"].as_array().expect("list").iter().find(|w| w["name"] == "Bob Co").expect("Bob Co")["id"]
        .as_str()
        .expect("id")
        .to_string();
    bob.switch_to(&bob_co).await;
    assert_eq!(bob.get("/api/v1/workspace").await.status(), StatusCode::OK);

    // At his next sign-in into the workspace he is led to set it up.
    bob.switch_to(&ws).await;
    sign_out(&mut bob).await;
    let res = bob.sign_in("bob@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // He lands in Acme Voice (first by name), which requires it.
    assert_eq!(location(&res), "/profile/two-factor?required=1");
    enable(&app, &mut bob).await;
    bob.switch_to(&ws).await;
    assert_eq!(bob.get("/api/v1/workspace").await.status(), StatusCode::OK);

    // API tokens are not stopped by the requirement.
    let caller = app.token_visitor(&token);
    assert_eq!(caller.get("/api/v1/workspace").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_key_rotation_reseals_the_secret_and_codes_still_work() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (secret, _) = enable(&app, &mut ada).await;
    let (_, new_key) = switchboard::key_rotation::rotate(&app.state.config).await.expect("rotate");
    assert!(app.run_jobs().await >= 1);
    let stored: String =
        fetch_scalar!(&app.state.db, String, "SELECT secret_sealed FROM two_factor_secrets").expect("stored");
    assert!(stored.starts_with(&format!("v2.{new_key}.")), "{stored}");
    sign_out(&mut ada).await;
    app.clock.advance(chrono::Duration::seconds(30));
    password_step(&mut ada, "ada@example.com").await;
    let res = code_step(&mut ada, &code_now(&app, &secret)).await;
    assert_eq!(location(&res), "/");
}
