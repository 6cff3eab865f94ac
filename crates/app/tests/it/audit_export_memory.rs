//! The CSV export of 400,000 entries from a real `switchboard serve`
//! process: every row arrives, and the server's peak resident memory
//! (VmHWM) grows by less than half of the CSV's size, because the export
//! streams a page (1,000 entries) at a time instead of holding the result.
//!
//! A regression that buffers the export would hold at least the whole CSV
//! (~100 MB here; SQLite's page caches alone grow by ~30 MB) and fails [`GROWTH_LIMIT_MB`], while allocator and
//! debug-build noise does not. The full size (ten million entries, rows a
//! second, flat memory) is the `audit_log` benchmark's.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use switchboard::auth::session;
use switchboard_db::{Backend, execute, fetch_scalar};

use crate::harness::TestApp;

const ENTRIES: i64 = 400_000;
/// How much the server's peak resident memory may grow during the export.
const GROWTH_LIMIT_MB: f64 = 50.0;

/// [`ENTRIES`] entries for `ws`, made by the database itself (they need
/// not be chain-valid here: only the export reads them). One second apart
/// from 2024-01-01, three actions, one actor.
async fn fill(app: &TestApp, ws: &str) {
    let sql = match app.state.db.backend() {
        Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
             INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_name, action, target_type,
                                    target_id, target_name, changes, ip, user_agent, created_at)
             SELECT printf('aud_%026d', i), $1, 'user', 'usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0', 'Ada Lovelace',
                    CASE i % 3 WHEN 0 THEN 'member.signed_in' WHEN 1 THEN 'workspace.updated' ELSE 'member.invited' END,
                    'member', 'mem_' || i, 'Member ' || i, '{\"name\":{\"before\":\"a\",\"after\":\"b\"}}',
                    '203.0.113.7', 'Mozilla/5.0', strftime('%Y-%m-%dT%H:%M:%S+00:00', 1704067200 + i, 'unixepoch')
             FROM n"
        }
        Backend::Postgres => {
            "INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_name, action, target_type,
                                    target_id, target_name, changes, ip, user_agent, created_at)
             SELECT 'aud_' || lpad(i::text, 26, '0'), $1, 'user', 'usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0', 'Ada Lovelace',
                    CASE i % 3 WHEN 0 THEN 'member.signed_in' WHEN 1 THEN 'workspace.updated' ELSE 'member.invited' END,
                    'member', 'mem_' || i, 'Member ' || i, '{\"name\":{\"before\":\"a\",\"after\":\"b\"}}'::jsonb,
                    '203.0.113.7', 'Mozilla/5.0', timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
             FROM generate_series(1, $2::bigint) AS i"
        }
    };
    execute!(&app.state.db, sql, ws, ENTRIES).expect("generate entries");
}

/// `switchboard serve` on the test's database and data dir; its URL.
fn serve(app: &TestApp) -> (Child, String) {
    let config = &app.state.config;
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn switchboard serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    let url = line.trim().strip_prefix("Switchboard is running at ").expect("prints its URL").to_string();
    (child, url)
}

/// A process's peak resident set (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).expect("VmHWM");
    kb.trim().trim_end_matches("kB").trim().parse::<f64>().expect("kB") / 1024.0
}

#[tokio::test]
async fn a_large_csv_export_streams_in_bounded_server_memory() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let user_id: switchboard_core::UserId =
        admin.get_json("/api/v1/me").await["id"].as_str().expect("id").parse().expect("user id");
    let count = "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1";
    let before = fetch_scalar!(&app.state.db, i64, count, ws.as_str()).expect("count");
    let started = Instant::now();
    fill(&app, &ws).await;
    let filled = started.elapsed();
    let new = session::NewSession {
        user_id: &user_id,
        current_workspace_id: Some(&ws.parse().expect("ws")),
        ip: None,
        user_agent: None,
    };
    let token = session::create(&app.state.db, new, chrono::Utc::now()).await.expect("session");

    let (mut child, url) = serve(&app);
    // The server's peak after it started and served one small request.
    let _ = reqwest::get(format!("{url}/healthz")).await.expect("healthz");
    let at_rest = peak_rss_mb(child.id());
    let exported = Instant::now();
    let mut res = reqwest::Client::new()
        .get(format!("{url}/api/v1/audit-log/export?format=csv"))
        .header("cookie", format!("{}={token}", session::SESSION_COOKIE))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 200);
    // Counted as it arrives; the body is never held.
    let (mut lines, mut bytes) = (0i64, 0usize);
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as i64;
    }
    let peak = peak_rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    eprintln!(
        "audit export: {ENTRIES} entries made in {:.1} s; exported {:.0} MB in {:.1} s; server VmHWM {at_rest:.1} MB \
         at rest, {peak:.1} MB after",
        filled.as_secs_f64(),
        bytes as f64 / 1e6,
        exported.elapsed().as_secs_f64()
    );
    assert_eq!(lines, 1 + ENTRIES + before, "the header and every entry");
    assert!(bytes > 100_000_000, "the CSV is larger than twice the growth allowed: {bytes} bytes");
    let growth = peak - at_rest;
    assert!(growth < GROWTH_LIMIT_MB, "server peak RSS grew {growth:.1} MB (to {peak:.1}), limit {GROWTH_LIMIT_MB} MB");
}
