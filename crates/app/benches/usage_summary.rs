//! Reading usage at scale: one workspace with USAGE_BENCH_EVENTS events
//! (default 10,000,000) over the last 90 days, 20 agents and every type,
//! bulk-inserted into `usage_events` and `usage_hourly` (multi-row inserts
//! in big transactions). Measures, in one run:
//! - `summary::summarise` over the 90 days (p50/p95, in-process);
//! - Settings → Usage for the 90 days through the router, against
//!   `/healthz` and the small Settings → Developer page in the same run;
//! - the peak RSS (VmHWM) of a separate `switchboard serve` process
//!   streaming a CSV export of about one million events, against its RSS
//!   after start.
//!
//! ```text
//! cargo bench -p switchboard --bench usage_summary
//! SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench usage_summary
//! ```
//!
//! USAGE_BENCH_DIR (default /var/tmp/switchboard-usage-bench) keeps the
//! data dir and the SQLite file; a second run reuses the seeded workspace.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{DateTime, DurationRound, Utc};
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::{session, users};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use switchboard::usage::summary::{self, Range};
use switchboard_core::{AgentId, Role, WorkspaceId};
use switchboard_db::Query;
use tower::ServiceExt;

const SAMPLES: usize = 50;
const DAYS: i64 = 90;
const AGENTS: usize = 20;
const TYPES: [&str; 6] = ["call_minutes", "sms", "tts_characters", "phone_number_rental", "voice_clone", "training"];
/// Rows per INSERT statement and per transaction.
const ROWS_PER_INSERT: usize = 500;
const ROWS_PER_TX: usize = 200_000;

/// An hourly roll-up's key: hour, type, agent (index into the agents; 0 = none).
type HourKey = (DateTime<Utc>, &'static str, usize);

struct Seeded {
    ws: WorkspaceId,
    cookie: String,
    /// The end of the seeded span; events spread over the 90 days before it.
    end: DateTime<Utc>,
}

async fn seed(state: &AppState, dir: &std::path::Path, events: u64) -> anyhow::Result<Seeded> {
    let marker = dir.join(format!("usage-bench-{}-{events}.txt", state.db.backend().name()));
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if let [ws, cookie, end] = parts[..] {
            println!("reusing the seeded workspace {ws} ({})", marker.display());
            return Ok(Seeded { ws: ws.parse()?, cookie: cookie.to_string(), end: end.parse()? });
        }
    }
    let now = Utc::now();
    let end = now.duration_trunc(chrono::Duration::hours(1))?;
    let start = end - chrono::Duration::days(DAYS);
    let ws = WorkspaceId::new();
    let mut tx = state.db.begin().await?;
    let name = PersonName::parse("Bench Admin").map_err(anyhow::Error::msg)?;
    let email = EmailAddress::parse(&format!("usage-{}@example.com", ulid::Ulid::new().to_string().to_lowercase()))
        .map_err(anyhow::Error::msg)?;
    let admin = users::insert(&mut tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("duplicate admin"))?;
    let ws_name = switchboard::workspaces::model::WorkspaceName::parse("Usage Bench").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&mut tx, &ws, &ws_name, &admin.id, now).await?;
    switchboard::members::store::upsert_active(&mut tx, &ws, &admin.id, Role::Admin, now).await?;
    let new = session::NewSession { user_id: &admin.id, current_workspace_id: Some(&ws), ip: None, user_agent: None };
    let token = session::create(&mut tx, new, now).await?;
    let mut agents = vec![String::new()];
    for i in 0..AGENTS {
        let id = AgentId::new().to_string();
        switchboard_db::execute!(
            &mut tx,
            "INSERT INTO agents (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, $2, $3, 'LIVE', $4, $4)",
            id.as_str(),
            ws.as_str(),
            format!("Agent {i}"),
            now
        )?;
        agents.push(id);
    }
    tx.commit().await?;

    let started = Instant::now();
    let span_ms = (end - start).num_milliseconds();
    let mut hourly: BTreeMap<HourKey, (i64, i64, i64)> = BTreeMap::new();
    let mut i: u64 = 0;
    while i < events {
        let mut tx = state.db.begin().await?;
        let tx_end = (i + ROWS_PER_TX as u64).min(events);
        while i < tx_end {
            let batch_end = (i + ROWS_PER_INSERT as u64).min(tx_end);
            let mut q = Query::new(
                "INSERT INTO usage_events (id, workspace_id, type, quantity, credits, occurred_at, agent_id, \
                 idempotency_key, metadata, recorded_at) VALUES ",
            );
            for n in i..batch_end {
                let at = start + chrono::Duration::milliseconds((n as i64).saturating_mul(span_ms) / events as i64);
                let kind = TYPES[(n % 6) as usize];
                let agent = (n as usize * 7) % (AGENTS + 1);
                let (quantity, credits) = (30 + (n % 600) as i64, 10 + (n % 2_000) as i64);
                if n > i {
                    q.push(", ");
                }
                q.push("(").bind(format!("use_{n:026}")).push(", ").bind(ws.as_str()).push(", ").bind(kind);
                q.push(", ").bind(quantity).push(", ").bind(credits).push(", ").bind(at).push(", ");
                q.bind((agent > 0).then(|| agents[agent].clone())).push(", ").bind(format!("k{n}"));
                q.push(", NULL, ").bind(at).push(")");
                let hour = at.duration_trunc(chrono::Duration::hours(1))?;
                let h = hourly.entry((hour, kind, agent)).or_default();
                *h = (h.0 + 1, h.1 + quantity, h.2 + credits);
            }
            q.execute(&mut tx).await?;
            i = batch_end;
        }
        tx.commit().await?;
        println!("  {i} events ({:.0} /s)", i as f64 / started.elapsed().as_secs_f64());
    }
    let rows: Vec<_> = hourly.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_TX) {
        let mut tx = state.db.begin().await?;
        for part in chunk.chunks(ROWS_PER_INSERT) {
            let mut q = Query::new(
                "INSERT INTO usage_hourly (workspace_id, hour, type, agent_id, events, quantity, credits) VALUES ",
            );
            for (n, ((hour, kind, agent), (count, quantity, credits))) in part.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.push("(").bind(ws.as_str()).push(", ").bind(*hour).push(", ").bind(*kind).push(", ");
                q.bind(agents[*agent].as_str()).push(", ").bind(*count).push(", ").bind(*quantity);
                q.push(", ").bind(*credits).push(")");
            }
            q.execute(&mut tx).await?;
        }
        tx.commit().await?;
    }
    println!("seeded {events} events and {} hourly rows in {:.0} s", rows.len(), started.elapsed().as_secs_f64());
    switchboard_db::execute!(&state.db, "ANALYZE")?;
    let cookie = format!("{}={token}", session::SESSION_COOKIE);
    std::fs::write(&marker, format!("{ws} {cookie} {}\n", end.to_rfc3339()))?;
    Ok(Seeded { ws, cookie, end })
}

