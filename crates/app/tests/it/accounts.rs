//! Sign-up, sign-in, throttling, sessions and CSRF.
use reqwest::StatusCode;
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, csrf_from_html, location};

#[tokio::test]
async fn first_visit_leads_to_sign_up_then_to_creating_a_workspace() {
    let app = TestApp::spawn().await;
    let mut visitor = app.visitor();
    let res = visitor.get("/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signup");

    let res = visitor.sign_up("Ada Lovelace", "ada@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/workspaces/new");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sb_session="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http public URL: no Secure flag");

    // With no workspace yet, home sends the user to create one.
    let res = visitor.get("/").await;
    assert_eq!(location(&res), "/workspaces/new");
    visitor.load_csrf("/workspaces/new").await;
    let res = visitor.post_form("/workspaces", &[("name", "Acme Voice")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let home = visitor.get_text("/").await;
    assert!(home.contains("Acme Voice"));
    assert_eq!(visitor.workspace().await["role"], "admin");

    // Once an account exists, signed-out visitors are sent to sign in.
    let res = app.visitor().get("/").await;
    assert_eq!(location(&res), "/signin");
}

#[tokio::test]
async fn sign_up_validates_every_field_and_stores_an_argon2id_hash() {
    let app = TestApp::spawn().await;
    let mut visitor = app.visitor();
    let res = visitor.sign_up(" ", "not-an-email", "short").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Enter your name."));
    assert!(html.contains("Enter an email address like name@example.com."));
    assert!(html.contains("Password must be at least 10 characters."));
    assert!(html.contains("aria-invalid=\"true\""));

    let res = visitor.sign_up("Ada", "Ada@Example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let hash = fetch_scalar!(&app.state.db, String, "SELECT password_hash FROM users").expect("hash");
    assert!(hash.starts_with("$argon2id$"));
    assert!(!hash.contains("correct horse"));

    // Emails are unique case-insensitively: a second sign-up makes no
    // account (it answers like a new one: see account_security.rs).
    let mut other = app.visitor();
    other.load_csrf("/signup").await;
    let fields = [("name", "Other Ada"), ("email", "ada@EXAMPLE.com"), ("password", "another password!")];
    let res = other.post_form("/signup", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM users").expect("count"), 1);
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let mut user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let old_cookie = user.client.get(user.at("/api/v1/me")).send().await.expect("me").status();
    assert_eq!(old_cookie, StatusCode::OK);

    user.load_csrf("/").await;
    let res = user.post_form("/signout", &[]).await;
    assert_eq!(location(&res), "/signin");
    assert_eq!(user.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);

    let res = user.sign_in("ADA@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    // Signed in, the user lands in their workspace.
    assert_eq!(user.workspace().await["name"], "Acme Voice");
    let ws_id = user.workspace().await["id"].as_str().expect("id").to_string();
    assert!(app.audit_actions(&ws_id).await.contains(&"member.signed_in".to_string()));

    // A session token captured before sign-in is no longer valid after it.
    let sessions = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM sessions").expect("count");
    assert_eq!(sessions, 1, "sign-out deleted the first session; sign-in made one");
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account() {
    let app = TestApp::spawn().await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut attacker = app.visitor();
    for _ in 0..5 {
        let res = attacker.sign_in("ada@example.com", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("Email or password is incorrect."));
    }
    // Now even the right password is refused until the window passes.
    let res = attacker.sign_in("ada@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.expect("html").contains("Too many failed sign-in attempts"));

    app.clock.advance(chrono::Duration::minutes(16));
    let res = attacker.sign_in("ada@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "allowed again after the window");
}

#[tokio::test]
async fn unknown_emails_get_the_same_answer_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = app.visitor().sign_in("nobody@example.com", "whatever password").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Email or password is incorrect."));
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let mut user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let before = user.workspace().await;

    // No token at all.
    let res = user
        .client
        .patch(user.at("/api/v1/workspace"))
        .json(&serde_json::json!({"name": "Hijacked"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(crate::harness::problem(res).await["code"], "csrf_failed");

    // A wrong token in a form.
    let res = user
        .client
        .post(user.at("/settings/general"))
        .form(&[("name", "Hijacked"), ("website", ""), ("timezone", "UTC"), ("_csrf", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "pages answer with a redirect and a toast");
    assert!(crate::harness::flash_text(&res).expect("toast").contains("Reload the page"));

    // The right token, but from another site.
    let token = user.load_csrf("/settings/general").await;
    let res = user
        .client
        .post(user.at("/settings/general"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Hijacked"), ("website", ""), ("timezone", "UTC"), ("_csrf", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(user.workspace().await["name"], before["name"]);

    // Signed out: the sign-in form needs the anonymous token too.
    let visitor = app.visitor();
    let res = visitor
        .client
        .post(visitor.at("/signin"))
        .form(&[("email", "ada@example.com"), ("password", "correct horse battery")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set_cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    assert!(!set_cookies.iter().any(|c| c.starts_with("sb_session=")), "no session without the token");
    assert!(crate::harness::flash_text(&res).expect("toast").contains("Reload the page"));
    let html = visitor.get_text("/signin").await;
    assert!(csrf_from_html(&html).is_some());
}
