//! Server time to render `/settings/general` for a signed-in Admin, against
//! `/healthz` (the router, middleware and session lookup without a
//! template) as the baseline in the same run. Requests go through the
//! router in-process, so the figures are server time without the network.
//!
//!     cargo bench -p switchboard --bench settings_page
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench settings_page
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::{session, users};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard_core::{Role, WorkspaceId};
use tower::ServiceExt;

const WARMUP: usize = 200;
const SAMPLES: usize = 2000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        ..Default::default()
    };
    let config = Config::resolve(&args)?;
    let state = switchboard::server::build_state(config, "http://127.0.0.1".into(), Arc::new(SystemClock)).await?;
    let now = chrono::Utc::now();

    let name = PersonName::parse("Bench Admin").map_err(anyhow::Error::msg)?;
    let email = EmailAddress::parse(&format!("bench-{}@example.com", ulid::Ulid::new())).map_err(anyhow::Error::msg)?;
    let user = users::insert(&state.db, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user exists"))?;
    let ws_id = WorkspaceId::new();
    let ws_name =
        switchboard::workspaces::model::WorkspaceName::parse("Bench Workspace").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&state.db, &ws_id, &ws_name, &user.id, now).await?;
    switchboard::members::store::upsert_active(&state.db, &ws_id, &user.id, Role::Admin, now).await?;
    let new = session::NewSession { user_id: &user.id, current_workspace_id: Some(&ws_id), ip: None, user_agent: None };
    let token = session::create(&state.db, new, now).await?;
    let cookie = format!("{}={token}", session::SESSION_COOKIE);

    let app = switchboard::routes::router(state.clone());
    let run = |path: &'static str| {
        let app = app.clone();
        let cookie = cookie.clone();
        async move {
            let mut times = Vec::with_capacity(SAMPLES);
            for i in 0..WARMUP + SAMPLES {
                let req = Request::get(path).header(header::COOKIE, &cookie).body(Body::empty())?;
                let started = Instant::now();
                let res = app.clone().oneshot(req).await?;
                let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
                let elapsed = started.elapsed();
                anyhow::ensure!(body.len() > 1, "{path} answered an empty body");
                if i >= WARMUP {
                    times.push(elapsed);
                }
            }
            times.sort();
            Ok::<_, anyhow::Error>(times)
        }
    };
    let baseline = run("/healthz").await?;
    let page = run("/settings/general").await?;
    let pct = |t: &[Duration], p: f64| t[((t.len() as f64 - 1.0) * p) as usize];
    println!("backend: {}", state.db.backend().name());
    for (name, t) in [("/healthz (baseline)", &baseline), ("/settings/general", &page)] {
        println!(
            "{name:<22} median {:>8.1} µs   p95 {:>8.1} µs   ({} samples)",
            pct(t, 0.5).as_secs_f64() * 1e6,
            pct(t, 0.95).as_secs_f64() * 1e6,
            t.len()
        );
    }
    println!(
        "ratio /settings/general ÷ /healthz (median): {:.1}×",
        pct(&page, 0.5).as_secs_f64() / pct(&baseline, 0.5).as_secs_f64()
    );
    Ok(())
}
