//! The Profile Modal's security part (change password, the session list,
//! signing sessions out) and sign-up with a taken address.
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use switchboard_db::{fetch_all, fetch_scalar};

use crate::harness::{TestApp, Visitor, flash_text, location};

const PASSWORD: &str = "correct horse battery";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const CHROME: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn visitor_with_agent(app: &TestApp, agent: &str) -> Visitor {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .user_agent(agent)
        .build()
        .expect("client");
    Visitor { app_url: app.url.clone(), client, csrf: None }
}

async fn signed_in(visitor: &Visitor) -> bool {
    visitor.get("/api/v1/me").await.status() == StatusCode::OK
}

/// `(handle, is_current)` of each session row on the profile page.
async fn session_rows(visitor: &Visitor) -> Vec<(String, bool)> {
    let html = visitor.get_text("/profile").await;
    html.split("<li class=\"session-row\"")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</li>").unwrap_or(row.len())];
            let start = row.find("data-session=\"").map(|i| i + 14).unwrap_or(0);
            let handle = row[start..].chars().take_while(|c| *c != '"').collect();
            (handle, row.contains("This session"))
        })
        .collect()
}

/// Ada signed in three times: with Firefox (returned first, her workspace
/// current), Chrome, and a client without a user agent.
async fn ada_on_three_devices(app: &TestApp) -> (Visitor, Visitor, Visitor) {
    let mut firefox = visitor_with_agent(app, FIREFOX);
    firefox.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let mut chrome = visitor_with_agent(app, CHROME);
    assert_eq!(chrome.sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let mut plain = app.visitor();
    assert_eq!(plain.sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    firefox.load_csrf("/profile").await;
    (firefox, chrome, plain)
}

#[tokio::test]
async fn the_profile_lists_the_accounts_sessions_without_their_ids() {
    let app = TestApp::spawn().await;
    let (firefox, _chrome, _plain) = ada_on_three_devices(&app).await;
    app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;

    let html = firefox.get_text("/profile").await;
    assert!(html.contains("Firefox on Linux"));
    assert!(html.contains("Chrome on Windows 10"));
    assert!(html.contains("Unknown device"));
    assert!(html.contains("127.0.0.1"));
    assert!(html.contains("last seen"));
    let rows = session_rows(&firefox).await;
    assert_eq!(rows.len(), 3, "Ada's three sessions, not Bob's");
    assert_eq!(rows.iter().filter(|(_, current)| *current).count(), 1);
    assert!(html.contains("Sign out of all other sessions"));

    // No session key (nor the cookie token, which it hashes) is in the page.
    #[derive(sqlx::FromRow)]
    struct Id {
        id: String,
    }
    let ids = fetch_all!(&app.state.db, Id, "SELECT id FROM sessions").expect("ids");
    assert_eq!(ids.len(), 4);
    for Id { id } in ids {
        assert!(!html.contains(&id), "the page leaks a session key");
        assert!(!html.contains(&id[..16]), "the page leaks part of a session key");
    }
    // The modal on other pages carries the same list.
    let home = firefox.get_text("/workspaces/new").await;
    assert!(home.contains("Chrome on Windows 10") && home.contains("/profile/sessions/sign-out-others"));
}

#[tokio::test]
async fn signing_out_one_session_ends_only_that_one() {
    let app = TestApp::spawn().await;
    let (firefox, chrome, plain) = ada_on_three_devices(&app).await;
    let mut bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    bob.load_csrf("/profile").await;
    let bob_rows = session_rows(&bob).await;

    let chrome_handle = session_rows(&chrome).await.into_iter().find(|(_, c)| *c).expect("current").0;
    // Another account's form cannot end Ada's session.
    let res = bob.post_form(&format!("/profile/sessions/{chrome_handle}/sign-out"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(signed_in(&chrome).await);

    let res = firefox.post_form(&format!("/profile/sessions/{chrome_handle}/sign-out"), &[("back", "/")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    assert!(flash_text(&res).is_some_and(|t| t.contains("signed out")));
    assert!(!signed_in(&chrome).await, "that session ended");
    assert!(signed_in(&firefox).await && signed_in(&plain).await, "the others stay");
    assert_eq!(session_rows(&firefox).await.len(), 2);

    // Again: it is gone.
    let res = firefox.post_form(&format!("/profile/sessions/{chrome_handle}/sign-out"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Signing out the current session from the list is signing out.
    let own = bob_rows.into_iter().find(|(_, c)| *c).expect("current").0;
    let res = bob.post_form(&format!("/profile/sessions/{own}/sign-out"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin");
    assert!(!signed_in(&bob).await);
}

#[tokio::test]
async fn signing_out_all_other_sessions_keeps_this_one() {
    let app = TestApp::spawn().await;
    let (firefox, chrome, plain) = ada_on_three_devices(&app).await;
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;

    let res = firefox.post_form("/profile/sessions/sign-out-others", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("Signed out of 2 other sessions."));
    assert!(signed_in(&firefox).await);
    assert!(!signed_in(&chrome).await && !signed_in(&plain).await);
    assert!(signed_in(&bob).await, "another account's sessions are untouched");
    assert_eq!(session_rows(&firefox).await.len(), 1);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let (firefox, chrome, _plain) = ada_on_three_devices(&app).await;
    let hash_before = fetch_scalar!(&app.state.db, String, "SELECT password_hash FROM users").expect("hash");

    let res = firefox
        .post_form(
            "/profile/password",
            &[("current_password", "not my password"), ("new_password", "a new passphrase")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("The current password is incorrect."));
    let res =
        firefox.post_form("/profile/password", &[("current_password", PASSWORD), ("new_password", "short")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Password must be at least 10 characters."));
    let hash_after = fetch_scalar!(&app.state.db, String, "SELECT password_hash FROM users").expect("hash");
    assert_eq!(hash_before, hash_after, "refused changes change nothing");
    assert!(signed_in(&chrome).await);

    let res = firefox
        .post_form(
            "/profile/password",
            &[("current_password", PASSWORD), ("new_password", "a new passphrase"), ("back", "/workspaces/new")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/workspaces/new");
    assert_eq!(flash_text(&res).as_deref(), Some("Password changed. Your 2 other sessions were signed out."));
    assert!(signed_in(&firefox).await, "this session stays");
    assert!(!signed_in(&chrome).await, "other sessions end");

    let mut again = app.visitor();
    assert_eq!(again.sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.sign_in("ada@example.com", "a new passphrase").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_like_a_new_account_and_emails_the_owner() {
    let app = TestApp::spawn().await;
    let mut fresh = app.visitor();
    fresh.load_csrf("/signup").await;
    let new_account =
        fresh.post_form("/signup", &[("name", "Ada"), ("email", "ada@example.com"), ("password", PASSWORD)]).await;
    let mut copycat = app.visitor();
    copycat.load_csrf("/signup").await;
    let taken = copycat
        .post_form("/signup", &[("name", "Mallory"), ("email", "ADA@example.com"), ("password", "mallory's password")])
        .await;

    assert_eq!(taken.status(), new_account.status());
    assert_eq!(location(&taken), location(&new_account));
    // The same cookie, but for its value.
    let cookie_shape = |res: &reqwest::Response| -> Vec<String> {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|c| c.split_once(';').map(|(kv, attrs)| (kv.split('=').next().unwrap_or(""), attrs)))
            .map(|p| format!("{p:?}"))
            .collect()
    };
    assert_eq!(cookie_shape(&taken), cookie_shape(&new_account));
    assert_eq!(taken.text().await.expect("body"), new_account.text().await.expect("body"));

    // But no account was made and nobody was signed in to Ada's.
    assert!(signed_in(&fresh).await);
    assert!(!signed_in(&copycat).await);
    assert_eq!(fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM users").expect("count"), 1);
    let mut ada = app.visitor();
    assert_eq!(ada.sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);

    app.run_jobs().await;
    let mails = app.outbox();
    let notices: Vec<&String> = mails.iter().filter(|m| m.contains("Someone tried to sign up")).collect();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("To: ada@example.com"));
    assert!(notices[0].contains("/password/forgot"));
    assert!(!notices[0].contains("Mallory"), "nothing the visitor typed is in the email");

    // Repeated tries answer the same but email the owner at most 3 times an hour.
    for _ in 0..4 {
        let res = copycat
            .post_form(
                "/signup",
                &[("name", "Mallory"), ("email", "ada@example.com"), ("password", "mallory's password")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/workspaces/new");
    }
    app.run_jobs().await;
    let notices = app.outbox().iter().filter(|m| m.contains("Someone tried to sign up")).count();
    assert_eq!(notices, 3);
}

#[tokio::test]
async fn last_seen_is_written_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (firefox, _chrome, _plain) = ada_on_three_devices(&app).await;
    let last_seen = || async {
        fetch_all!(&app.state.db, (String,), "SELECT CAST(last_seen_at AS TEXT) FROM sessions ORDER BY 1")
            .expect("rows")
            .into_iter()
            .map(|(t,)| t)
            .collect::<Vec<_>>()
    };
    let before = last_seen().await;
    app.clock.advance(chrono::Duration::seconds(30));
    assert!(signed_in(&firefox).await);
    assert_eq!(last_seen().await, before, "no write within the minute");
    app.clock.advance(chrono::Duration::seconds(31));
    assert!(signed_in(&firefox).await);
    let after = last_seen().await;
    assert_ne!(after, before, "written once the minute has passed");
    assert_eq!(after.iter().zip(&before).filter(|(a, b)| a != b).count(), 1, "only the session that was used");
    // The list shows it.
    assert!(firefox.get_text("/profile").await.contains("last seen <time"));
}
