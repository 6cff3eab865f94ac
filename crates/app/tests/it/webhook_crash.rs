//! A real `switchboard serve` killed with SIGKILL while webhook deliveries
//! are in flight: after a restart every message arrives, and a message that
//! arrives twice carries the same `webhook-id` and the same body (verified
//! by the official Standard Webhooks library each time).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use switchboard::webhooks::{enqueue, store};
use switchboard_db::{fetch_all, fetch_scalar};

use crate::webhook_support::{PyReceiver, deliveries, start_server, wait_until};
use crate::webhooks::{add_endpoint, app_allowing_local_targets};

const MESSAGES: usize = 200;

#[tokio::test]
async fn deliveries_in_flight_when_the_server_is_killed_arrive_after_a_restart() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let rx = PyReceiver::start().await;
    let (endpoint_id, secret) = add_endpoint(&admin, &rx.url("/hook"), json!(["workspace.updated"])).await;
    // The server processes sign on the wall clock: the library checks
    // timestamps against it (no "now").
    rx.configure(json!({"secrets": [secret], "delay_ms": 300})).await;

    // The messages, due now on the wall clock, enqueued as a change would.
    let db = &app.state.db;
    let endpoint = store::find_endpoint(db, &ws.parse().expect("ws"), &endpoint_id.parse().expect("id"))
        .await
        .expect("find")
        .expect("endpoint");
    let now = Utc::now();
    let mut tx = db.begin().await.expect("begin");
    for n in 0..MESSAGES {
        let payload = switchboard::events::envelope(
            &switchboard::workspaces::UPDATED_EVENT,
            &ws.parse().expect("ws"),
            now,
            json!({ "n": n }),
        );
        enqueue::message(&mut tx, &ws.parse().expect("ws"), "workspace.updated", &payload, &[&endpoint.id], now)
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");

    let logs = tempfile::tempdir().expect("dir");
    let flags = [
        "--webhook-allow-private-targets",
        "true",
        "--webhook-lease",
        "3s",
        "--webhook-timeout",
        "1s",
        "--webhook-connect-timeout",
        "1s",
        "--webhook-endpoint-concurrency",
        "8",
    ];
    let started = Instant::now();
    let mut first = start_server(&app, &logs.path().join("first.log"), &flags);
    let receiver = &rx;
    wait_until("some deliveries", Duration::from_secs(30), || async move { receiver.log().await.len() >= 40 }).await;
    first.0.kill().expect("SIGKILL");
    let _ = first.0.wait();
    let killed_after = started.elapsed();
    let in_flight: Vec<String> =
        deliveries(db, &endpoint_id).await.into_iter().filter(|d| d.status == "sending").map(|d| d.id).collect();
    let received_before_restart = rx.log().await.len();
    assert!(!in_flight.is_empty(), "the kill caught deliveries in flight");

    let second_log = logs.path().join("second.log");
    let _second = start_server(&app, &second_log, &flags);
    let limit = Duration::from_secs(90);
    let waited = Instant::now();
    while succeeded(db, &endpoint_id).await < MESSAGES as i64 {
        assert!(
            waited.elapsed() < limit,
            "{} of {MESSAGES} delivered after {limit:?}; server log:\n{}",
            succeeded(db, &endpoint_id).await,
            std::fs::read_to_string(&second_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = started.elapsed();

    // Every message reached the receiver, verified, with the stored ID and
    // body; copies sent again after the crash are identical.
    let stored: HashMap<String, String> =
        fetch_all!(db, (String, String), "SELECT id, payload FROM webhook_messages WHERE workspace_id = $1", &ws)
            .expect("messages")
            .into_iter()
            .collect();
    assert_eq!(stored.len(), MESSAGES);
    let log = rx.log().await;
    let mut copies: HashMap<String, usize> = HashMap::new();
    for hit in &log {
        let id = hit.webhook_id.clone().expect("webhook-id");
        assert_eq!(stored.get(&id), Some(&hit.body), "{id}: the body sent is the message stored under its ID");
        assert_eq!(hit.verified_by, vec![0], "{hit:?}");
        *copies.entry(id).or_default() += 1;
    }
    assert_eq!(copies.len(), MESSAGES, "every message arrived");
    let duplicates = log.len() - MESSAGES;
    let after = deliveries(db, &endpoint_id).await;
    for d in after.iter().filter(|d| in_flight.contains(&d.id)) {
        assert!(d.attempts >= 2, "{d:?} was in flight at the kill, so it was sent again");
    }
    eprintln!(
        "crash test: {MESSAGES} messages; killed after {killed_after:.1?} with {received_before_restart} received and \
         {} in flight; all delivered after {total:.1?}; {} requests, {duplicates} duplicates (same id and body)",
        in_flight.len(),
        log.len()
    );
}

async fn succeeded(db: &switchboard_db::Db, endpoint_id: &str) -> i64 {
    fetch_scalar!(
        db,
        i64,
        "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'succeeded'",
        endpoint_id
    )
    .expect("count")
}
