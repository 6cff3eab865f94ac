//! Webhook delivery against a local receiver, with real `switchboard serve`
//! processes (the release binary) on one database:
//!
//! 1. **Throughput**: `N` events enqueued up front (10 endpoints), then one
//!    server process — and then two — deliver them all; deliveries per
//!    second, against the receiver's own rate when the bench posts to it
//!    directly with the same concurrency (the baseline, same run).
//! 2. **Latency**: changes made through the API (`PATCH /api/v1/workspace`
//!    with a token) at a steady 500 per second for 10 s, one endpoint
//!    subscribed; for each, the time from the change's commit (its API
//!    response) to the receiver's 200.
//!
//! ```text
//!     cargo build --release && cargo bench -p switchboard --bench webhook_delivery
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench webhook_delivery
//!     (BENCH_EVENTS=20000 BENCH_RATE=500 BENCH_SECONDS=10 BENCH_ENDPOINT_CONCURRENCY=4
//!      BENCH_SKIP_THROUGHPUT=1 adjust it)
//! ```
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use switchboard::config::{CommonArgs, Config};
use switchboard::server_key::ServerKeys;
use switchboard::webhooks::{enqueue, secret, store};
use switchboard_core::WorkspaceId;
use switchboard_db::{Db, fetch_scalar};

const ENDPOINTS: usize = 10;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Receive time of each `webhook-id`, stamped when the 200 is sent.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<HashMap<String, Instant>>>);

