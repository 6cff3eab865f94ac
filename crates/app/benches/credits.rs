//! The credits ledger under load:
//!
//! 1. debits per second with 16 concurrent writers (`ledger::post`, one
//!    transaction each, 1 credit from a large balance, `Overdraft::Refuse`)
//!    against a plain single-row insert into a scratch table by the same 16
//!    writers (one transaction each) in the same run: the ratio is the cost
//!    of the ledger's row lock, key check, split and balance update;
//! 2. the balance read (`ledger::read_balance`) of a workspace whose ledger
//!    holds one million entries (bulk-inserted, one multi-row INSERT per
//!    10,000) against one whose ledger holds 10, plus the first ledger page
//!    and a full `verify` (the recomputation) at that size.
//!
//! Run:
//!
//!     cargo bench -p switchboard --bench credits
//!     SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench credits
//!
//! `SWITCHBOARD_BENCH_SECONDS` (default 5) is each write phase's length;
//! `SWITCHBOARD_BENCH_LEDGER_ENTRIES` (default 1,000,000) the large ledger.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::users;
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::credits::ledger::{self, EntryKind, NewEntry};
use switchboard::state::AppState;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::{Db, execute};

const WRITERS: usize = 16;
const BATCH: usize = 10_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn workspace(state: &AppState) -> anyhow::Result<WorkspaceId> {
    let now = Utc::now();
    let ws = WorkspaceId::new();
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let mut tx = state.db.begin().await?;
    let name = PersonName::parse("Admin").map_err(anyhow::Error::msg)?;
    let email = EmailAddress::parse(&format!("admin-{tag}@example.com")).map_err(anyhow::Error::msg)?;
    let admin = users::insert(&mut tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dup"))?;
    let ws_name = switchboard::workspaces::model::WorkspaceName::parse("Bench").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&mut tx, &ws, &ws_name, &admin.id, now).await?;
    tx.commit().await?;
    Ok(ws)
}

