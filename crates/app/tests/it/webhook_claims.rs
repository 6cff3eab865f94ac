//! Claiming from the delivery queue: at most `--webhook-endpoint-concurrency`
//! attempts in flight per endpoint, and a delivery whose lease ran out is
//! claimed again before pending ones.
use std::collections::HashMap;

use chrono::Duration;
use serde_json::json;
use switchboard::webhooks::delivery::claim_one;
use switchboard::webhooks::{enqueue, store};

use crate::harness::TestApp;
use crate::webhooks::add_endpoint;

#[tokio::test]
async fn claims_respect_the_endpoint_limit_and_take_expired_leases_first() {
    let app = TestApp::spawn_with_args(|a| {
        a.webhooks.allow_private_targets = Some(true);
        a.webhooks.endpoint_concurrency = Some(2);
    })
    .await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let db = &app.state.db;
    let mut endpoints = Vec::new();
    for n in 0..2 {
        let (id, _) = add_endpoint(&admin, &format!("http://127.0.0.1:9/{n}"), json!(["workspace.updated"])).await;
        endpoints.push(
            store::find_endpoint(db, &ws.parse().expect("ws"), &id.parse().expect("id"))
                .await
                .expect("find")
                .expect("endpoint"),
        );
    }
    let mut tx = db.begin().await.expect("begin");
    for n in 0..5 {
        let now = app.clock_now() + Duration::milliseconds(n);
        let ws_id = ws.parse().expect("ws");
        let payload =
            switchboard::events::envelope(&switchboard::workspaces::UPDATED_EVENT, &ws_id, now, json!({ "n": n }));
        let all: Vec<_> = endpoints.iter().map(|e| &e.id).collect();
        enqueue::message(&mut tx, &ws_id, "workspace.updated", &payload, &all, now).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    app.clock.advance(Duration::seconds(1));

    let config = &app.state.config.webhooks;
    let mut per_endpoint: HashMap<String, usize> = HashMap::new();
    let mut first = Vec::new();
    while let Some(c) = claim_one(db, config, app.clock_now()).await.expect("claim") {
        *per_endpoint.entry(c.endpoint_id.to_string()).or_default() += 1;
        first.push(c.id);
    }
    assert_eq!(per_endpoint.values().copied().collect::<Vec<_>>(), vec![2, 2], "{per_endpoint:?}");

    // The four leases run out (their worker died): they come back first,
    // as second attempts, and the limit still holds.
    app.clock.advance(Duration::from_std(config.lease).expect("lease") + Duration::seconds(1));
    let mut again = Vec::new();
    while let Some(c) = claim_one(db, config, app.clock_now()).await.expect("claim") {
        assert_eq!(c.attempts, 2, "{c:?}");
        again.push(c.id);
    }
    first.sort();
    again.sort();
    assert_eq!(again, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_from_two_processes_at_once_never_pass_the_endpoint_limit() {
    let app = TestApp::spawn_with_args(|a| {
        a.webhooks.allow_private_targets = Some(true);
        a.webhooks.endpoint_concurrency = Some(3);
    })
    .await;
    let other = switchboard::server::build_state(app.state.config.clone(), app.url.clone(), app.clock.clone())
        .await
        .expect("second process");
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let ws_id = ws.parse().expect("ws");
    let db = &app.state.db;
    let (id, _) = add_endpoint(&admin, "http://127.0.0.1:9/hook", json!(["workspace.updated"])).await;
    let endpoint_id = id.parse().expect("id");
    let mut tx = db.begin().await.expect("begin");
    for n in 0..40 {
        let now = app.clock_now();
        let payload =
            switchboard::events::envelope(&switchboard::workspaces::UPDATED_EVENT, &ws_id, now, json!({ "n": n }));
        enqueue::message(&mut tx, &ws_id, "workspace.updated", &payload, &[&endpoint_id], now).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    app.clock.advance(Duration::seconds(1));

    // Twenty claims at once, half from each process, each asking for two.
    let now = app.clock_now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let state = if i % 2 == 0 { app.state.clone() } else { other.clone() };
        tasks.push(tokio::spawn(async move {
            switchboard::webhooks::delivery::claim_batch(&state.db, &state.config.webhooks, now, 2)
                .await
                .expect("claim")
                .len()
        }));
    }
    let mut claimed = 0;
    for task in tasks {
        claimed += task.await.expect("task");
    }
    assert_eq!(claimed, 3, "the endpoint's limit, over both processes");
}
