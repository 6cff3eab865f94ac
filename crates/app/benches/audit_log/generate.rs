//! Generating a workspace's audit log fast: entries with valid chain
//! hashes (computed here with `chain::entry_hash`, as `audit::record`
//! would), spread over two years, loaded with the secondary indexes
//! dropped (multi-row INSERTs in big transactions on SQLite, COPY on
//! PostgreSQL) and the indexes rebuilt after, exactly as migrated.
use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchboard::audit::{Change, Changes, chain};
use switchboard_db::Db;

/// The action mix: (action, target type, weight).
const ACTIONS: &[(&str, &str, u32)] = &[
    ("member.signed_in", "member", 400),
    ("workspace.updated", "workspace", 120),
    ("experimental_feature.updated", "experimental_feature", 60),
    ("member.invited", "invitation", 50),
    ("invitation.resent", "invitation", 15),
    ("invitation.revoked", "invitation", 10),
    ("member.joined", "member", 40),
    ("member.role_changed", "member", 30),
    ("member.removed", "member", 15),
    ("member.left", "member", 5),
    ("api_token.created", "api_token", 25),
    ("api_token.revoked", "api_token", 4),
    ("workspace.logo_updated", "workspace", 3),
    ("workspace.logo_removed", "workspace", 1),
];
const SURNAMES: &[&str] =
    &["Lovelace", "Hopper", "Turing", "Noether", "Curie", "Franklin", "Johnson", "Shannon", "Liskov", "Hamilton"];
pub const USERS: usize = 60;
pub const TOKENS: usize = 8;

/// One generated entry, owned.
struct Entry {
    id: String,
    seq: i64,
    actor_type: &'static str,
    actor_id: Option<String>,
    actor_name: String,
    action: &'static str,
    target_type: &'static str,
    target_id: String,
    target_name: String,
    changes: Changes,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    prev_hash: String,
    hash: String,
}

/// The IDs the measurements filter by.
pub fn user_id(i: usize) -> String {
    format!("usr_01JBENCH{i:017}")
}

fn entry(rng: &mut StdRng, ws: &str, seq: i64, at: DateTime<Utc>, prev: &str) -> Entry {
    let total: u32 = ACTIONS.iter().map(|a| a.2).sum();
    let mut pick = rng.random_range(0..total);
    let &(action, target_type, _) = ACTIONS
        .iter()
        .find(|a| {
            let hit = pick < a.2;
            pick = pick.saturating_sub(a.2);
            hit
        })
        .unwrap_or(&ACTIONS[0]);
    let roll = rng.random_range(0..100);
    let (actor_type, actor_id, actor_name) = if roll < 8 {
        ("system", None, "System".to_string())
    } else if roll < 18 {
        let t = rng.random_range(0..TOKENS);
        ("token", Some(format!("tok_01JBENCH{t:017}")), format!("Deploy token {t}"))
    } else {
        // A few people do most of the work.
        let u = (rng.random_range(0..USERS * USERS) as f64).sqrt() as usize;
        let u = USERS - 1 - u.min(USERS - 1);
        ("user", Some(user_id(u)), format!("Person {u} {}", SURNAMES[u % SURNAMES.len()]))
    };
    let n = rng.random_range(0..5_000);
    let (target_id, target_name) = match target_type {
        "workspace" => (ws.to_string(), "Bench Workspace".to_string()),
        "api_token" => (format!("tok_01JBENCH{:017}", n % 200), format!("Token {n}")),
        "invitation" => (format!("inv_01JBENCH{n:017}"), format!("guest{n}@example.com")),
        "experimental_feature" => (format!("flag_{}", n % 12), format!("Feature {}", n % 12)),
        _ => (format!("mem_01JBENCH{n:017}"), format!("Member {n} {}", SURNAMES[n % SURNAMES.len()])),
    };
    let mut changes = Changes::new();
    if action.ends_with("updated") || action.ends_with("role_changed") {
        let field = if action == "member.role_changed" { "role" } else { "name" };
        changes.0.insert(field.into(), Change { before: format!("old {n}").into(), after: format!("new {n}").into() });
    }
    let ip = (actor_type != "system").then(|| format!("203.0.113.{}", n % 250));
    let user_agent = (actor_type == "user").then(|| "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0".to_string());
    let id = format!("aud_{}", ulid::Ulid::from_parts(at.timestamp_millis() as u64, rng.random()));
    let mut e = Entry {
        id,
        seq,
        actor_type,
        actor_id,
        actor_name,
        action,
        target_type,
        target_id,
        target_name,
        changes,
        ip,
        user_agent,
        created_at: at,
        prev_hash: prev.to_string(),
        hash: String::new(),
    };
    e.hash = chain::entry_hash(
        &chain::Canonical {
            id: &e.id,
            workspace_id: ws,
            seq,
            actor_type,
            actor_id: e.actor_id.as_deref(),
            actor_name: &e.actor_name,
            action,
            target_type,
            target_id: &e.target_id,
            target_name: &e.target_name,
            changes: &e.changes,
            ip: e.ip.as_deref(),
            user_agent: e.user_agent.as_deref(),
            created_at: at,
        },
        prev,
    );
    e
}

