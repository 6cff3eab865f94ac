//! Sign-in throttling (issue 12): attempts are counted before the password
//! is checked, so parallel guesses cannot slip past the limit; and the lock
//! is keyed on account and client, so a stranger cannot lock the owner out.
use reqwest::StatusCode;
use switchboard::auth::throttle::{self, ThrottleKey};
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, Visitor, csrf_from_html};

const PASSWORD: &str = "correct horse battery";

/// Posts the sign-in form as a client at `ip` (the test server trusts
/// 127.0.0.0/8 as a proxy, so `X-Forwarded-For` names the client).
async fn sign_in_from(visitor: &Visitor, ip: &str, email: &str, password: &str) -> StatusCode {
    let html = visitor.get_text("/signin").await;
    let csrf = csrf_from_html(&html).expect("sign-in form");
    let fields = [("email", email), ("password", password), ("_csrf", csrf.as_str())];
    let res = visitor
        .client
        .post(visitor.at("/signin"))
        .header("x-forwarded-for", ip)
        .form(&fields)
        .send()
        .await
        .expect("POST /signin");
    res.status()
}

async fn app_behind_a_proxy() -> TestApp {
    TestApp::spawn_with_args(|args| args.trusted_proxies = Some("127.0.0.0/8".into())).await
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_get_only_five_checked() {
    let app = TestApp::spawn().await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut attacker = app.visitor();
    let csrf = attacker.load_csrf("/signin").await;
    let attempts = (0..40).map(|i| {
        let client = attacker.client.clone();
        let url = attacker.at("/signin");
        let csrf = csrf.clone();
        tokio::spawn(async move {
            let password = format!("wrong password {i}");
            let fields = [("email", "ada@example.com"), ("password", password.as_str()), ("_csrf", csrf.as_str())];
            let res = client.post(url).form(&fields).send().await.expect("POST /signin");
            let status = res.status();
            let retry_after = res.headers().contains_key("retry-after");
            let html = res.text().await.expect("html");
            (status, retry_after, html)
        })
    });
    let mut checked = 0;
    let mut refused = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        let (status, retry_after, html) = attempt.await.expect("attempt");
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert!(html.contains("Email or password is incorrect."));
                checked += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry_after, "a refusal says when to retry");
                assert!(html.contains("Too many failed sign-in attempts"));
                refused += 1;
            }
            other => panic!("unexpected answer {other}: {html}"),
        }
    }
    assert_eq!((checked, refused), (5, 35), "exactly the limit of passwords was checked");
    attacker.csrf = None;
    assert_eq!(
        attacker.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password too waits for the window from this client"
    );
}

#[tokio::test]
async fn a_stranger_locks_only_themselves_out_and_the_owner_still_signs_in() {
    let app = app_behind_a_proxy().await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (attacker_ip, owner_ip) = ("203.0.113.9", "198.51.100.7");
    let attacker = app.visitor();
    for _ in 0..5 {
        let status = sign_in_from(&attacker, attacker_ip, "ada@example.com", "wrong password!").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        sign_in_from(&attacker, attacker_ip, "ada@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is locked, even with the right password"
    );

    let owner = app.visitor();
    assert_eq!(
        sign_in_from(&owner, owner_ip, "ada@example.com", "a typo password").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the owner's own attempts are counted apart"
    );
    assert_eq!(sign_in_from(&owner, owner_ip, "ada@example.com", PASSWORD).await, StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/api/v1/me").await.status(), StatusCode::OK, "signed in");
    assert_eq!(
        sign_in_from(&attacker, attacker_ip, "ada@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the owner signing in does not unlock the attacker"
    );
}

#[tokio::test]
async fn one_client_may_try_thirty_passwords_across_accounts() {
    let app = app_behind_a_proxy().await;
    let visitor = app.visitor();
    for i in 0..30 {
        let email = format!("nobody{i}@example.com");
        let status = sign_in_from(&visitor, "203.0.113.9", &email, "wrong password!").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    let status = sign_in_from(&visitor, "203.0.113.9", "someone@example.com", "wrong password!").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the 31st attempt from one client");
    let status = sign_in_from(&visitor, "203.0.113.10", "someone@example.com", "wrong password!").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another client is not affected");
}

#[tokio::test]
async fn right_passwords_give_back_their_slot_on_a_shared_address() {
    let app = app_behind_a_proxy().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    drop(user);
    // An office behind one address: more right sign-ins than the client's
    // 30 attempts, all pass.
    for i in 0..31 {
        let status = sign_in_from(&app.visitor(), "198.51.100.7", "ada@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-in {i}");
    }
}

#[tokio::test]
async fn clearing_an_account_unlocks_every_client() {
    let app = app_behind_a_proxy().await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let visitor = app.visitor();
    for _ in 0..5 {
        sign_in_from(&visitor, "203.0.113.9", "ada@example.com", "wrong password!").await;
    }
    assert_eq!(sign_in_from(&visitor, "203.0.113.9", "ada@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // What a used password-reset link does.
    let mut tx = app.state.db.begin().await.expect("tx");
    throttle::clear_for_account(&mut tx, "ada@example.com").await.expect("clear");
    tx.commit().await.expect("commit");
    assert_eq!(sign_in_from(&visitor, "203.0.113.9", "ada@example.com", PASSWORD).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn maintenance_deletes_only_counters_whose_window_has_passed() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let now = app.clock_now();
    let old = ThrottleKey::sign_in("ada@example.com", Some("203.0.113.9"));
    throttle::reserve(db, &old, now).await.expect("reserve");
    let later = now + chrono::Duration::minutes(10);
    let recent = ThrottleKey::sign_in("grace@example.com", Some("198.51.100.7"));
    throttle::reserve(db, &recent, later).await.expect("reserve");
    let count = || async { fetch_scalar!(db, i64, "SELECT COUNT(*) FROM sign_in_attempts").expect("count") };
    assert_eq!(count().await, 4);
    let deleted = throttle::delete_expired(db, now + chrono::Duration::minutes(16)).await.expect("delete");
    assert_eq!((deleted, count().await), (2, 2), "the first two windows have passed, the others not");
}
