//! Recording usage (`POST /api/v1/usage/events`): a bad event rejects the
//! whole batch with an error per event and records nothing; repeats are
//! duplicates charged once; credits follow the rate card and a plan's
//! override; the debits and roll-ups reconcile (`usage verify`, which also
//! names a tampered row); Viewers are refused; and the 50/80/100 % alerts
//! fire once each, under concurrent batches and from two processes.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::usage::ingest_input::NewEvent;
use switchboard::usage::{UsageType, ingest};
use switchboard_core::{AgentId, Credits, WorkspaceId};
use switchboard_db::{execute, fetch_scalar};

use crate::credits_ledger::{balance, whole, workspace};
use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, on_postgres};

const EVENTS: &str = "/api/v1/usage/events";

async fn count(app: &TestApp, sql: &'static str, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, sql, ws.as_str()).expect("count")
}

const EVENT_COUNT: &str = "SELECT COUNT(*) FROM usage_events WHERE workspace_id = $1";
const USAGE_DEBITS: &str = "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'usage'";
const HOURLY_ROWS: &str = "SELECT COUNT(*) FROM usage_hourly WHERE workspace_id = $1";

/// A token of `role` for the admin's workspace.
async fn token(app: &TestApp, admin: &Visitor, role: &str) -> TokenClient {
    let (_, secret) = create_token(admin, &format!("{role} service"), role, None).await;
    TokenClient::bearer(&app.url, &secret)
}

async fn agent(app: &TestApp, ws: &WorkspaceId, name: &str) -> AgentId {
    let id = AgentId::new();
    let now = app.clock_now();
    execute!(
        &app.state.db,
        "INSERT INTO agents (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, $2, $3, 'LIVE', $4, $4)",
        id.as_str(),
        ws.as_str(),
        name,
        now
    )
    .expect("agent");
    id
}

fn event(app: &TestApp, t: &str, quantity: i64, key: &str) -> Value {
    let at = (app.clock_now() - chrono::Duration::minutes(30)).to_rfc3339();
    json!({"type": t, "quantity": quantity, "occurred_at": at, "idempotency_key": key})
}

async fn ingest_ok(client: &TokenClient, events: Vec<Value>) -> Value {
    let res = client.call(Method::POST, EVENTS, Some(json!({ "events": events }))).await;
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn verify_report(app: &TestApp, ws: &WorkspaceId) -> switchboard::usage::verify::UsageVerification {
    let mut tx = app.state.db.begin().await.expect("tx");
    let report = switchboard::usage::verify::verify(&mut tx, ws).await.expect("verify");
    tx.rollback().await.expect("rollback");
    report
}

#[tokio::test]
async fn a_bad_event_rejects_the_whole_batch_with_an_error_per_event_and_records_nothing() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let client = token(&app, &admin, "member").await;
    let before = balance(&app.state, &ws).await;

    let future = (app.clock_now() + chrono::Duration::hours(1)).to_rfc3339();
    let batch = json!({"events": [
        event(&app, "call_minutes", 61, "ok-1"),
        {"type": "calls", "quantity": 1, "occurred_at": future, "idempotency_key": "bad-1"},
        event(&app, "sms", -2, "bad-2"),
        event(&app, "sms", 1, "ok-1"),
    ]});
    let res = client.call(Method::POST, EVENTS, Some(batch)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.headers()["content-type"].to_str().expect("type").starts_with("application/problem+json"));
    let problem: Value = res.json().await.expect("json");
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(
        fields,
        ["events[1].type", "events[1].occurred_at", "events[2].quantity", "events[3].idempotency_key"],
        "{problem}"
    );
    assert!(problem["detail"].as_str().expect("detail").contains("3 events are not valid"), "{problem}");

    // An agent of another workspace (or none) is an error too, found in one query.
    let other_admin = app.user_with_workspace("Bo", "bo@example.com", "Other").await;
    let other_ws: WorkspaceId = other_admin.workspace_id().await.parse().expect("ws");
    let theirs = agent(&app, &other_ws, "Theirs").await;
    let mine = agent(&app, &ws, "Mine").await;
    let mut with_agents = vec![event(&app, "sms", 1, "a-1"), event(&app, "sms", 1, "a-2")];
    with_agents[0]["agent_id"] = json!(mine.as_str());
    with_agents[1]["agent_id"] = json!(theirs.as_str());
    let res = client.call(Method::POST, EVENTS, Some(json!({ "events": with_agents }))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "events[1].agent_id", "{problem}");

    // 1,001 events: refused as a whole.
    let many: Vec<Value> = (0..1_001).map(|i| event(&app, "sms", 1, &format!("k{i}"))).collect();
    let res = client.call(Method::POST, EVENTS, Some(json!({ "events": many }))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "events", "{problem}");

    assert_eq!(count(&app, EVENT_COUNT, &ws).await, 0);
    assert_eq!(count(&app, USAGE_DEBITS, &ws).await, 0);
    assert_eq!(count(&app, HOURLY_ROWS, &ws).await, 0);
    assert_eq!(balance(&app.state, &ws).await, before);

    // An empty batch is valid and records nothing; 1,000 events are fine.
    let empty = ingest_ok(&client, Vec::new()).await;
    assert_eq!((empty["recorded"].as_u64(), empty["credits_charged"].as_i64()), (Some(0), Some(0)));
    let thousand: Vec<Value> = (0..1_000).map(|i| event(&app, "sms", 1, &format!("k{i}"))).collect();
    let done = ingest_ok(&client, thousand).await;
    assert_eq!(done["recorded"], 1_000);
    assert_eq!(count(&app, EVENT_COUNT, &ws).await, 1_000);
}