async fn receiver() -> anyhow::Result<(String, Log)> {
    let log = Log::default();
    let seen = log.clone();
    let app = axum::Router::new().route(
        "/hook/{n}",
        axum::routing::post(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok())
                    && let Ok(mut map) = seen.0.lock()
                {
                    map.entry(id.to_string()).or_insert_with(Instant::now);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((base, log))
}

struct Setup {
    db: Db,
    ws: WorkspaceId,
    token: String,
    endpoints: Vec<store::EndpointRow>,
}

async fn setup(
    url: &str,
    key: &ServerKeys,
    receiver: &str,
    types: &[&str],
    endpoints_wanted: usize,
) -> anyhow::Result<Setup> {
    let args = CommonArgs { database_url: Some(url.into()), ..Default::default() };
    let db = switchboard::server::connect(&Config::resolve(&args)?).await?;
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let (ws, admin, token) = admin_workspace::create(&mut tx, now).await?;
    let mut endpoints = Vec::new();
    for n in 0..endpoints_wanted {
        let id = switchboard_core::WebhookEndpointId::new();
        let row = store::EndpointRow {
            id: id.clone(),
            workspace_id: ws.clone(),
            url: format!("{receiver}/{n}"),
            description: String::new(),
            event_types: sqlx::types::Json(types.iter().map(|t| t.to_string()).collect()),
            enabled: true,
            disabled_reason: None,
            secret_enc: secret::seal(key, id.as_str(), &secret::generate())?,
            previous_secret_enc: None,
            previous_secret_until: None,
            failing_since: None,
            created_by: admin.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_endpoint(&mut tx, &ws, &row).await?;
        endpoints.push(row);
    }
    tx.commit().await?;
    Ok(Setup { db, ws, token, endpoints })
}

fn serve(bin: &Path, url: &str, data: &Path, key: &Path) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url, "--api-rate-limit", "off"])
        .args(["--webhook-allow-private-targets", "true", "--log-format", "text"])
        .args(["--webhook-endpoint-concurrency", &env_or("BENCH_ENDPOINT_CONCURRENCY", 4u32).to_string()])
        .arg("--data-dir")
        .arg(data)
        .arg("--server-key-file")
        .arg(key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let at = line.find("http://").ok_or_else(|| anyhow::anyhow!("server said {line:?}"))?;
    Ok((child, line[at..].trim().to_string()))
}

async fn pending(db: &Db) -> anyhow::Result<i64> {
    Ok(fetch_scalar!(db, i64, "SELECT COUNT(*) FROM webhook_deliveries WHERE status IN ('pending', 'sending')")?)
}

/// Enqueues `n` events for every endpoint; returns the deliveries made.
async fn enqueue_events(s: &Setup, n: usize) -> anyhow::Result<usize> {
    let refs: Vec<&switchboard_core::WebhookEndpointId> = s.endpoints.iter().map(|e| &e.id).collect();
    let per = n / refs.len();
    for chunk in 0..per.div_ceil(500) {
        let mut tx = s.db.begin().await?;
        for i in 0..500.min(per - chunk * 500) {
            let now = chrono::Utc::now();
            let payload = switchboard::events::envelope(
                &switchboard::events::WEBHOOK_TEST,
                &s.ws,
                now,
                serde_json::json!({"n": i}),
            );
            enqueue::message(&mut tx, &s.ws, "webhook.test", &payload, &refs, now).await?;
        }
        tx.commit().await?;
    }
    Ok(per * refs.len())
}

/// Deliveries per second with `processes` servers draining `n` events.
async fn throughput(bin: &Path, url: &str, dir: &Path, s: &Setup, n: usize, processes: usize) -> anyhow::Result<f64> {
    let total = enqueue_events(s, n).await?;
    let key = dir.join("server.key");
    let start = Instant::now();
    let mut children = Vec::new();
    for p in 0..processes {
        children.push(serve(bin, url, &dir.join(format!("data{p}")), &key)?.0);
    }
    while pending(&s.db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    Ok(rate)
}

/// The receiver's own rate: the bench posts to it with 40 requests in flight.
async fn baseline(base: &str, n: usize) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let per = n / 40;
    for w in 0..40 {
        let (client, url) = (client.clone(), format!("{base}/{}", w % ENDPOINTS));
        set.spawn(async move {
            for i in 0..per {
                let _ = client.post(&url).header("webhook-id", format!("base_{w}_{i}")).body("{}").send().await;
            }
        });
    }
    while set.join_next().await.is_some() {}
    Ok((per * 40) as f64 / start.elapsed().as_secs_f64())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = env_or("BENCH_EVENTS", 20_000);
    let rate: u64 = env_or("BENCH_RATE", 500);
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    let bin = target.join("release/switchboard");
    anyhow::ensure!(bin.exists(), "build the server first: cargo build --release ({} is missing)", bin.display());
    let dir = tempfile::tempdir()?;
    let url = std::env::var("SWITCHBOARD_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", dir.path().join("bench.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let key = ServerKeys::load_or_create(&dir.path().join("server.key"))?;
    let (base, log) = receiver().await?;
    println!("webhook delivery bench on {backend}: {events} events over {ENDPOINTS} endpoints");

    let s = setup(&url, &key, &base, &["webhook.test"], ENDPOINTS).await?;
    let base_rate = baseline(&base, events).await?;
    println!("  baseline: receiver alone {base_rate:.0} req/s");
    let phases: &[usize] = if env_or("BENCH_SKIP_THROUGHPUT", 0u8) == 1 { &[] } else { &[1, 2] };
    for &processes in phases {
        let r = throughput(&bin, &url, dir.path(), &s, events, processes).await?;
        println!("  throughput, {processes} process(es): {r:.0} deliveries/s (ratio to baseline {:.3})", r / base_rate);
    }

    // Latency: changes through the API at a steady rate, one endpoint subscribed.
    let s = setup(&url, &key, &base, &["workspace.updated"], 1).await?;
    let (mut child, server) = serve(&bin, &url, &dir.path().join("latency"), &dir.path().join("server.key"))?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let sent: Arc<Mutex<Vec<(usize, Instant, Instant)>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..(rate * seconds) as usize {
        tick.tick().await;
        let (client, sent, token, url) =
            (client.clone(), sent.clone(), s.token.clone(), format!("{server}/api/v1/workspace"));
        set.spawn(async move {
            let t0 = Instant::now();
            let res = client
                .patch(&url)
                .bearer_auth(&token)
                .json(&serde_json::json!({"name": format!("Bench {i}")}))
                .send()
                .await;
            if res.is_ok_and(|r| r.status().is_success())
                && let Ok(mut v) = sent.lock()
            {
                v.push((i, t0, Instant::now()));
            }
        });
    }
    while set.join_next().await.is_some() {}
    while pending(&s.db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    // Map each change to its message: the n-th workspace.updated message
    // names "Bench n" in its payload.
    let rows: Vec<(String, String)> = switchboard_db::fetch_all!(
        &s.db,
        (String, String),
        "SELECT id, payload FROM webhook_messages WHERE workspace_id = $1 AND event_type = 'workspace.updated'",
        s.ws.as_str()
    )?;
    let received = log.0.lock().map(|m| m.clone()).unwrap_or_default();
    let changes = sent.lock().map(|v| v.clone()).unwrap_or_default();
    let by_name: HashMap<String, (Instant, Instant)> =
        changes.iter().map(|(i, t0, t1)| (format!("Bench {i}"), (*t0, *t1))).collect();
    let (mut from_commit, mut from_request) = (Vec::new(), Vec::new());
    for (id, payload) in rows {
        let value: serde_json::Value = serde_json::from_str(&payload)?;
        let name = value["data"]["changes"]["name"]["after"].as_str().unwrap_or_default().to_string();
        if let (Some((t0, t1)), Some(at)) = (by_name.get(&name), received.get(&id)) {
            from_commit.push(at.saturating_duration_since(*t1).as_secs_f64() * 1000.0);
            from_request.push(at.saturating_duration_since(*t0).as_secs_f64() * 1000.0);
        }
    }
    from_commit.sort_by(f64::total_cmp);
    from_request.sort_by(f64::total_cmp);
    println!(
        "  latency at {rate} changes/s for {seconds}s ({} of {} delivered): commit→200 p50 {:.1} ms, p99 {:.1} ms; \
         request sent→200 p50 {:.1} ms, p99 {:.1} ms",
        from_commit.len(),
        changes.len(),
        percentile(&from_commit, 0.5),
        percentile(&from_commit, 0.99),
        percentile(&from_request, 0.5),
        percentile(&from_request, 0.99)
    );
    Ok(())
}
