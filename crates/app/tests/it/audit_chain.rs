//! The audit log's hash chain: valid after real changes, broken by any
//! edit, removal or truncation (and verify names where), append-only on
//! PostgreSQL, and gap-free under concurrent writers in two processes.
const TEST_GROUP: switchboard::audit::ActionGroup =
    switchboard::audit::ActionGroup { title: "Tests", filter: "test.*" };
const TEST_CHANGED: switchboard::audit::Action =
    switchboard::audit::Action::new("test.changed", "Test change", &TEST_GROUP);
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::{self, Changes, Origin, Target, chain};
use switchboard::state::AppState;
use switchboard_core::WorkspaceId;
use switchboard_db::{Backend, execute, fetch_scalar};

use crate::harness::{TestApp, on_postgres};

/// A second server process's state on the same database.
async fn second_process(app: &TestApp) -> AppState {
    let config = app.state.config.clone();
    switchboard::server::build_state(config, app.url.clone(), app.clock.clone()).await.expect("second state")
}

/// Runs `sql` against the log, past PostgreSQL's append-only trigger (as
/// someone with direct database access could).
async fn tamper(app: &TestApp, sql: &'static str, id: &str) {
    let db = &app.state.db;
    if db.backend() == Backend::Postgres {
        execute!(db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only").expect("disable");
    }
    execute!(db, sql, id).expect("tamper");
    if db.backend() == Backend::Postgres {
        execute!(db, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only").expect("enable");
    }
}

async fn entry_ids(app: &TestApp, ws: &WorkspaceId) -> Vec<String> {
    let rows: Vec<(String,)> = switchboard_db::fetch_all!(
        &app.state.db,
        (String,),
        "SELECT id FROM audit_log WHERE workspace_id = $1 ORDER BY seq",
        ws.as_str()
    )
    .expect("ids");
    rows.into_iter().map(|(id,)| id).collect()
}

#[tokio::test]
async fn the_chain_verifies_and_names_the_first_edited_or_missing_entry() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    for name in ["Acme Voice Labs", "Acme Voice Two", "Acme Voice Three", "Acme Voice Four"] {
        assert_eq!(admin.patch("/api/v1/workspace", json!({"name": name})).await.status(), StatusCode::OK);
    }
    let report: Value = admin.get_json("/api/v1/audit-log/verify").await;
    assert_eq!(report["first_break"], Value::Null, "{report}");
    assert_eq!(report["entries"], 5, "workspace.created and four renames");
    assert_eq!(report["head_seq"], 5);
    let ids = entry_ids(&app, &ws).await;
    assert_eq!(ids.len(), 5);

    // Editing one field of the third entry breaks it, and only from there.
    tamper(&app, "UPDATE audit_log SET target_name = 'Innocent' WHERE id = $1", &ids[2]).await;
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    let broken = report.first_break.clone().expect("broken");
    assert_eq!((broken.entry_id.as_str(), broken.seq, broken.reason), (ids[2].as_str(), 3, "content_changed"));
    assert_eq!(report.entries, 2, "the two before it match");
    let api: Value = admin.get_json("/api/v1/audit-log/verify").await;
    assert_eq!(api["first_break"]["entry_id"], ids[2].as_str());
}

#[tokio::test]
async fn removed_entries_and_a_cut_tail_are_found() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    for name in ["Acme Two", "Acme Three", "Acme Four"] {
        assert_eq!(admin.patch("/api/v1/workspace", json!({"name": name})).await.status(), StatusCode::OK);
    }
    let ids = entry_ids(&app, &ws).await;
    tamper(&app, "DELETE FROM audit_log WHERE id = $1", &ids[3]).await;
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    assert_eq!(report.first_break.expect("broken").reason, "head_mismatch", "the last entry is gone");

    tamper(&app, "DELETE FROM audit_log WHERE id = $1", &ids[1]).await;
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    let broken = report.first_break.expect("broken");
    assert_eq!((broken.entry_id.as_str(), broken.reason), (ids[2].as_str(), "missing_entries"));
}

#[tokio::test]
async fn postgres_refuses_updates_and_deletes_except_workspace_deletion() {
    if !on_postgres() {
        return; // The trigger is PostgreSQL's; SQLite has no path that edits entries.
    }
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let db = &app.state.db;
    let update = execute!(db, "UPDATE audit_log SET actor_name = 'Eve' WHERE workspace_id = $1", ws.as_str());
    assert!(format!("{:?}", update.expect_err("refused")).contains("append-only"));
    let delete = execute!(db, "DELETE FROM audit_log WHERE workspace_id = $1", ws.as_str());
    assert!(delete.is_err(), "refused");
    // Deleting the workspace is the one way entries go.
    let res =
        admin.api(reqwest::Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme Voice"}))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let left =
        fetch_scalar!(db, i64, "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1", ws.as_str()).expect("count");
    assert_eq!(left, 1, "only the deletion's own entry");
    let report = chain::verify(db, &app.state.server_key, &ws.parse().expect("ws")).await.expect("verify");
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.entries, 1);
}

#[tokio::test]
async fn concurrent_writers_in_two_processes_leave_one_chain_without_gaps() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    let other = second_process(&app).await;
    // 8 writers × 500 changes on PostgreSQL, as the issue asks; fewer on
    // SQLite, whose single writer makes this a test of correctness only.
    let per_writer = if on_postgres() { 500 } else { 60 };
    let mut writers = Vec::new();
    for w in 0..8 {
        let state = if w % 2 == 0 { app.state.clone() } else { other.clone() };
        let ws = ws.clone();
        let now = app.clock_now();
        writers.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let mut tx = state.db.begin().await.expect("begin");
                let target = Target::new("workspace", &ws, format!("writer {w} change {i}"));
                let changes = Changes::new().field("counter", i, i + 1);
                audit::record(&mut tx, &Origin::system(ws.clone()), &TEST_CHANGED, &target, &changes, now)
                    .await
                    .expect("record");
                // Every third change rolls back: it must leave no gap.
                if i % 3 == 2 {
                    tx.rollback().await.expect("rollback");
                } else {
                    tx.commit().await.expect("commit");
                }
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let committed = 8 * (per_writer - per_writer / 3);
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.entries, i64::from(committed + 1), "every committed change, plus workspace.created");
    assert_eq!(report.head_seq, report.entries);
}

#[tokio::test]
async fn the_cli_verifies_and_exits_non_zero_on_a_broken_chain() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "Acme Two"})).await.status(), StatusCode::OK);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["--database-url", &app.state.config.database_url, "--data-dir"])
            .arg(&app.state.config.data_dir)
            .args(args)
            .output()
            .expect("run")
    };
    let out = run(&["audit", "verify", "--workspace", ws.as_str()]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("{ws}: ok, 2 entries")), "{stdout}");
    let ids = entry_ids(&app, &ws).await;
    tamper(&app, "UPDATE audit_log SET ip = '10.0.0.1' WHERE id = $1", &ids[0]).await;
    let out = run(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at entry {}", ids[0])), "{stdout}");
}
