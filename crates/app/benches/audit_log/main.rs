//! The audit log at scale: one workspace with AUDIT_BENCH_ROWS entries
//! (default 10,000,000, valid hash chain, two years). Measures, in one run:
//! a page (50) of `GET /api/v1/audit-log` under each filter against the
//! unfiltered first page (the baseline), in-process; the CSV export's rows
//! per second and the peak RSS (VmHWM) of a separate `switchboard serve`
//! process streaming it; and `switchboard audit verify --workspace` end to
//! end. AUDIT_BENCH_EXPLAIN=1 prints each filter's query plan.
//!
//!     cargo bench -p switchboard --bench audit_log
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… AUDIT_BENCH_ROWS=1000000 cargo bench -p switchboard --bench audit_log
//!
//! AUDIT_BENCH_DIR keeps the data dir (and the SQLite file) there; a second
//! run on the same dir and database measures again without generating.
mod generate;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{DateTime, Utc};
use switchboard::audit::query::{self, Filter};
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::{session, users};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use switchboard_core::{Role, WorkspaceId};
use switchboard_db::Db;
use tower::ServiceExt;

/// Samples per query; slow ones stop early at the time budget.
const SAMPLES: usize = 200;
const BUDGET: Duration = Duration::from_secs(20);

/// The bench workspace (made once per data dir): its ID and a session cookie.
async fn workspace(state: &AppState, dir: &std::path::Path, rows: u64) -> anyhow::Result<(WorkspaceId, String)> {
    let marker = dir.join(format!("audit-bench-{}-{rows}.txt", state.db.backend().name()));
    if let Ok(text) = std::fs::read_to_string(&marker)
        && let Some((ws, cookie)) = text.trim().split_once(' ')
    {
        println!("reusing the generated workspace {ws} ({})", marker.display());
        return Ok((ws.parse()?, cookie.to_string()));
    }
    let now = Utc::now();
    let ws = WorkspaceId::new();
    let mut tx = state.db.begin().await?;
    let name = PersonName::parse("Bench Admin").map_err(anyhow::Error::msg)?;
    let email = EmailAddress::parse(&format!("admin-{}@example.com", ulid::Ulid::new().to_string().to_lowercase()))
        .map_err(anyhow::Error::msg)?;
    let admin = users::insert(&mut tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("duplicate admin"))?;
    let ws_name = switchboard::workspaces::model::WorkspaceName::parse("Bench").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&mut tx, &ws, &ws_name, &admin.id, now).await?;
    switchboard::members::store::upsert_active(&mut tx, &ws, &admin.id, Role::Admin, now).await?;
    let new = session::NewSession { user_id: &admin.id, current_workspace_id: Some(&ws), ip: None, user_agent: None };
    let token = session::create(&mut tx, new, now).await?;
    tx.commit().await?;
    generate::generate(&state.db, ws.as_str(), rows, now).await?;
    // Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic
    // ANALYZE (SQLite) would have after a bulk load.
    let started = Instant::now();
    switchboard_db::execute!(&state.db, "ANALYZE")?;
    println!("ANALYZE: {:.1} s", started.elapsed().as_secs_f64());
    let cookie = format!("{}={token}", session::SESSION_COOKIE);
    std::fs::write(&marker, format!("{ws} {cookie}\n"))?;
    Ok((ws, cookie))
}

async fn measure(app: &axum::Router, cookie: &str, path: &str) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(SAMPLES);
    let started = Instant::now();
    for i in 0..SAMPLES + 5 {
        let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty())?;
        let t = Instant::now();
        let res = app.clone().oneshot(req).await?;
        if res.status() == 408 {
            // The server's request timeout cut the query short.
            println!("{path}: 408 Request Timeout after {:.1} s", t.elapsed().as_secs_f64());
            return Ok(Vec::new());
        }
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
        axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        if i >= 5 || started.elapsed() > BUDGET {
            times.push(t.elapsed());
        }
        if started.elapsed() > BUDGET && times.len() >= 3 {
            break;
        }
    }
    times.sort();
    Ok(times)
}

