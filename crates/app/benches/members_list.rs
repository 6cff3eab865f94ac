//! The Members list at scale: one page (50 rows) of `GET /api/v1/members`
//! — first page, a deep keyset page, and a search — in a workspace of
//! 10,000 members, against the same calls in a workspace of 100 members
//! (the baseline, same run, same database).
//!
//!     cargo bench -p switchboard --bench members_list
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench members_list
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::{session, users};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use switchboard_core::{Role, WorkspaceId};
use tower::ServiceExt;

const SAMPLES: usize = 300;

/// A workspace with `n` members; returns the admin's session cookie.
async fn workspace_with(state: &AppState, n: usize) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let ws = WorkspaceId::new();
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let mut tx = state.db.begin().await?;
    let admin = {
        let name = PersonName::parse("Admin").map_err(anyhow::Error::msg)?;
        let email = EmailAddress::parse(&format!("admin-{tag}@example.com")).map_err(anyhow::Error::msg)?;
        users::insert(&mut tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
            .await?
            .ok_or_else(|| anyhow::anyhow!("dup"))?
    };
    let ws_name = switchboard::workspaces::model::WorkspaceName::parse("Bench").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&mut tx, &ws, &ws_name, &admin.id, now).await?;
    switchboard::members::store::upsert_active(&mut tx, &ws, &admin.id, Role::Admin, now).await?;
    for i in 0..n {
        let name = PersonName::parse(&format!("Member {i:05} {tag}")).map_err(anyhow::Error::msg)?;
        let email = EmailAddress::parse(&format!("m{i:05}-{tag}@example.com")).map_err(anyhow::Error::msg)?;
        let user = users::insert(&mut tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
            .await?
            .ok_or_else(|| anyhow::anyhow!("dup"))?;
        switchboard::members::store::upsert_active(&mut tx, &ws, &user.id, Role::Member, now).await?;
    }
    let new = session::NewSession { user_id: &admin.id, current_workspace_id: Some(&ws), ip: None, user_agent: None };
    let token = session::create(&mut tx, new, now).await?;
    tx.commit().await?;
    Ok(format!("{}={token}", session::SESSION_COOKIE))
}

async fn measure(app: &axum::Router, cookie: &str, path: &str) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 30 {
        let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty())?;
        let started = Instant::now();
        let res = app.clone().oneshot(req).await?;
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
        axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        if i >= 30 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    Ok(times)
}

/// The cursor of the page that starts near row `skip`.
async fn cursor_at(app: &axum::Router, cookie: &str, skip: usize) -> anyhow::Result<String> {
    let mut cursor = String::new();
    for _ in 0..skip / 200 {
        let req = Request::get(format!("/api/v1/members?limit=200&cursor={cursor}"))
            .header(header::COOKIE, cookie)
            .body(Body::empty())?;
        let res = app.clone().oneshot(req).await?;
        let body: serde_json::Value =
            serde_json::from_slice(&axum::body::to_bytes(res.into_body(), usize::MAX).await?)?;
        cursor = body["next_cursor"].as_str().unwrap_or_default().to_string();
    }
    Ok(cursor)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        // The bench's own requests would spend a signed-in user's budget.
        rate_limits: switchboard::config::RateLimitArgs { user: Some("off".into()), ..Default::default() },
        ..Default::default()
    };
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, "http://127.0.0.1".into(), Arc::new(SystemClock))
            .await?;
    let small = workspace_with(&state, 100).await?;
    let large = workspace_with(&state, 10_000).await?;
    // Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic
    // ANALYZE (SQLite) would have after a bulk load.
    switchboard_db::execute!(&state.db, "ANALYZE")?;
    let app = switchboard::routes::router(state.clone());
    let ms = |t: &[Duration], p: f64| t[((t.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3;
    println!("backend: {}   ({SAMPLES} samples each, server time in-process)", state.db.backend().name());
    for (label, query) in [("first page", "limit=50"), ("search 'member 0042'", "limit=50&search=member%200042")] {
        let base = measure(&app, &small, &format!("/api/v1/members?{query}")).await?;
        let big = measure(&app, &large, &format!("/api/v1/members?{query}")).await?;
        println!(
            "{label:<24} 100 members: median {:>6.2} ms p95 {:>6.2} ms | 10,000: median {:>6.2} ms p95 {:>6.2} ms | ratio {:.1}×",
            ms(&base, 0.5),
            ms(&base, 0.95),
            ms(&big, 0.5),
            ms(&big, 0.95),
            ms(&big, 0.5) / ms(&base, 0.5)
        );
    }
    let deep = cursor_at(&app, &large, 9_800).await?;
    let big = measure(&app, &large, &format!("/api/v1/members?limit=50&cursor={deep}")).await?;
    println!("{:<24} 10,000: median {:>6.2} ms p95 {:>6.2} ms", "page at row 9,800", ms(&big, 0.5), ms(&big, 0.95));
    let page = measure(&app, &large, "/settings/general").await?;
    println!("{:<24} 10,000: median {:>6.2} ms p95 {:>6.2} ms", "/settings/general", ms(&page, 0.5), ms(&page, 0.95));
    Ok(())
}
