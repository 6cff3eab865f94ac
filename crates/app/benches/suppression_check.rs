//! The suppression check through HTTP: a server on a free loopback port
//! (in this process), a workspace with 100,000 suppressions (phones in
//! both modes' shapes, some emails), and CLIENTS concurrent clients calling
//! `GET /api/v1/suppressions/check?phone=…&channel=…` with an Admin API
//! token — half the phones on the list, half not — against the same
//! clients calling `GET /healthz` in the same run (the cost of HTTP
//! alone). Prints requests per second of each and the ratio (the target
//! is ≥ 0.5 on SQLite).
//!
//! Run:
//!
//!     cargo bench -p switchboard --bench suppression_check
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench suppression_check
//!
//! `SWITCHBOARD_BENCH_SECONDS` (default 10) is each phase's length,
//! `SWITCHBOARD_BENCH_ENTRIES` (default 100000) the list's size,
//! `SWITCHBOARD_BENCH_CLIENTS` (default 4) the concurrent clients.
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use switchboard_core::{SuppressionId, WorkspaceId};
use switchboard_db::{Query, execute};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The n-th phone of the benchmark: even n are on the list, odd are not.
fn phone(n: u64) -> String {
    format!("+1415{:07}", n % 10_000_000)
}

/// A workspace (GRANULAR mode, so the join finds a row) with `entries`
/// suppressions, written in batches; its Admin token.
async fn setup(state: &AppState, entries: u64) -> anyhow::Result<(WorkspaceId, String)> {
    let now = chrono::Utc::now();
    let mut tx = state.db.begin().await?;
    let (ws, _admin, token) = admin_workspace::create(&mut tx, now).await?;
    execute!(
        &mut tx,
        "INSERT INTO workspace_consent_settings (workspace_id, mode, updated_at) VALUES ($1, 'GRANULAR', $2)",
        ws.as_str(),
        now
    )?;
    let channels = ["ALL", "CALLS", "SMS"];
    let mut n = 0;
    while n < entries {
        let mut q = Query::new(
            "INSERT INTO suppressions (id, workspace_id, phone, email, channel, reason, source, created_by, search_text, created_at) VALUES ",
        );
        for i in 0..500.min(entries - n) {
            let k = n + i;
            if i > 0 {
                q.push(", ");
            }
            // Every tenth entry an email; the others the even phones.
            let (p, e) =
                if k % 10 == 9 { (None, Some(format!("person{k}@example.com"))) } else { (Some(phone(2 * k)), None) };
            let text = format!("{} bench", p.clone().or(e.clone()).unwrap_or_default());
            q.push("(").bind(SuppressionId::new().to_string()).push(", ").bind(ws.as_str());
            q.push(", ").bind(p).push(", ").bind(e).push(", ").bind(channels[(k % 3) as usize]);
            q.push(", 'bench', 'API', 'bench', ").bind(text).push(", ").bind(now).push(")");
        }
        q.execute(&mut tx).await?;
        n += 500.min(entries - n);
    }
    tx.commit().await?;
    Ok((ws, token))
}

#[derive(Clone, Copy)]
enum Phase {
    Healthz,
    Check,
}

/// `clients` clients sending `phase`'s request until `length` has passed;
/// requests per second, and how many checks answered "not allowed".
async fn run(
    url: &str,
    token: &str,
    phase: Phase,
    clients: usize,
    length: Duration,
    entries: u64,
) -> anyhow::Result<(f64, u64)> {
    let client = reqwest::Client::new();
    let requests = Arc::new(AtomicU64::new(0));
    let blocked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, token) = (client.clone(), url.to_string(), token.to_string());
        let (requests, blocked) = (requests.clone(), blocked.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = c as u64 * 7919;
            while started.elapsed() < length {
                k = (k + 104_729) % (2 * entries);
                let res = match phase {
                    Phase::Healthz => client.get(format!("{url}/healthz")).send().await?,
                    Phase::Check => {
                        let channel = if k.is_multiple_of(2) { "CALLS" } else { "SMS" };
                        let p = phone(k).replace('+', "%2B");
                        client
                            .get(format!("{url}/api/v1/suppressions/check?phone={p}&channel={channel}"))
                            .bearer_auth(&token)
                            .send()
                            .await?
                    }
                };
                let status = res.status();
                let text = res.text().await?;
                anyhow::ensure!(status.is_success(), "{status}: {text}");
                if text.contains("\"allowed\":false") {
                    blocked.fetch_add(1, Ordering::Relaxed);
                }
                requests.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok((requests.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(), blocked.load(Ordering::Relaxed)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients = usize::try_from(env_number("SWITCHBOARD_BENCH_CLIENTS", 4))?;
    let entries = env_number("SWITCHBOARD_BENCH_ENTRIES", 100_000);
    let dir = tempfile::tempdir()?;
    let mut args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        db_max_connections: Some(u32::try_from(clients)? + 4),
        ..Default::default()
    };
    // The benchmark measures the check, not the per-token rate limit.
    args.rate_limits.api = Some("off".into());
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, "http://127.0.0.1".into(), Arc::new(SystemClock))
            .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = switchboard::routes::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });

    let made = Instant::now();
    let (_ws, token) = setup(&state, entries).await?;
    let length = Duration::from_secs(env_number("SWITCHBOARD_BENCH_SECONDS", 10));
    println!(
        "backend: {}   ({clients} clients, {length:?} per phase, {entries} suppressions written in {:.1?})",
        state.db.backend().name(),
        made.elapsed()
    );

    // Warm up: connections, prepared statements, the token's cache.
    run(&url, &token, Phase::Check, clients, Duration::from_millis(500), entries).await?;
    let (healthz, _) = run(&url, &token, Phase::Healthz, clients, length, entries).await?;
    let (checks, blocked) = run(&url, &token, Phase::Check, clients, length, entries).await?;
    println!("GET /healthz:                  {healthz:>10.0} requests/s");
    println!("GET /api/v1/suppressions/check: {checks:>9.0} requests/s ({blocked} answered allowed: false)");
    println!("ratio check/healthz:           {:>10.3}   (target ≥ 0.5 on SQLite)", checks / healthz);
    anyhow::ensure!(blocked > 0, "some checks must hit the list");
    Ok(())
}