#[tokio::test]
async fn repeats_are_duplicates_charged_once_and_credits_follow_the_rate_card() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let client = token(&app, &admin, "member").await;
    let agent_id = agent(&app, &ws, "Front desk").await;
    let before = balance(&app.state, &ws).await.total();

    let mut call = event(&app, "call_minutes", 61, "call-1");
    call["agent_id"] = json!(agent_id.as_str());
    call["metadata"] = json!({"call_sid": "CA123"});
    let batch = vec![
        call,
        event(&app, "call_minutes", 0, "call-0"),
        event(&app, "sms", 3, "sms-1"),
        event(&app, "tts_characters", 1_001, "tts-1"),
        event(&app, "voice_clone", 1, "clone-1"),
    ];
    let first = ingest_ok(&client, batch.clone()).await;
    assert_eq!((first["recorded"].as_u64(), first["duplicates"].as_u64()), (Some(5), Some(0)), "{first}");
    // 2 started minutes × 10 + 0 + 3 × 1 + 2 started thousands × 2 + 200.
    let expected = whole(20 + 3 + 4 + 200);
    assert_eq!(first["credits_charged"].as_i64(), Some(expected.millis()), "{first}");
    let credits: Vec<i64> =
        first["events"].as_array().expect("events").iter().filter_map(|e| e["credits"].as_i64()).collect();
    assert_eq!(credits, [20_000, 0, 3_000, 4_000, 200_000]);
    assert_eq!(balance(&app.state, &ws).await.total(), before.checked_sub(expected).expect("sub"));
    assert_eq!(count(&app, USAGE_DEBITS, &ws).await, 4, "one debit per type that cost something");

    // The same batch again: all duplicates, the first IDs, nothing charged.
    let again = ingest_ok(&client, batch.clone()).await;
    assert_eq!((again["recorded"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(5)));
    assert_eq!(again["credits_charged"], 0);
    for (a, b) in first["events"].as_array().expect("a").iter().zip(again["events"].as_array().expect("b")) {
        assert_eq!(
            (a["id"].clone(), a["credits"].clone(), b["duplicate"].clone()),
            (b["id"].clone(), b["credits"].clone(), json!(true))
        );
    }
    // A mixed batch: the old key is a duplicate, the new one is charged.
    let mixed = ingest_ok(&client, vec![batch[2].clone(), event(&app, "sms", 2, "sms-2")]).await;
    assert_eq!((mixed["recorded"].as_u64(), mixed["duplicates"].as_u64()), (Some(1), Some(1)));
    assert_eq!(mixed["credits_charged"], 2_000);
    assert_eq!(count(&app, EVENT_COUNT, &ws).await, 6);
    assert_eq!(
        balance(&app.state, &ws).await.total(),
        before.checked_sub(whole(229)).expect("sub"),
        "227 + 2 credits in all"
    );

    // The ledger and the roll-ups agree with the events.
    let report = verify_report(&app, &ws).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.events, report.event_credits, report.ledger_credits), (6, 229_000, 229_000));
    let agent_hour: i64 = fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT credits FROM usage_hourly WHERE workspace_id = $1 AND agent_id = $2",
        ws.as_str(),
        agent_id.as_str()
    )
    .expect("agent's hour");
    assert_eq!(agent_hour, 20_000);
    let sms_events: i64 = fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT events FROM usage_hourly WHERE workspace_id = $1 AND type = 'sms'",
        ws.as_str()
    )
    .expect("sms hour");
    assert_eq!(sms_events, 2, "two batches add to one roll-up row");
}