async fn post(state: &AppState, ws: &WorkspaceId, entry: NewEntry) -> anyhow::Result<()> {
    let mut tx = state.db.begin().await?;
    ledger::post(&mut tx, ws, entry, Utc::now()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tx.commit().await?;
    Ok(())
}

/// Runs `op` in `WRITERS` tasks until `length` has passed; operations per second.
async fn per_second<F, Fut>(length: Duration, op: F) -> anyhow::Result<f64>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (op, done) = (op.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < length {
                let n = done.fetch_add(1, Ordering::Relaxed);
                op(n).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// `count` entries of 1 credit each for `ws`, then the balance row set to their sum.
async fn bulk_ledger(db: &Db, ws: &WorkspaceId, count: usize) -> anyhow::Result<()> {
    let at = Utc::now().to_rfc3339();
    let mut written = 0;
    while written < count {
        let n = BATCH.min(count - written);
        let mut sql = String::with_capacity(n * 200);
        sql.push_str(
            "INSERT INTO credit_entries (id, workspace_id, seq, kind, amount, cycle_part, top_up_part, balance_after, \
             idempotency_key, description, reference, created_at) VALUES ",
        );
        for i in 0..n {
            let seq = written + i + 1;
            if i > 0 {
                sql.push(',');
            }
            // Every value is made here (IDs, numbers, a timestamp): nothing to escape.
            sql.push_str(&format!(
                "('{id}','{ws}',{seq},'top_up',1000,0,1000,{after},'bench:{seq}','Bench entry',NULL,'{at}')",
                id = switchboard_core::CreditEntryId::new(),
                ws = ws.as_str(),
                after = seq * 1000,
            ));
        }
        let mut tx = db.begin().await?;
        match &mut tx {
            switchboard_db::Tx::Sqlite(c) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
            switchboard_db::Tx::Postgres(c) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
        }
        tx.commit().await?;
        written += n;
    }
    let now = Utc::now();
    execute!(
        db,
        "INSERT INTO credit_balances (workspace_id, top_up_credits, entry_count, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) DO UPDATE SET top_up_credits = $2, entry_count = $3, updated_at = $4",
        ws.as_str(),
        i64::try_from(count)? * 1000,
        i64::try_from(count)?,
        now
    )?;
    Ok(())
}

async fn time_reads(state: &AppState, ws: &WorkspaceId, samples: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples + 50 {
        let started = Instant::now();
        let row = ledger::read_balance(&state.db, ws).await?;
        let elapsed = started.elapsed();
        anyhow::ensure!(row.is_some(), "no balance row");
        if i >= 50 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(times)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        db_max_connections: Some(u32::try_from(WRITERS)? + 2),
        ..Default::default()
    };
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, "http://127.0.0.1".into(), Arc::new(SystemClock))
            .await?;
    let length = Duration::from_secs(env_number("SWITCHBOARD_BENCH_SECONDS", 5));
    let entries = usize::try_from(env_number("SWITCHBOARD_BENCH_LEDGER_ENTRIES", 1_000_000))?;
    println!("backend: {}   ({WRITERS} writers, {length:?} per write phase)", state.db.backend().name());

    // 1. Writes.
    execute!(
        &state.db,
        "CREATE TABLE IF NOT EXISTS bench_inserts (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL,
             amount BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
    )?;
    let ws = workspace(&state).await?;
    let big = Credits::from_whole(1_000_000_000).ok_or_else(|| anyhow::anyhow!("credits"))?;
    post(&state, &ws, NewEntry::new(EntryKind::TopUp, big, "bench:fund", "Bench funds")).await?;
    let run = ulid::Ulid::new().to_string();
    let inserts = {
        let (db, ws) = (state.db.clone(), ws.clone());
        per_second(length, move |n| {
            let (db, ws, id) = (db.clone(), ws.clone(), format!("{run}-{n}"));
            async move {
                let mut tx = db.begin().await?;
                execute!(
                    &mut tx,
                    "INSERT INTO bench_inserts (id, workspace_id, amount, created_at) VALUES ($1, $2, $3, $4)",
                    &id,
                    ws.as_str(),
                    -1000_i64,
                    Utc::now()
                )?;
                tx.commit().await?;
                Ok(())
            }
        })
        .await?
    };
    let debits = {
        let (state, ws) = (state.clone(), ws.clone());
        per_second(length, move |n| {
            let (state, ws) = (state.clone(), ws.clone());
            async move {
                let one = Credits::from_whole(-1).ok_or_else(|| anyhow::anyhow!("credits"))?;
                post(&state, &ws, NewEntry::new(EntryKind::Usage, one, format!("bench:debit:{n}"), "Bench debit")).await
            }
        })
        .await?
    };
    println!(
        "plain single-row insert  {inserts:>9.0} /s\nledger debit             {debits:>9.0} /s   ({:.2}× the insert's time each)",
        inserts / debits
    );
    let mut tx = state.db.begin().await?;
    let report = ledger::verify(&mut tx, &ws).await?;
    tx.rollback().await?;
    anyhow::ensure!(report.ok(), "the balance drifted under load: {:?}", report.differences);

    // 2. Reads at one million entries.
    let small = workspace(&state).await?;
    for i in 0..10 {
        let one = Credits::from_whole(1).ok_or_else(|| anyhow::anyhow!("credits"))?;
        post(&state, &small, NewEntry::new(EntryKind::TopUp, one, format!("bench:{i}"), "Bench")).await?;
    }
    let large = workspace(&state).await?;
    let started = Instant::now();
    bulk_ledger(&state.db, &large, entries).await?;
    println!("bulk-inserted {entries} entries in {:.1?}", started.elapsed());
    execute!(&state.db, "ANALYZE")?;
    let ms = |t: &[Duration], p: f64| t[((t.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3;
    let base = time_reads(&state, &small, 2_000).await?;
    let at_scale = time_reads(&state, &large, 2_000).await?;
    println!(
        "read_balance             10 entries: median {:.3} ms p95 {:.3} ms | {entries}: median {:.3} ms p95 {:.3} ms",
        ms(&base, 0.5),
        ms(&base, 0.95),
        ms(&at_scale, 0.5),
        ms(&at_scale, 0.95)
    );
    let started = Instant::now();
    let page = ledger::page(&state.db, &large, None, 51).await?;
    println!(
        "first ledger page (50)   {entries}: {:.3} ms ({} rows)",
        started.elapsed().as_secs_f64() * 1e3,
        page.len()
    );
    let started = Instant::now();
    let mut tx = state.db.begin().await?;
    let report = ledger::verify(&mut tx, &large).await?;
    tx.rollback().await?;
    anyhow::ensure!(report.ok(), "the bulk ledger does not verify: {:?}", report.differences);
    println!("verify (full recompute)  {entries}: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
