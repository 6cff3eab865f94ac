//! Retries on the injected clock (no sleeps): attempts spaced per the
//! schedule with ±20 % jitter, a used-up schedule fails the delivery, `410
//! Gone` disables the endpoint, and an endpoint that fails for five days is
//! disabled and its Admins are emailed.
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::webhooks::delivery;
use switchboard_db::execute;

use crate::harness::Visitor;
use crate::webhook_support::{PyReceiver, advance_to, attempts_of, deliveries, next_due};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

async fn rename(admin: &Visitor, name: &str) {
    assert_eq!(admin.patch("/api/v1/workspace", json!({ "name": name })).await.status(), StatusCode::OK);
}

/// Whether `gap` is `base` give or take 20 %.
fn within_jitter(gap: Duration, base: Duration) -> bool {
    let (gap, base) = (gap.num_milliseconds() as f64, base.num_milliseconds() as f64);
    gap >= base * 0.8 - 1.0 && gap <= base * 1.2 + 1.0
}

async fn endpoint(admin: &Visitor, id: &str) -> Value {
    admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}")).await
}

#[tokio::test]
async fn failed_attempts_are_retried_after_5s_then_5m_on_the_clock() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let rx = PyReceiver::start().await;
    let (id, secret) = add_endpoint(&admin, &rx.url("/hook"), json!(["workspace.updated"])).await;
    rx.configure(json!({"secrets": [secret], "responses": [500, 500, 200], "now": app.clock_now().timestamp()})).await;

    rename(&admin, "Acme Two").await;
    let mut due = Vec::new();
    for attempt in 1..=3 {
        assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1, "attempt {attempt}");
        let d = deliveries(&app.state.db, &id).await.remove(0);
        assert_eq!(d.attempts, attempt);
        let Some(next) = d.next_attempt_at.filter(|_| d.status == "pending") else {
            assert_eq!(d.status, "succeeded", "{d:?}");
            break;
        };
        // A moment before it is due, nothing goes out.
        advance_to(&app, next - Duration::milliseconds(500));
        assert_eq!(delivery::run_due(&app.state).await.expect("run"), 0, "not due yet");
        advance_to(&app, next);
        rx.set_now(app.clock_now()).await;
        due.push(next);
    }
    assert_eq!(due.len(), 2, "two retries");

    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts), ("succeeded", 3));
    let attempts = attempts_of(&app.state.db, &d.id).await;
    let codes: Vec<Option<i32>> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, vec![Some(500), Some(500), Some(200)]);
    let started: Vec<DateTime<Utc>> = attempts.iter().map(|a| a.started_at).collect();
    assert_eq!(started[1..], due[..], "each retry ran when it fell due");
    let (first, second) = (started[1] - started[0], started[2] - started[1]);
    assert!(within_jitter(first, Duration::seconds(5)), "first retry after {first}");
    assert!(within_jitter(second, Duration::minutes(5)), "second retry after {second}");

    let log = rx.log().await;
    assert_eq!(log.iter().map(|h| h.status).collect::<Vec<_>>(), vec![500, 500, 200]);
    assert!(log.iter().all(|h| h.webhook_id.as_deref() == Some(d.message_id.as_str())), "one webhook-id");
    assert!(log.iter().all(|h| h.verified_by == vec![0]), "{log:?}");
    let stamps: Vec<i64> = log.iter().filter_map(|h| h.timestamp.as_deref()?.parse().ok()).collect();
    assert_eq!(stamps, started.iter().map(DateTime::timestamp).collect::<Vec<_>>(), "signed at each attempt");
}

#[tokio::test]
async fn a_delivery_that_uses_up_the_schedule_fails() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let (id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    rename(&admin, "Acme Two").await;
    delivery::run_due(&app.state).await.expect("run");
    while let Some(next) = next_due(&app.state.db).await {
        advance_to(&app, next);
        assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    }

    let schedule = app.state.config.webhooks.retry_schedule.clone();
    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts, d.next_attempt_at), ("failed", schedule.len() as i32 + 1, None));
    assert_eq!(received.all().len(), schedule.len() + 1);
    let attempts = attempts_of(&app.state.db, &d.id).await;
    for (pair, base) in attempts.windows(2).zip(&schedule) {
        let gap = pair[1].started_at - pair[0].started_at;
        let base = Duration::from_std(*base).expect("duration");
        assert!(
            within_jitter(gap, base),
            "attempt {} came {gap} after the one before (schedule: {base})",
            pair[1].attempt
        );
    }
    // About three days in all: less than --webhook-disable-after (5 days).
    let ep = endpoint(&admin, &id).await;
    assert_eq!((ep["enabled"].clone(), ep["failing_since"].clone()), (json!(true), json!(attempts[0].started_at)));
    advance_to(&app, app.clock_now() + Duration::days(30));
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 0, "never again");
}