const COLUMNS: &str = "id, workspace_id, actor_type, actor_id, actor_name, action, target_type, target_id, \
                       target_name, changes, ip, user_agent, created_at, seq, prev_hash, hash";

/// Writes `rows` entries for `ws`, ending `now`, and the chain head.
pub async fn generate(db: &Db, ws: &str, rows: u64, now: DateTime<Utc>) -> anyhow::Result<()> {
    let started = Instant::now();
    let indexes = drop_indexes(db).await?;
    let span = Duration::days(730);
    let step_us = (span.num_microseconds().unwrap_or(0) / rows.max(1) as i64).max(1);
    let first = (now - span).trunc_subsecs(6);
    let mut rng = StdRng::seed_from_u64(42);
    let mut prev = chain::GENESIS.to_string();
    let batch = 100_000u64;
    let mut seq = 0i64;
    while (seq as u64) < rows {
        let n = batch.min(rows - seq as u64);
        let mut entries = Vec::with_capacity(n as usize);
        for _ in 0..n {
            seq += 1;
            let jitter = rng.random_range(0..step_us);
            let at = first + Duration::microseconds(seq * step_us + jitter);
            let e = entry(&mut rng, ws, seq, at, &prev);
            prev.clone_from(&e.hash);
            entries.push(e);
        }
        insert(db, ws, &entries).await?;
        if seq % 1_000_000 == 0 {
            let rate = seq as f64 / started.elapsed().as_secs_f64();
            eprintln!("  generated {seq} entries ({rate:.0}/s)");
        }
    }
    switchboard_db::execute!(
        db,
        "INSERT INTO audit_chain_heads (workspace_id, seq, hash) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        ws,
        seq,
        &prev
    )?;
    let loaded = started.elapsed().as_secs_f64();
    for sql in &indexes {
        switchboard_db::execute!(db, sqlx::AssertSqlSafe(sql.clone()))?;
    }
    let total = started.elapsed().as_secs_f64();
    println!(
        "generated {rows} entries in {total:.0} s ({:.0} entries/s; load {loaded:.0} s, {} indexes rebuilt in {:.0} s)",
        rows as f64 / total,
        indexes.len(),
        total - loaded
    );
    Ok(())
}

/// Drops the log's secondary indexes; returns the statements that make
/// them again, as the migrations wrote them.
async fn drop_indexes(db: &Db) -> anyhow::Result<Vec<String>> {
    let defs: Vec<(String, String)> = match db {
        Db::Sqlite(_) => switchboard_db::fetch_all!(
            db,
            (String, String),
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL"
        )?,
        Db::Postgres(_) => switchboard_db::fetch_all!(
            db,
            (String, String),
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_log' AND indexname <> 'audit_log_pkey'"
        )?,
    };
    for (name, _) in &defs {
        switchboard_db::execute!(db, sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))?;
    }
    Ok(defs.into_iter().map(|(_, sql)| sql).collect())
}

async fn insert(db: &Db, ws: &str, entries: &[Entry]) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            // 16 columns × 2,000 rows stays under SQLite's 32,766 parameters.
            for chunk in entries.chunks(2_000) {
                let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("INSERT INTO audit_log ({COLUMNS}) "));
                q.push_values(chunk, |mut b, e| {
                    b.push_bind(e.id.as_str())
                        .push_bind(ws)
                        .push_bind(e.actor_type)
                        .push_bind(e.actor_id.as_deref())
                        .push_bind(e.actor_name.as_str())
                        .push_bind(e.action)
                        .push_bind(e.target_type)
                        .push_bind(e.target_id.as_str())
                        .push_bind(e.target_name.as_str())
                        .push_bind(sqlx::types::Json(&e.changes))
                        .push_bind(e.ip.as_deref())
                        .push_bind(e.user_agent.as_deref())
                        .push_bind(e.created_at)
                        .push_bind(e.seq)
                        .push_bind(e.prev_hash.as_str())
                        .push_bind(e.hash.as_str());
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let mut text = String::with_capacity(entries.len() * 400);
            for e in entries {
                let changes = serde_json::to_string(&e.changes)?;
                let time = e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                let fields: [Option<&str>; 16] = [
                    Some(&e.id),
                    Some(ws),
                    Some(e.actor_type),
                    e.actor_id.as_deref(),
                    Some(&e.actor_name),
                    Some(e.action),
                    Some(e.target_type),
                    Some(&e.target_id),
                    Some(&e.target_name),
                    Some(&changes),
                    e.ip.as_deref(),
                    e.user_agent.as_deref(),
                    Some(&time),
                    Some(&e.seq.to_string()),
                    Some(&e.prev_hash),
                    Some(&e.hash),
                ];
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        text.push('\t');
                    }
                    match f {
                        None => text.push_str("\\N"),
                        Some(v) => copy_escape(&mut text, v),
                    }
                }
                text.push('\n');
            }
            let mut conn = pool.acquire().await?;
            let mut copy = conn.copy_in_raw(&format!("COPY audit_log ({COLUMNS}) FROM STDIN")).await?;
            copy.send(text.into_bytes()).await?;
            copy.finish().await?;
        }
    }
    Ok(())
}

/// COPY's text format: backslash, tab and newline are escaped.
fn copy_escape(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => {
                let _ = out.write_char(c);
            }
        }
    }
}
