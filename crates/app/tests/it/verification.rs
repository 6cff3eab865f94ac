//! Email verification: the link (single use, expiry, resend limits), what
//! an unverified account may not do, and invitations proving the address.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, Visitor, flash_text, location, problem};

/// Every `/verify-email/<token>` path in the outbox, oldest first.
pub fn verification_links(app: &TestApp) -> Vec<String> {
    app.outbox()
        .iter()
        .filter_map(|raw| {
            let text = raw.replace("=\r\n", "").replace("=\n", "");
            let at = text.find("/verify-email/")? + "/verify-email/".len();
            let token: String =
                text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            Some(format!("/verify-email/{token}"))
        })
        .collect()
}

async fn signed_up(app: &TestApp, email: &str) -> Visitor {
    let mut user = app.visitor();
    let res = user.sign_up("Ada", email, "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    user
}

async fn verified(user: &Visitor) -> bool {
    user.get_json("/api/v1/me").await["email_verified"].as_bool().expect("email_verified")
}

#[tokio::test]
async fn the_emailed_link_verifies_the_address_once() {
    let app = TestApp::spawn().await;
    let user = signed_up(&app, "ada@example.com").await;
    assert!(!verified(&user).await);
    // The banner offers a new link.
    let home = user.get_text("/workspaces/new").await;
    assert!(home.contains("Resend verification email"), "{home}");
    app.run_jobs().await;
    let links = verification_links(&app);
    assert_eq!(links.len(), 1, "one email at sign-up");
    let mail = &app.outbox()[0];
    assert!(mail.contains("Subject: Verify your email address for Switchboard"), "{mail}");
    // Only the hash is stored.
    let token = links[0].trim_start_matches("/verify-email/");
    let stored: i64 = switchboard_db::fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT COUNT(*) FROM email_verifications WHERE token_hash = $1",
        token
    )
    .expect("count");
    assert_eq!(stored, 0, "the token itself is not stored");

    let res = user.get(&links[0]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("Your email address is verified."));
    assert!(verified(&user).await);
    let page = user.get_text("/workspaces/new").await;
    assert!(!page.contains("Resend verification email"), "no banner once verified");

    // Used once: a second visit is refused.
    let res = user.get(&links[0]).await;
    assert!(flash_text(&res).is_some_and(|t| t.contains("no longer valid")), "{:?}", flash_text(&res));
    // A made-up token too.
    let res = app.visitor().get("/verify-email/not-a-real-token").await;
    assert_eq!(location(&res), "/signin");
    assert!(flash_text(&res).is_some_and(|t| t.contains("no longer valid")));
}

#[tokio::test]
async fn an_expired_link_does_not_verify() {
    let app = TestApp::spawn().await;
    let user = signed_up(&app, "ada@example.com").await;
    app.run_jobs().await;
    let link = verification_links(&app).pop().expect("link");
    app.clock.advance(chrono::Duration::hours(48) + chrono::Duration::seconds(1));
    let res = user.get(&link).await;
    assert!(flash_text(&res).is_some_and(|t| t.contains("expired")), "{:?}", flash_text(&res));
    assert!(!verified(&user).await);
}