#[tokio::test]
async fn gone_disables_the_endpoint_with_the_reason_and_an_audit_entry() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let (url, received) = receiver(StatusCode::GONE).await;
    let (id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    rename(&admin, "Acme Two").await;
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);

    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts, d.next_attempt_at), ("failed", 1, None), "no retry after 410");
    let ep = endpoint(&admin, &id).await;
    assert_eq!(ep["enabled"], false);
    assert_eq!(ep["disabled_reason"], "The endpoint answered 410 Gone.");
    assert!(app.audit_actions(&ws).await.contains(&"webhook_endpoint.disabled".to_string()));
    let log = admin.get_json("/api/v1/audit-log?action=webhook_endpoint.disabled").await;
    let entry = log["data"].as_array().and_then(|a| a.first()).cloned().unwrap_or_default();
    assert_eq!(entry["target"]["id"], id.as_str(), "{log}");
    assert_eq!(entry["actor"]["type"], "system");
    assert_eq!(entry["changes"]["disabled_reason"]["after"], "The endpoint answered 410 Gone.");

    // Disabled: later changes are not sent to it.
    rename(&admin, "Acme Three").await;
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 0);
    assert_eq!((deliveries(&app.state.db, &id).await.len(), received.all().len()), (1, 1));
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_every_admin_is_emailed() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    for (name, email, role) in [("Bob", "bob@example.com", "admin"), ("Cy", "cy@example.com", "member")] {
        let mut user = app.visitor();
        user.sign_up(name, email, "correct horse battery").await;
        app.add_member(&ws, &user, role).await;
    }
    let (url, received) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let (id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    let disable_after = Duration::from_std(app.state.config.webhooks.disable_after).expect("duration");
    assert_eq!(disable_after, Duration::days(5));

    // A change every 6 hours, and every retry as it falls due, until the
    // endpoint is disabled: failures are never more than 6 hours apart.
    let t0 = app.clock_now();
    let mut changes = 0;
    let mut next_change = t0;
    let disabled_at = loop {
        assert!(app.clock_now() < t0 + Duration::days(7), "still enabled after 7 days");
        let step = next_due(&app.state.db).await.map_or(next_change, |due| due.min(next_change));
        advance_to(&app, step);
        if step == next_change {
            changes += 1;
            rename(&admin, &format!("Acme {changes}")).await;
            next_change = step + Duration::hours(6);
        }
        delivery::run_due(&app.state).await.expect("run");
        let ep = endpoint(&admin, &id).await;
        assert_eq!(ep["failing_since"], json!(t0), "failing since the first attempt");
        if ep["enabled"] == false {
            assert_eq!(ep["disabled_reason"], "Every attempt failed for 5 days.");
            break app.clock_now();
        }
    };
    assert!(disabled_at >= t0 + disable_after, "disabled after {}", disabled_at - t0);
    assert!(disabled_at <= t0 + disable_after + Duration::hours(6), "disabled after {}", disabled_at - t0);
    let failed_attempts = received.all().len();
    assert!(failed_attempts > changes, "retries too: {failed_attempts} attempts for {changes} changes");
    assert_eq!(app.audit_actions(&ws).await.iter().filter(|a| *a == "webhook_endpoint.disabled").count(), 1);

    // Every Admin is told, and nobody else.
    app.run_jobs().await;
    let mails: Vec<String> =
        app.outbox().into_iter().filter(|m| m.contains("Subject: Webhook endpoint disabled in Acme")).collect();
    let to: Vec<bool> = ["ada@example.com", "bob@example.com", "cy@example.com"]
        .iter()
        .map(|addr| mails.iter().any(|m| m.contains(&format!("To: {addr}"))))
        .collect();
    assert_eq!(to, vec![true, true, false], "{mails:?}");
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.contains("Every attempt failed for 5 days.") && m.contains(&id)));

    // Nothing more goes out, however long we wait.
    advance_to(&app, app.clock_now() + Duration::days(10));
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 0);
    assert_eq!(received.all().len(), failed_attempts);
}

#[tokio::test]
async fn a_secret_that_does_not_open_fails_the_attempt_instead_of_looping() {
    // E.g. a process started with another server key.
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    let (id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    execute!(&app.state.db, "UPDATE webhook_endpoints SET secret_enc = $1 WHERE id = $2", "v1:AAAA", &id)
        .expect("damage the secret");
    rename(&admin, "Acme Two").await;
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);

    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 1), "a failed attempt on the schedule: {d:?}");
    assert!(d.last_error.as_deref().is_some_and(|e| e.contains("signing secret does not open")), "{d:?}");
    assert!(received.all().is_empty(), "nothing unsigned went out");
    while let Some(next) = next_due(&app.state.db).await {
        advance_to(&app, next);
        delivery::run_due(&app.state).await.expect("run");
    }
    let d = deliveries(&app.state.db, &id).await.remove(0);
    assert_eq!(d.status, "failed", "the schedule ends: {d:?}");
}