fn ms(t: &[Duration], p: f64) -> f64 {
    t[((t.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3
}

/// The cursor `GET /api/v1/audit-log` would return for an entry at `time`.
fn cursor_at(time: DateTime<Utc>) -> String {
    use base64::Engine;
    let time = time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let json = serde_json::to_vec(&(time, "aud_ZZZZZZZZZZZZZZZZZZZZZZZZZZ")).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The plan of the query a filter runs (AUDIT_BENCH_EXPLAIN=1).
async fn explain(db: &Db, ws: &WorkspaceId, filter: &Filter) -> anyhow::Result<String> {
    /// One line of a plan: SQLite's `detail` column, PostgreSQL's `QUERY PLAN`.
    #[derive(sqlx::FromRow)]
    struct PlanLine {
        #[sqlx(default)]
        detail: Option<String>,
        #[sqlx(rename = "QUERY PLAN", default)]
        plan: Option<String>,
    }
    let q = query::page_query(ws, filter, None, 51);
    let q = match db {
        Db::Sqlite(_) => q.prefixed("EXPLAIN QUERY PLAN "),
        Db::Postgres(_) => q.prefixed("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "),
    };
    let rows: Vec<PlanLine> = q.fetch_all(db).await?;
    let lines: Vec<String> = rows.into_iter().map(|r| r.detail.or(r.plan).unwrap_or_default()).collect();
    Ok(lines.join("\n      "))
}

/// A `switchboard` child process serving `config`'s database; its URL.
fn serve(config: &Config) -> anyhow::Result<(std::process::Child, String)> {
    // The shipped plans without their audit retention: the entries span two
    // years, and the server's hourly cleanup (it runs at start) would delete
    // those past the trial plan's 365 days while the export reads them.
    let plans = config.data_dir.join("plans-keep-audit.toml");
    let kept: Vec<&str> = switchboard::subscription::plans::DEFAULT_PLANS
        .lines()
        .filter(|l| !l.starts_with("audit_retention_days"))
        .collect();
    std::fs::write(&plans, kept.join("\n"))?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .arg("--plans-file")
        .arg(&plans)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?).read_line(&mut line)?;
    let url = line.trim().strip_prefix("Switchboard is running at ").unwrap_or_default().to_string();
    Ok((child, url))
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

async fn export(config: &Config, cookie: &str, rows: u64) -> anyhow::Result<()> {
    let (mut child, url) = serve(config)?;
    let rss_idle = peak_rss_mb(child.id());
    let started = Instant::now();
    let res = reqwest::Client::new()
        .get(format!("{url}/api/v1/audit-log/export?format=csv"))
        .header("cookie", cookie)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "export: {}", res.status());
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut res = res;
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    anyhow::ensure!(lines == rows + 1, "export had {lines} lines for {rows} entries");
    println!(
        "export CSV: {rows} rows, {:.0} MB in {secs:.1} s = {:.0} rows/s; server peak RSS (VmHWM) {peak:.1} MB (after start {rss_idle:.1} MB)",
        bytes as f64 / 1e6,
        rows as f64 / secs
    );
    Ok(())
}

fn verify(config: &Config, ws: &WorkspaceId, rows: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["audit", "verify", "--workspace", ws.as_str(), "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .output()?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(out.status.success(), "verify failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    println!("audit verify: {secs:.1} s ({:.0} entries/s): {}", rows as f64 / secs, stdout.trim());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: u64 =
        std::env::var("AUDIT_BENCH_ROWS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(10_000_000);
    let temp = tempfile::tempdir()?;
    let dir = std::env::var_os("AUDIT_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| temp.path().into());
    std::fs::create_dir_all(&dir)?;
    let args = CommonArgs {
        data_dir: Some(dir.clone()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        // The bench's own requests would spend a signed-in user's budget.
        rate_limits: switchboard::config::RateLimitArgs { user: Some("off".into()), ..Default::default() },
        ..Default::default()
    };
    let config = Config::resolve(&args)?;
    let state =
        switchboard::server::build_state(config.clone(), "http://127.0.0.1".into(), Arc::new(SystemClock)).await?;
    let (ws, cookie) = workspace(&state, &dir, rows).await?;
    let app = switchboard::routes::router(state.clone());
    println!(
        "backend: {}, {rows} entries in one workspace; page = 50 entries, server time in-process",
        state.db.backend().name()
    );

    let now = Utc::now();
    let year_ago = now - chrono::Duration::days(365);
    let week = |t: DateTime<Utc>| {
        format!(
            "from={}&to={}",
            t.format("%Y-%m-%dT%H:%M:%SZ"),
            (t + chrono::Duration::days(7)).format("%Y-%m-%dT%H:%M:%SZ")
        )
    };
    let user0 = generate::user_id(0);
    let rare_user = generate::user_id(generate::USERS - 1);
    let deep = cursor_at(year_ago);
    let cases: Vec<(&str, String)> = vec![
        ("unfiltered (baseline)", String::new()),
        ("page a year deep (cursor)", format!("cursor={deep}")),
        ("action group member.*", "action=member.*".into()),
        ("action api_token.revoked", "action=api_token.revoked".into()),
        ("actor (busiest user)", format!("actor={user0}")),
        ("actor (rarest user)", format!("actor={rare_user}")),
        ("actor system", "actor=system".into()),
        ("target_type invitation", "target_type=invitation".into()),
        ("date range: a week, 1 y ago", week(year_ago)),
        ("combined group+actor+week", format!("action=member.*&actor={user0}&{}", week(year_ago))),
        ("combined group+type+cursor", format!("action=invitation.*&target_type=invitation&cursor={deep}")),
        ("search 'lovelace' (common)", "search=lovelace".into()),
        ("search 'member 4242' (rare)", "search=member%204242".into()),
        ("search 'member 4242' + week", format!("search=member%204242&{}", week(year_ago))),
        ("search 'zebra' (no match)", "search=zebra".into()),
    ];
    let mut baseline = 0.0;
    for (label, q) in &cases {
        let times = measure(&app, &cookie, &format!("/api/v1/audit-log?limit=50&{q}")).await?;
        if times.is_empty() {
            continue;
        }
        let median = ms(&times, 0.5);
        if baseline == 0.0 {
            baseline = median;
        }
        println!(
            "{label:<30} median {median:>9.2} ms  p95 {:>9.2} ms  ({:>3} samples)  {:>7.1}× baseline",
            ms(&times, 0.95),
            times.len(),
            median / baseline
        );
        if std::env::var("AUDIT_BENCH_EXPLAIN").is_ok_and(|v| v == "1") {
            let raw: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes()).into_owned().collect();
            let get = |k: &str| raw.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let filter = Filter {
                actor: get("actor"),
                action: get("action"),
                target_type: get("target_type"),
                from: get("from").and_then(|v| v.parse().ok()),
                to: get("to").and_then(|v| v.parse().ok()),
                search: get("search"),
            }
            .normalised()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("      {}", explain(&state.db, &ws, &filter).await?);
        }
    }
    export(&config, &cookie, rows).await?;
    verify(&config, &ws, rows)?;
    Ok(())
}