#[tokio::test]
async fn an_unverified_account_creates_one_workspace_and_invites_nobody() {
    let app = TestApp::spawn().await;
    let mut user = signed_up(&app, "ada@example.com").await;
    let ws = user.create_workspace("Acme Voice").await;
    user.switch_to(ws["id"].as_str().expect("id")).await;

    let res = user.post_json("/api/v1/workspaces", json!({"name": "Second Co"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = problem(res).await;
    assert_eq!(body["code"], "email_not_verified");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("Verify your email address")), "{body}");
    // The form says the same on a page.
    user.load_csrf("/workspaces/new").await;
    let res = user.post_form("/workspaces", &[("name", "Second Co")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).is_some_and(|t| t.contains("Verify your email address")), "{:?}", flash_text(&res));
    assert_eq!(user.get_json("/api/v1/workspaces").await["data"].as_array().map(Vec::len), Some(1));

    let res = user.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "email_not_verified");
    let pending = user.get_json("/api/v1/invitations").await;
    assert_eq!(pending["data"].as_array().map(Vec::len), Some(0), "{pending}");

    // Once verified, both work.
    app.run_jobs().await;
    let link = verification_links(&app).pop().expect("link");
    user.get(&link).await;
    let res = user.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = user.post_json("/api/v1/workspaces", json!({"name": "Second Co"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn accepting_an_invitation_sent_to_the_address_verifies_it() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = admin.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let invite = app.invitation_links().pop().expect("invitation link");
    let token = invite.trim_start_matches("/invite/");

    // Bob signs up first (unverified), then accepts the invitation.
    let mut bob = signed_up(&app, "bob@example.com").await;
    assert!(!verified(&bob).await);
    bob.load_csrf(&invite).await;
    let res = bob.post_form(&format!("/invite/{token}/accept"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    assert!(verified(&bob).await, "accepting the invitation proves the address");
}

#[tokio::test]
async fn resending_the_link_is_rate_limited() {
    let app = TestApp::spawn().await;
    let user = signed_up(&app, "ada@example.com").await;
    let resend = || user.api(Method::POST, "/api/v1/me/verification-email", None);
    // Within a minute of the sign-up's email.
    let res = resend().await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // Four more a day after that (five in all).
    for _ in 0..4 {
        app.clock.advance(chrono::Duration::seconds(61));
        let res = resend().await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        assert_eq!(res.json::<serde_json::Value>().await.expect("json")["email"], "ada@example.com");
    }
    app.clock.advance(chrono::Duration::seconds(61));
    let res = resend().await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(problem(res).await["detail"].as_str().is_some_and(|d| d.contains("today")));
    app.run_jobs().await;
    let links = verification_links(&app);
    assert_eq!(links.len(), 5);
    // Every link sent works (once) until one is used.
    user.get(&links[2]).await;
    assert!(verified(&user).await);
    let res = resend().await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The banner's button, as a form.
    let other = signed_up(&app, "bob@example.com").await;
    app.clock.advance(chrono::Duration::seconds(61));
    let mut other = other;
    other.load_csrf("/workspaces/new").await;
    let res = other.post_form("/verify-email/resend", &[("back", "/workspaces/new")]).await;
    assert_eq!(location(&res), "/workspaces/new");
    assert_eq!(flash_text(&res).as_deref(), Some("We sent a new verification link to bob@example.com."));
}

/// Accounts that exist when migration 0011 runs count as verified; ones
/// made after it do not.
#[tokio::test]
async fn accounts_from_before_the_migration_count_as_verified() {
    use sqlx::migrate::Migrator;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let now = chrono::Utc::now();
    let insert = "INSERT INTO users (id, name, email, email_normalized, password_hash, created_at, updated_at)
                  VALUES ($1, 'Old', $2, $2, 'x', $3, $3)";
    let verified = "SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL";
    // The same steps on either backend's pool.
    macro_rules! old_then_new {
        ($pool:expr, $folder:expr) => {{
            let pool = $pool;
            let migrator = Migrator::new(root.join($folder)).await.expect("migrations");
            migrator.run_to(9, &pool).await.expect("up to 0009");
            sqlx::query(insert).bind("usr_old").bind("old@example.com").bind(now).execute(&pool).await.expect("old");
            migrator.run(&pool).await.expect("the rest");
            sqlx::query(insert).bind("usr_new").bind("new@example.com").bind(now).execute(&pool).await.expect("new");
            let v: i64 = sqlx::query_scalar(verified).fetch_one(&pool).await.expect("count");
            (v, sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&pool).await.expect("count"))
        }};
    }
    let dir = tempfile::tempdir().expect("dir");
    let counts: (i64, i64) = match crate::harness::fresh_postgres_url().await {
        Some(url) => old_then_new!(sqlx::PgPool::connect(&url).await.expect("connect"), "postgres"),
        None => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
            old_then_new!(sqlx::SqlitePool::connect(&url).await.expect("connect"), "sqlite")
        }
    };
    assert_eq!(counts, (1, 2), "the old account is verified, the new one is not");
}
