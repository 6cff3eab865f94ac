//! The monthly renewal of platform numbers at scale: 10,000 ACTIVE numbers
//! (100 workspaces of 100, bulk-inserted, every one due) renewed by one
//! `phone_numbers::renewal::run_pass`. Prints the pass's time, numbers per
//! second, and the SQL statements per number, counted from sqlx's own
//! statement events (`sqlx::query`) by a tracing layer installed here.
//! Then checks the outcome (every number renewed once, one rental entry per
//! number, a second pass renews nothing) so a fast but wrong run fails.
//!
//! Run:
//!
//!     cargo bench -p switchboard --bench phone_numbers_renewal
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench phone_numbers_renewal
//!
//! `SWITCHBOARD_BENCH_NUMBERS` (default 10,000) sets the count; CI may run
//! it small (`SWITCHBOARD_BENCH_NUMBERS=200`).
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{Duration, Utc};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::credits::ledger::{self, EntryKind, NewEntry};
use switchboard::phone_numbers::renewal;
use switchboard::state::AppState;
use switchboard_core::{Credits, PhoneNumberId, WorkspaceId};
use switchboard_db::{execute, fetch_scalar};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const PER_WORKSPACE: u64 = 100;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Counts sqlx's statement events.
struct Statements(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// `count` workspaces' worth of numbers, due an hour ago, and credits to pay them.
async fn setup(state: &AppState, numbers: u64) -> anyhow::Result<Vec<WorkspaceId>> {
    let now = Utc::now();
    let due = now - Duration::hours(1);
    let mut workspaces = Vec::new();
    let mut made = 0u64;
    while made < numbers {
        let n = PER_WORKSPACE.min(numbers - made);
        let mut tx = state.db.begin().await?;
        let (ws, _, _) = admin_workspace::create(&mut tx, now).await?;
        let grant =
            NewEntry::new(EntryKind::TopUp, Credits::from_millis(1_000_000_000), "bench:grant", "Bench credits");
        ledger::post(&mut tx, &ws, grant, now).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut sql = String::from(
            "INSERT INTO phone_numbers (id, workspace_id, e164, country, number_type, capabilities, source, carrier,
                 carrier_ref, monthly_price, status, period_start, renews_on, created_at, updated_at) VALUES ",
        );
        for i in 0..n {
            let e164 = format!("+1999{:07}", made + i);
            if i > 0 {
                sql.push(',');
            }
            // Every value is made here (IDs, digits, timestamps): nothing to escape.
            write!(
                sql,
                "('{id}','{ws}','{e164}','US','LOCAL','voice','PLATFORM','sandbox','{e164}',150000,'ACTIVE','{start}','{due}','{start}','{start}')",
                id = PhoneNumberId::new(),
                ws = ws.as_str(),
                start = (due - Duration::days(30)).to_rfc3339(),
                due = due.to_rfc3339(),
            )?;
        }
        match &mut tx {
            switchboard_db::Tx::Sqlite(c) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
            switchboard_db::Tx::Postgres(c) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
        }
        tx.commit().await?;
        workspaces.push(ws);
        made += n;
    }
    Ok(workspaces)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let statements = Arc::new(AtomicU64::new(0));
    let filter = tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE);
    use tracing_subscriber::Layer as _;
    tracing_subscriber::registry().with(Statements(statements.clone()).with_filter(filter)).init();

    let numbers = env_number("SWITCHBOARD_BENCH_NUMBERS", 10_000);
    let dir = tempfile::tempdir()?;
    let mut args = CommonArgs { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    args.database_url = std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok();
    let config = Config::resolve(&args)?;
    let backend = if config.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let state = switchboard::server::build_state(config, "http://127.0.0.1".into(), Arc::new(SystemClock)).await?;
    // Earlier runs on a shared PostgreSQL database: their numbers are not this run's.
    execute!(&state.db, "DELETE FROM phone_numbers WHERE e164 LIKE '+1999%'")?;
    let started = Instant::now();
    let workspaces = setup(&state, numbers).await?;
    println!("set-up: {numbers} numbers in {} workspaces, {:.1} s", workspaces.len(), started.elapsed().as_secs_f64());

    let before = statements.load(Ordering::Relaxed);
    let started = Instant::now();
    let pass = renewal::run_pass(&state).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let used = statements.load(Ordering::Relaxed) - before;
    println!(
        "renewal pass ({backend}): {} numbers renewed in {elapsed:.2} s, {:.0} numbers/s, {:.2} ms and {:.1} statements per number",
        pass.renewed,
        pass.renewed as f64 / elapsed,
        elapsed * 1000.0 / numbers as f64,
        used as f64 / numbers as f64
    );

    // Correct, not only fast.
    anyhow::ensure!(pass.renewed as u64 == numbers, "renewed {} of {numbers}", pass.renewed);
    let mut rentals = 0i64;
    for ws in &workspaces {
        rentals += fetch_scalar!(
            &state.db,
            i64,
            "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'number_rental'",
            ws.as_str()
        )?;
    }
    anyhow::ensure!(rentals as u64 == numbers, "{rentals} rental entries for {numbers} numbers");
    let again = renewal::run_pass(&state).await?;
    anyhow::ensure!(again.renewed == 0, "a second pass renewed {}", again.renewed);
    println!("checked: one rental entry per number, a second pass renews nothing");
    Ok(())
}
