//! Invitation emails are capped per person across every workspace (the
//! hourly cap per workspace alone was no cap: workspaces are free), and
//! their subject carries no text the inviter chose.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::invitations::daily_cap::SENDS_PER_USER_PER_DAY;
use switchboard::invitations::service::SENDS_PER_HOUR;
use switchboard_db::{execute, fetch_scalar};

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, flash_text, problem};

async fn invite(admin: &Visitor, email: &str) -> reqwest::Response {
    admin.post_json("/api/v1/invitations", json!({ "email": email, "role": "member" })).await
}

async fn jobs(app: &TestApp) -> i64 {
    fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM jobs").expect("count")
}

#[tokio::test]
async fn one_person_may_send_a_bounded_number_of_invitations_a_day_across_workspaces() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice 0").await;
    // Fill the daily budget in as many workspaces as the hourly cap needs,
    // resends included (each is an email).
    let mut sent = 0;
    let mut n = 0;
    while sent < SENDS_PER_USER_PER_DAY {
        if n > 0 {
            let ws = admin.create_workspace(&format!("Acme Voice {n}")).await;
            admin.switch_to(ws["id"].as_str().expect("id")).await;
        }
        // The trial's member limit is not what this test is about.
        app.without_member_limit(&admin.workspace_id().await).await;
        let batch = SENDS_PER_HOUR.min(SENDS_PER_USER_PER_DAY - sent);
        for i in 0..batch {
            // The last of each batch is a resend of the one before.
            let who = if i == batch - 1 && i > 0 { i - 1 } else { i };
            let res = invite(&admin, &format!("p{n}-{who}@example.com")).await;
            assert!(res.status().is_success(), "send {sent}: {}", res.status());
            sent += 1;
        }
        n += 1;
    }
    let queued = jobs(&app).await;
    assert_eq!(queued, SENDS_PER_USER_PER_DAY);

    // A fresh workspace has its whole hourly budget, but the person has none.
    let ws = admin.create_workspace("Acme Voice fresh").await;
    admin.switch_to(ws["id"].as_str().expect("id")).await;
    let res = invite(&admin, "one-too-many@example.com").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!(retry > 0 && retry <= 24 * 3600, "{retry}");
    let body = problem(res).await;
    assert_eq!(body["code"], "too_many_requests");
    assert!(body["detail"].as_str().expect("detail").contains("100 invitations in the last 24 hours"), "{body}");
    assert_eq!(admin.get_json("/api/v1/invitations").await["data"].as_array().expect("data").len(), 0);
    assert_eq!(jobs(&app).await, queued, "nothing queued");

    // The page says so with a message (a toast on the Members card).
    let mut admin = admin;
    admin.load_csrf("/settings/general").await;
    let res = admin.post_form("/settings/members/invite", &[("email", "page@example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let toast = flash_text(&res).expect("a toast");
    assert!(toast.contains("100 invitations in the last 24 hours"), "{toast}");
    assert_eq!(jobs(&app).await, queued);

    // Another person in the same workspace is not held back.
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.verify_email(&bob).await;
    app.add_member(ws["id"].as_str().expect("id"), &bob, "admin").await;
    bob.switch_to(ws["id"].as_str().expect("id")).await;
    assert_eq!(invite(&bob, "from-bob@example.com").await.status(), StatusCode::CREATED);

    // A day later the budget is back, and the hourly cleanup forgets it.
    app.clock.advance(Duration::hours(24) + Duration::minutes(1));
    assert_eq!(invite(&admin, "next-day@example.com").await.status(), StatusCode::CREATED);
    switchboard::invitations::daily_cap::delete_old(&app.state.db, app.clock_now()).await.expect("cleanup");
    let kept = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM invitation_sends").expect("count");
    assert_eq!(kept, 1, "only the send of the last day remains");
}

#[tokio::test]
async fn the_invitation_subject_is_fixed_and_the_names_stay_in_the_body() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Call +1 555 0100 now", "ada@example.com", "Your account is locked <b>").await;
    assert_eq!(invite(&admin, "bob@example.com").await.status(), StatusCode::CREATED);
    assert_eq!(app.run_jobs().await, 1);
    let mail = app.outbox().pop().expect("one email");
    let subject = mail.lines().find(|l| l.starts_with("Subject:")).expect("subject");
    assert_eq!(subject.trim_end(), "Subject: You're invited to a workspace on Switchboard");
    let body = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(body.contains("Call +1 555 0100 now invited you to join Your account is locked <b>"), "{body}");
    assert!(body.contains("Your account is locked &lt;b&gt;"), "escaped in the HTML part");
}

/// Two workspaces lock two different rows, so the count runs under a lock
/// of the sender's own row: sends racing in both never pass the cap.
#[tokio::test]
async fn parallel_sends_from_two_workspaces_never_pass_the_daily_cap() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (_, first) = create_token(&admin, "A", "admin", None).await;
    let other = admin.create_workspace("Other Voice").await;
    admin.switch_to(other["id"].as_str().expect("id")).await;
    let (_, second) = create_token(&admin, "B", "admin", None).await;
    // The day so far: two sends short of the cap.
    let me = admin.get_json("/api/v1/me").await["id"].as_str().expect("id").to_string();
    for _ in 0..SENDS_PER_USER_PER_DAY - 2 {
        execute!(
            &app.state.db,
            "INSERT INTO invitation_sends (user_id, sent_at) VALUES ($1, $2)",
            me.as_str(),
            app.clock_now() - Duration::hours(1)
        )
        .expect("insert");
    }
    let clients = [TokenClient::bearer(&app.url, &first), TokenClient::bearer(&app.url, &second)];
    let sends = (0..12).map(|i| {
        let client = &clients[i % 2];
        async move {
            let body = json!({ "email": format!("race{i}@example.com"), "role": "member" });
            client.call(Method::POST, "/api/v1/invitations", Some(body)).await.status()
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((created, refused), (2, 10), "{statuses:?}");
    assert_eq!(jobs(&app).await, 2);
}