#[tokio::test]
async fn a_plan_override_prices_calls_and_viewer_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    execute!(
        &app.state.db,
        "UPDATE subscriptions SET plan_key = 'business', status = 'active' WHERE workspace_id = $1",
        ws.as_str()
    )
    .expect("business plan");
    let client = token(&app, &admin, "admin").await;
    let done = ingest_ok(&client, vec![event(&app, "call_minutes", 61, "c"), event(&app, "sms", 1, "s")]).await;
    assert_eq!(done["credits_charged"], whole(16 + 1).millis(), "8 a started minute on Business, SMS as everywhere");

    let viewer = token(&app, &admin, "viewer").await;
    let res = viewer.call(Method::POST, EVENTS, Some(json!({"events": [event(&app, "sms", 1, "v")]}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, EVENT_COUNT, &ws).await, 2);
}

const ALERTS: &str = "SELECT COUNT(*) FROM usage_alerts WHERE workspace_id = $1";
const ALERT_EVENTS: &str =
    "SELECT COUNT(*) FROM webhook_messages WHERE workspace_id = $1 AND event_type = 'usage.threshold_reached'";

async fn listen_for_alerts(admin: &Visitor) {
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["usage.threshold_reached"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

fn alert_subjects(app: &TestApp) -> Vec<String> {
    let mut subjects: Vec<String> = app
        .outbox()
        .iter()
        .filter_map(|m| {
            m.lines().find(|l| l.starts_with("Subject:") && l.contains("of this cycle")).map(str::to_string)
        })
        .collect();
    subjects.sort();
    subjects
}

#[tokio::test]
async fn alerts_fire_once_each_under_concurrent_batches_with_an_email_and_an_event() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    listen_for_alerts(&admin).await;
    let client = std::sync::Arc::new(token(&app, &admin, "member").await);
    // The trial includes 1,000 credits; eight batches of 150 credits at once take 1,200.
    let mut tasks = Vec::new();
    for b in 0..8 {
        let client = client.clone();
        let events: Vec<Value> = (0..15).map(|i| event(&app, "call_minutes", 60, &format!("b{b}-{i}"))).collect();
        tasks.push(tokio::spawn(async move { ingest_ok(&client, events).await }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(count(&app, ALERTS, &ws).await, 3);
    assert_eq!(count(&app, ALERT_EVENTS, &ws).await, 3, "one event per threshold");
    let payload: String = switchboard_db::fetch_scalar!(
        &app.state.db,
        String,
        "SELECT payload FROM webhook_messages WHERE workspace_id = $1 AND event_type = 'usage.threshold_reached'
         AND payload LIKE '%\"threshold\":100%'",
        ws.as_str()
    )
    .expect("100 % event");
    let payload: Value = serde_json::from_str(&payload).expect("json");
    assert_eq!(payload["data"]["allowance"], 1_000_000, "{payload}");
    assert!(payload["data"]["used"].as_i64() >= Some(1_000_000), "{payload}");
    app.run_jobs().await;
    let subjects = alert_subjects(&app);
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    for pct in ["100%", "50%", "80%"] {
        assert_eq!(subjects.iter().filter(|s| s.contains(&format!("used {pct} "))).count(), 1, "{subjects:?}");
    }

    // More usage in the same cycle: nothing new.
    ingest_ok(&client, vec![event(&app, "call_minutes", 600, "more")]).await;
    app.run_jobs().await;
    assert_eq!(count(&app, ALERTS, &ws).await, 3);
    assert_eq!(alert_subjects(&app).len(), 3);
    assert!(verify_report(&app, &ws).await.ok());
}

#[tokio::test]
async fn one_batch_crossing_two_thresholds_sends_both_events_and_one_email() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    listen_for_alerts(&admin).await;
    let client = token(&app, &admin, "admin").await;
    // 85 minutes: 850 of 1,000 credits.
    ingest_ok(&client, vec![event(&app, "call_minutes", 85 * 60, "long call")]).await;
    assert_eq!(count(&app, ALERT_EVENTS, &ws).await, 2);
    app.run_jobs().await;
    let subjects = alert_subjects(&app);
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(subjects[0].contains("used 80%"), "{subjects:?}");
}

fn new_events(prefix: &str, n: usize, at: chrono::DateTime<chrono::Utc>) -> Vec<NewEvent> {
    (0..n)
        .map(|i| NewEvent {
            usage_type: UsageType::CallMinutes,
            quantity: 60,
            occurred_at: at,
            agent_id: None,
            idempotency_key: format!("{prefix}-{i}"),
            metadata: None,
        })
        .collect()
}

#[tokio::test]
async fn alerts_fire_once_each_when_two_processes_ingest_at_once() {
    if !on_postgres() {
        eprintln!("SKIPPED: two processes share a database on PostgreSQL only");
        return;
    }
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    let second = switchboard::server::build_state(app.state.config.clone(), app.url.clone(), app.clock.clone())
        .await
        .expect("second process");
    let states = [app.state.clone(), second];
    let at = app.clock_now() - chrono::Duration::minutes(5);
    let mut tasks = Vec::new();
    for b in 0..12 {
        let state = states[b % 2].clone();
        let ws = ws.clone();
        // Batches 0 and 1 share keys: whichever commits second finds them recorded.
        let events = new_events(&format!("b{}", b.max(1)), 10, at);
        tasks.push(tokio::spawn(async move { ingest::record(&state, &ws, &events).await }));
    }
    let mut recorded = 0;
    for task in tasks {
        recorded += task.await.expect("task").expect("record").recorded;
    }
    assert_eq!(recorded, 110, "the shared keys were recorded once");
    assert_eq!(count(&app, ALERTS, &ws).await, 3, "1,100 of 1,000 credits: each threshold once");
    let report = verify_report(&app, &ws).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.event_credits, Credits::from_whole(1_100).expect("c").millis());
}

fn run_verify(app: &TestApp, ws: Option<&WorkspaceId>) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env_remove("DATABASE_URL").args(["usage", "verify"]);
    if let Some(ws) = ws {
        cmd.args(["--workspace", ws.as_str()]);
    }
    let out = cmd
        .arg("--database-url")
        .arg(&app.state.config.database_url)
        .arg("--data-dir")
        .arg(&app.state.config.data_dir)
        .output()
        .expect("run");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn usage_verify_reports_ok_and_names_a_tampered_roll_up_and_event() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let client = token(&app, &admin, "member").await;
    let batch: Vec<Value> =
        (0..25).map(|i| event(&app, if i % 2 == 0 { "sms" } else { "call_minutes" }, 90, &format!("e{i}"))).collect();
    ingest_ok(&client, batch).await;
    let (ok, out) = run_verify(&app, None);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("{ws}: ok, 25 events")), "{out}");

    execute!(
        &app.state.db,
        "UPDATE usage_hourly SET credits = credits + 1000 WHERE workspace_id = $1 AND type = 'sms'",
        ws.as_str()
    )
    .expect("tamper");
    let (ok, out) = run_verify(&app, Some(&ws));
    assert!(!ok, "a difference exits non-zero: {out}");
    assert!(out.contains("DIFFERS") && out.contains("roll-up") && out.contains("sms"), "{out}");
    execute!(
        &app.state.db,
        "UPDATE usage_hourly SET credits = credits - 1000 WHERE workspace_id = $1 AND type = 'sms'",
        ws.as_str()
    )
    .expect("untamper");
    assert!(run_verify(&app, Some(&ws)).0);

    execute!(
        &app.state.db,
        "UPDATE usage_events SET credits = credits + 500 WHERE workspace_id = $1 AND idempotency_key = 'e1'",
        ws.as_str()
    )
    .expect("tamper");
    let report = verify_report(&app, &ws).await;
    let text = report.differences.join("\n");
    assert!(text.contains("the events cost") && text.contains("ledger entry"), "{text}");
    let (ok, out) = run_verify(&app, Some(&ws));
    assert!(!ok && out.contains("usage debits sum to"), "{out}");
}
