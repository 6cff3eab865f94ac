//! Two `switchboard serve` processes on one PostgreSQL database share one
//! delivery queue: 4,000 messages, none lost, none sent twice, never the
//! same `webhook-id` in flight twice at once, and never more requests in
//! flight to the endpoint than `--webhook-endpoint-concurrency` over both
//! processes. (PostgreSQL only: SQLite is for one process. The full-size
//! run is the `webhook_delivery` benchmark.)
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use serde_json::json;
use switchboard::webhooks::{enqueue, store};
use switchboard_db::fetch_scalar;

use crate::harness::on_postgres;
use crate::webhook_support::start_server;
use crate::webhooks::{add_endpoint, app_allowing_local_targets};

const MESSAGES: usize = 4_000;
const BATCH: usize = 1_000;
/// `--webhook-endpoint-concurrency` of both processes.
const CONCURRENCY: usize = 16;

/// What the receiver saw, per `webhook-id`.
#[derive(Default)]
struct Tracker {
    in_flight: HashMap<String, u32>,
    /// Requests being answered now, and the most there ever were.
    open: usize,
    most_open: usize,
    seen: HashMap<String, u32>,
    /// IDs that arrived while a request with the same ID was in flight.
    overlaps: Vec<String>,
    /// Requests per client port (one per keep-alive connection).
    by_port: HashMap<u16, usize>,
    last_finished: Option<Instant>,
}

type Shared = Arc<Mutex<Tracker>>;

fn lock(t: &Shared) -> std::sync::MutexGuard<'_, Tracker> {
    t.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn receive(
    State(t): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> StatusCode {
    let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()).map(str::to_string) else {
        return StatusCode::BAD_REQUEST;
    };
    {
        let mut t = lock(&t);
        let n = t.in_flight.entry(id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            t.overlaps.push(id.clone());
        }
        *t.seen.entry(id.clone()).or_default() += 1;
        *t.by_port.entry(peer.port()).or_default() += 1;
        t.open += 1;
        t.most_open = t.most_open.max(t.open);
    }
    // Hold the request a moment, so a second copy would meet the first.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let mut t = lock(&t);
    if let Some(n) = t.in_flight.get_mut(&id) {
        *n -= 1;
    }
    t.open -= 1;
    t.last_finished = Some(Instant::now());
    StatusCode::NO_CONTENT
}

/// The local TCP ports of a process's sockets, from /proc (best effort: it
/// only says which process sent what when /proc/net/tcp is there).
fn local_ports(pid: u32) -> HashSet<u16> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(inode)) = (fields.get(1), fields.get(9)) else { continue };
            if inodes.contains(*inode)
                && let Some(port) = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.insert(port);
            }
        }
    }
    ports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_deliver_ten_thousand_messages_once_each() {
    if !on_postgres() {
        eprintln!("SKIPPED: two processes share a queue on PostgreSQL only");
        return;
    }
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let tracker = Shared::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(tracker.clone());
    tokio::spawn(
        async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await },
    );
    let (endpoint_id, _) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;

    let logs = tempfile::tempdir().expect("dir");
    // Up to 16 attempts in flight over both processes (the default is 4), so
    // both keep claiming side by side rather than one holding every slot.
    let concurrency = CONCURRENCY.to_string();
    let flags = ["--webhook-allow-private-targets", "true", "--webhook-endpoint-concurrency", concurrency.as_str()];
    let servers = [
        start_server(&app, &logs.path().join("a.log"), &flags),
        start_server(&app, &logs.path().join("b.log"), &flags),
    ];

    // Enqueued while both run, in transactions of 1,000, as changes would.
    let db = &app.state.db;
    let endpoint = store::find_endpoint(db, &ws.parse().expect("ws"), &endpoint_id.parse().expect("id"))
        .await
        .expect("find")
        .expect("endpoint");
    let started = Instant::now();
    for batch in 0..MESSAGES / BATCH {
        let now = Utc::now();
        let mut tx = db.begin().await.expect("begin");
        for n in batch * BATCH..(batch + 1) * BATCH {
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
    }
    let enqueued_in = started.elapsed();

    // About 450 deliveries a second with debug builds on a shared 2-core
    // machine (9 s for all); the limit leaves room for a much slower one.
    let limit = Duration::from_secs(120);
    loop {
        let done = fetch_scalar!(
            db,
            i64,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'succeeded'",
            &endpoint_id
        )
        .expect("count");
        if done == MESSAGES as i64 {
            break;
        }
        assert!(
            started.elapsed() < limit,
            "{done} of {MESSAGES} delivered after {limit:?}; server logs:\n{}\n{}",
            std::fs::read_to_string(logs.path().join("a.log")).unwrap_or_default(),
            std::fs::read_to_string(logs.path().join("b.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delivered_in = started.elapsed();

    // Which process sent what, while their connections are still open.
    let split: Vec<usize> = {
        let t = lock(&tracker);
        servers.iter().map(|s| local_ports(s.0.id()).iter().filter_map(|p| t.by_port.get(p)).sum()).collect()
    };
    drop(servers);

    let stored: Vec<(String,)> =
        switchboard_db::fetch_all!(db, (String,), "SELECT id FROM webhook_messages WHERE workspace_id = $1", &ws)
            .expect("ids");
    let stored: HashSet<String> = stored.into_iter().map(|(id,)| id).collect();
    let attempts =
        fetch_scalar!(db, i64, "SELECT COUNT(*) FROM webhook_attempts WHERE workspace_id = $1", &ws).expect("attempts");
    let t = lock(&tracker);
    let received: HashSet<String> = t.seen.keys().cloned().collect();
    assert_eq!(stored.len(), MESSAGES);
    assert_eq!(received, stored, "every message arrived, and nothing else");
    assert!(t.overlaps.is_empty(), "in flight twice at once: {:?}", t.overlaps);
    assert!(t.most_open <= CONCURRENCY, "{} requests in flight at once, over a limit of {CONCURRENCY}", t.most_open);
    let requests: u32 = t.seen.values().sum();
    assert_eq!(requests as usize, MESSAGES, "no message was sent twice (no lease ran out)");
    assert_eq!(attempts, MESSAGES as i64, "one attempt per delivery");
    if split.iter().sum::<usize>() > 0 {
        assert!(split.iter().all(|n| *n > 0), "both processes delivered: {split:?}");
    }
    let rate = MESSAGES as f64 / delivered_in.as_secs_f64();
    eprintln!(
        "two processes on PostgreSQL: {MESSAGES} messages enqueued in {enqueued_in:.1?}, all delivered after \
         {delivered_in:.1?} ({rate:.0}/s); requests per process (from /proc, when it tells): {split:?}; \
         {} connections; at most {} in flight; no overlap, no duplicate",
        t.by_port.len(),
        t.most_open
    );
}