fn ms(t: &[Duration], p: f64) -> f64 {
    t[((t.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3
}

async fn page_times(app: &axum::Router, cookie: &str, path: &str) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 3 {
        let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty())?;
        let t = Instant::now();
        let res = app.clone().oneshot(req).await?;
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
        axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    times.sort();
    Ok(times)
}

fn report(label: &str, times: &[Duration]) {
    println!("{label:<44} p50 {:>8.2} ms  p95 {:>8.2} ms  ({} runs)", ms(times, 0.5), ms(times, 0.95), times.len());
}

/// The peak resident set of a process (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

async fn export(config: &Config, seeded: &Seeded, events: u64) -> anyhow::Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?).read_line(&mut line)?;
    let url = line.trim().strip_prefix("Switchboard is running at ").unwrap_or_default().to_string();
    // A tenth of the 90 days: about a million of ten million events.
    let to = seeded.end;
    let from = to - chrono::Duration::days(DAYS) / 10;
    let rss_idle = peak_rss_mb(child.id());
    let started = Instant::now();
    let mut res = reqwest::Client::new()
        .get(format!(
            "{url}/api/v1/usage/export?from={}&to={}",
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            to.format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .header("cookie", &seeded.cookie)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "export: {}", res.status());
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "export CSV: {} events ({events} in the workspace), {:.0} MB in {secs:.1} s = {:.0} rows/s; \
         server peak RSS (VmHWM) {peak:.1} MB (after start {rss_idle:.1} MB)",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        lines as f64 / secs
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: u64 =
        std::env::var("USAGE_BENCH_EVENTS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(10_000_000);
    let dir = std::env::var_os("USAGE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/var/tmp/switchboard-usage-bench".into());
    std::fs::create_dir_all(&dir)?;
    let args = CommonArgs {
        data_dir: Some(dir.clone()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        ..Default::default()
    };
    let config = Config::resolve(&args)?;
    let state =
        switchboard::server::build_state(config.clone(), "http://127.0.0.1".into(), Arc::new(SystemClock)).await?;
    let seeded = seed(&state, &dir, events).await?;
    let app = switchboard::routes::router(state.clone());
    println!("backend: {}, {events} events over {DAYS} days in one workspace", state.db.backend().name());

    let tz: chrono_tz::Tz = "Europe/Paris".parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let range = Range::between(seeded.end - chrono::Duration::days(DAYS), seeded.end, tz);
    let mut times = Vec::with_capacity(SAMPLES);
    let mut total = 0;
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let s = summary::summarise(&state.db, &seeded.ws, tz, range).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(t.elapsed());
        total = s.total.events;
    }
    anyhow::ensure!(total as u64 == events, "the summary counted {total} of {events} events");
    times.sort();
    report("summary::summarise, 90 days (in-process)", &times);

    let first = range.first_day;
    let last = range.last_day;
    for (label, path) in [
        ("GET /healthz (baseline)", "/healthz".to_string()),
        ("GET /settings/developer (small page)", "/settings/developer".to_string()),
        ("GET /settings/usage, 90 days", format!("/settings/usage?period=custom&from={first}&to={last}")),
        ("GET /api/v1/usage/summary?group_by=day, 90 d", format!("/api/v1/usage/summary?from={first}&to={last}")),
    ] {
        report(label, &page_times(&app, &seeded.cookie, &path).await?);
    }
    export(&config, &seeded, events).await?;
    Ok(())
}
