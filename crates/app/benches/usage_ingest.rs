//! Usage ingest through the HTTP API: a server on a free loopback port
//! (in this process), four concurrent clients posting batches of 1,000
//! events with an API token to `POST /api/v1/usage/events`, against the
//! same four clients posting empty batches in the same run (the cost of
//! HTTP, token authentication and JSON without any recording). Prints
//! events per second and the ratio of batch to empty-batch request rates.
//! The API rate limit is off (`--api-rate-limit off`) so it does not
//! throttle the run; every event is new (unique keys), a third name an
//! agent, types rotate, and `usage verify` checks the result at the end.
//!
//! Run:
//!
//!     cargo bench -p switchboard --bench usage_ingest
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench usage_ingest
//!
//! `SWITCHBOARD_BENCH_SECONDS` (default 10) is each phase's length.
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use switchboard::usage::UsageType;
use switchboard_core::{AgentId, WorkspaceId};
use switchboard_db::execute;

const CLIENTS: usize = 4;
const BATCH: usize = 1_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A workspace with an Admin, an Admin token and three agents.
async fn setup(state: &AppState) -> anyhow::Result<(WorkspaceId, String, Vec<AgentId>)> {
    let now = chrono::Utc::now();
    let mut tx = state.db.begin().await?;
    let (ws, _admin, token) = admin_workspace::create(&mut tx, now).await?;
    let mut agents = Vec::new();
    for n in 0..3 {
        let id = AgentId::new();
        execute!(
            &mut tx,
            "INSERT INTO agents (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, $2, $3, 'LIVE', $4, $4)",
            id.as_str(),
            ws.as_str(),
            format!("Agent {n}"),
            now
        )?;
        agents.push(id);
    }
    tx.commit().await?;
    Ok((ws, token, agents))
}

/// A batch of `n` new events, keyed by `batch`.
fn body(batch: u64, n: usize, agents: &[AgentId]) -> String {
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let mut out = String::with_capacity(n * 160 + 16);
    out.push_str("{\"events\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let t = UsageType::ALL[i % UsageType::ALL.len()];
        let agent = if i % 3 == 0 { format!(",\"agent_id\":\"{}\"", agents[i % agents.len()]) } else { String::new() };
        let _ = write!(
            out,
            "{{\"type\":\"{t}\",\"quantity\":{q},\"occurred_at\":\"{at}\",\"idempotency_key\":\"b{batch}-{i}\"{agent}}}",
            q = 1 + (i % 300)
        );
    }
    out.push_str("]}");
    out
}

/// `CLIENTS` clients posting batches of `n` events until `length` has
/// passed; (requests, events) per second.
async fn run(
    url: &str,
    token: &str,
    agents: &Arc<Vec<AgentId>>,
    n: usize,
    length: Duration,
    counter: &Arc<AtomicU64>,
) -> anyhow::Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let requests = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, token) = (client.clone(), format!("{url}/api/v1/usage/events"), token.to_string());
        let (agents, requests, counter) = (agents.clone(), requests.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < length {
                let batch = counter.fetch_add(1, Ordering::Relaxed);
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body(batch, n, &agents))
                    .send()
                    .await?;
                let status = res.status();
                let text = res.text().await?;
                anyhow::ensure!(status.is_success(), "{status}: {text}");
                requests.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let done = requests.load(Ordering::Relaxed) as f64;
    Ok((done / secs, done * n as f64 / secs))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        db_max_connections: Some(u32::try_from(CLIENTS)? + 4),
        ..Default::default()
    };
    args.rate_limits.api = Some("off".into());
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, "http://127.0.0.1".into(), Arc::new(SystemClock))
            .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = switchboard::routes::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });

    let (ws, token, agents) = setup(&state).await?;
    let agents = Arc::new(agents);
    let length = Duration::from_secs(env_number("SWITCHBOARD_BENCH_SECONDS", 10));
    let counter = Arc::new(AtomicU64::new(0));
    println!("backend: {}   ({CLIENTS} clients, {length:?} per phase)", state.db.backend().name());

    // Warm up: connections, prepared statements, the trial and the balance row.
    run(&url, &token, &agents, BATCH, Duration::from_millis(500), &counter).await?;
    let (empty_rps, _) = run(&url, &token, &agents, 0, length, &counter).await?;
    let (batch_rps, events_per_sec) = run(&url, &token, &agents, BATCH, length, &counter).await?;
    println!("empty batches:          {empty_rps:>10.0} requests/s");
    println!("batches of {BATCH}:      {batch_rps:>10.1} requests/s = {events_per_sec:>10.0} events/s");
    println!("ratio batch/empty:      {:>10.4} (requests/s)", batch_rps / empty_rps);
    println!("target:                      50000 events/s on SQLite");

    let started = Instant::now();
    let mut tx = state.db.begin().await?;
    let report = switchboard::usage::verify::verify(&mut tx, &ws).await?;
    tx.rollback().await?;
    println!(
        "usage verify: {} events, {} in {:?}",
        report.events,
        if report.ok() { "ok".to_string() } else { format!("{:?}", report.differences) },
        started.elapsed()
    );
    anyhow::ensure!(report.ok(), "usage verify found differences");
    Ok(())
}
