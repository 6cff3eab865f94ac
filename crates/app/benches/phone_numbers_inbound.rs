//! Carrier status callbacks through HTTP: a server on a free loopback port
//! (in this process), four concurrent clients posting Twilio-signed
//! `completed` status callbacks (each a new call, so each records a
//! `call_minutes` usage event and its debit) to `/inbound/twilio/status`,
//! against the same four clients calling `GET /healthz` in the same run
//! (the cost of HTTP alone). Prints callbacks per second and the ratio to
//! `/healthz`; at the end, `usage verify` checks the ledger against the
//! events and the event count against the callbacks sent.
//!
//! Run:
//!
//!     cargo bench -p switchboard --bench phone_numbers_inbound
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench phone_numbers_inbound
//!
//! `SWITCHBOARD_BENCH_SECONDS` (default 10) is each phase's length.
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::inbound::twilio;
use switchboard::phone_numbers::model::{NumberSource, NumberStatus, Role};
use switchboard::phone_numbers::store::{self, NewNumber};
use switchboard::state::AppState;
use switchboard_core::{AgentId, PhoneNumberId, WorkspaceId};
use switchboard_db::{execute, fetch_scalar};
use switchboard_providers::carriers::{Capabilities, NumberType};

const CLIENTS: usize = 4;
const TOKEN: &str = "bench-twilio-token";
const NUMBER: &str = "+14155550100";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A workspace with a LIVE agent answering an ACTIVE platform number.
async fn setup(state: &AppState) -> anyhow::Result<WorkspaceId> {
    let now = chrono::Utc::now();
    let mut tx = state.db.begin().await?;
    let (ws, _admin, _token) = admin_workspace::create(&mut tx, now).await?;
    let agent = AgentId::new();
    execute!(
        &mut tx,
        "INSERT INTO agents (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, $2, 'Front desk', 'LIVE', $3, $3)",
        agent.as_str(),
        ws.as_str(),
        now
    )?;
    let id = PhoneNumberId::new();
    let new = NewNumber {
        id: &id,
        e164: NUMBER,
        friendly_name: "Main line",
        country: "US",
        number_type: NumberType::Local,
        capabilities: Capabilities::ALL,
        source: NumberSource::Platform,
        carrier: "sandbox",
        carrier_account_id: None,
        carrier_ref: Some(NUMBER),
        monthly_price: 150_000,
        status: NumberStatus::Active,
        period_start: Some(now),
        renews_on: Some(now + chrono::Duration::days(30)),
    };
    store::insert(&mut tx, &ws, &new, now).await?;
    store::set_agent(&mut tx, &ws, &id, Role::Inbound, Some(&agent), now).await?;
    tx.commit().await?;
    Ok(ws)
}

/// What each phase sends.
#[derive(Clone, Copy)]
enum Phase {
    Healthz,
    StatusCallback,
}

/// `CLIENTS` clients sending `phase`'s request until `length` has passed;
/// requests per second.
async fn run(
    url: &str,
    public_url: &str,
    phase: Phase,
    length: Duration,
    calls: &Arc<AtomicU64>,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let requests = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, public_url) = (client.clone(), url.to_string(), public_url.to_string());
        let (requests, calls) = (requests.clone(), calls.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < length {
                let res = match phase {
                    Phase::Healthz => client.get(format!("{url}/healthz")).send().await?,
                    Phase::StatusCallback => {
                        let call = calls.fetch_add(1, Ordering::Relaxed);
                        let form = format!(
                            "AccountSid=ACbench&CallSid=CA{call:032}&CallStatus=completed&CallDuration={}&From=%2B15551230000&To=%2B14155550100&Direction=inbound",
                            30 + call % 300
                        );
                        let path = "/inbound/twilio/status";
                        let signature = twilio::sign(TOKEN, &format!("{public_url}{path}"), Some(form.as_bytes()));
                        client
                            .post(format!("{url}{path}"))
                            .header("content-type", "application/x-www-form-urlencoded")
                            .header(twilio::HEADER, signature)
                            .body(form)
                            .send()
                            .await?
                    }
                };
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
    Ok(requests.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
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
    args.inbound.twilio_auth_token = Some(TOKEN.into());
    let public_url = "http://127.0.0.1".to_string();
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, public_url.clone(), Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = switchboard::routes::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });

    let ws = setup(&state).await?;
    let length = Duration::from_secs(env_number("SWITCHBOARD_BENCH_SECONDS", 10));
    let calls = Arc::new(AtomicU64::new(0));
    println!("backend: {}   ({CLIENTS} clients, {length:?} per phase)", state.db.backend().name());

    // Warm up: connections, prepared statements, the trial and the balance row.
    run(&url, &public_url, Phase::StatusCallback, Duration::from_millis(500), &calls).await?;
    let healthz = run(&url, &public_url, Phase::Healthz, length, &calls).await?;
    let callbacks = run(&url, &public_url, Phase::StatusCallback, length, &calls).await?;
    println!("GET /healthz:               {healthz:>10.0} requests/s");
    println!("POST /inbound/twilio/status: {callbacks:>9.0} callbacks/s (each a new call: one usage event and debit)");
    println!("ratio callbacks/healthz:    {:>10.4}", callbacks / healthz);

    let sent = calls.load(Ordering::Relaxed);
    let recorded = fetch_scalar!(
        &state.db,
        i64,
        "SELECT COUNT(*) FROM usage_events WHERE workspace_id = $1 AND type = 'call_minutes'",
        ws.as_str()
    )?;
    let mut tx = state.db.begin().await?;
    let report = switchboard::usage::verify::verify(&mut tx, &ws).await?;
    tx.rollback().await?;
    println!(
        "calls sent {sent}, usage events recorded {recorded}, usage verify {}",
        if report.ok() { "ok" } else { "FAILED" }
    );
    anyhow::ensure!(i64::try_from(sent)? == recorded, "every completed call is one usage event");
    anyhow::ensure!(report.ok(), "usage verify found differences: {:?}", report.differences);
    Ok(())
}
