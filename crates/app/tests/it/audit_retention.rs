//! Signed checkpoints (export, check, refuse forgeries and later edits) and
//! retention (whole chain prefixes removed at a stored checkpoint, verify
//! still passes, the database refuses anything else).
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::chain;
use switchboard::audit::checkpoint::Checkpoint;
use switchboard_core::WorkspaceId;
use switchboard_db::{Backend, execute, fetch_scalar};

use crate::harness::{TestApp, Visitor};

async fn rename(admin: &Visitor, name: &str) {
    assert_eq!(admin.patch("/api/v1/workspace", json!({ "name": name })).await.status(), StatusCode::OK);
}

/// Asks the API to verify a checkpoint (also used by the key-rotation test).
pub async fn check(admin: &Visitor, c: &Checkpoint) -> Value {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("workspace_id", &c.workspace_id)
        .append_pair("seq", &c.seq.to_string())
        .append_pair("hash", &c.hash)
        .append_pair("signed_at", &c.signed_at)
        .append_pair("key_id", &c.key_id)
        .append_pair("signature", &c.signature)
        .finish();
    admin.get_json(&format!("/api/v1/audit-log/checkpoint/verify?{query}")).await
}

async fn count(app: &TestApp, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1", ws.as_str())
        .expect("count")
}

#[tokio::test]
async fn an_exported_checkpoint_checks_out_until_something_before_it_changes() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    rename(&admin, "Acme Two").await;
    let c: Checkpoint =
        serde_json::from_value(admin.get_json("/api/v1/audit-log/checkpoint").await).expect("checkpoint");
    assert_eq!((c.workspace_id.as_str(), c.seq), (ws.as_str(), 2));
    assert_eq!(c.key_id, app.state.server_key.key_id());
    // Later entries do not disturb it.
    rename(&admin, "Acme Three").await;
    let res = check(&admin, &c).await;
    assert_eq!(res["valid"], true, "{res}");

    // A forged or edited checkpoint is refused.
    for forged in [
        Checkpoint { seq: 3, ..c.clone() },
        Checkpoint { hash: "0".repeat(64), ..c.clone() },
        Checkpoint { signature: "ab".repeat(32), ..c.clone() },
    ] {
        let res = check(&admin, &forged).await;
        assert_eq!((res["valid"].clone(), res["reason"].clone()), (json!(false), json!("signature_invalid")), "{res}");
    }
    // Signed by another server's key: refused too.
    let other = switchboard::server_key::ServerKey::parse(&format!("{}=", "Q".repeat(43))).expect("key");
    let foreign = switchboard::audit::checkpoint::sign(&other, ws.as_str(), c.seq, &c.hash, app.clock_now());
    assert_eq!(check(&admin, &foreign).await["reason"], "signature_invalid");
    // Bad input is a problem, not a 500.
    let res = admin.get("/api/v1/audit-log/checkpoint/verify?seq=x").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Someone edits the first entry in the database: the checkpoint no longer holds.
    if app.state.db.backend() == Backend::Postgres {
        execute!(&app.state.db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only").expect("disable");
    }
    execute!(
        &app.state.db,
        "UPDATE audit_log SET target_name = 'Evil' WHERE workspace_id = $1 AND seq = 1",
        ws.as_str()
    )
    .expect("tamper");
    let res = check(&admin, &c).await;
    assert_eq!((res["valid"].clone(), res["reason"].clone()), (json!(false), json!("chain_broken")), "{res}");
    assert_eq!(res["chain"]["first_break"]["seq"], 1);
}

#[tokio::test]
async fn the_cli_prints_a_checkpoint_and_checks_it() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    rename(&admin, "Acme Two").await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["--database-url", &app.state.config.database_url, "--data-dir"])
            .arg(&app.state.config.data_dir)
            .args(args)
            .output()
            .expect("run")
    };
    let out = run(&["audit", "checkpoint", "--workspace", &ws]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c: Checkpoint = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(c.seq, 2);
    let file = app.state.config.data_dir.join("checkpoint.json");
    std::fs::write(&file, &out.stdout).expect("write");
    let path = file.to_string_lossy().to_string();
    let out = run(&["audit", "verify", "--workspace", &ws, "--checkpoint", &path]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("checkpoint at entry 2") && stdout.contains("nothing up to it changed"), "{stdout}");
    let edited = serde_json::to_vec(&Checkpoint { hash: "f".repeat(64), ..c }).expect("json");
    std::fs::write(&file, edited).expect("write");
    let out = run(&["audit", "verify", "--workspace", &ws, "--checkpoint", &path]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("NOT VALID: signature_invalid"), "{stdout}");
}

#[tokio::test]
async fn retention_cuts_whole_prefixes_at_a_checkpoint_and_verify_still_passes() {
    let app = TestApp::spawn_with_args(|a| a.audit.retention = Some("10d".into())).await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    for i in 0..4 {
        rename(&admin, &format!("Old name {i}")).await;
    }
    let early: Checkpoint =
        serde_json::from_value(admin.get_json("/api/v1/audit-log/checkpoint").await).expect("checkpoint");
    assert_eq!(early.seq, 5);
    app.clock.advance(chrono::Duration::days(12));
    rename(&admin, "Recent").await;
    // Nothing happens while the log is younger than the period.
    let before = count(&app, &ws).await;
    assert_eq!(before, 6);

    switchboard::jobs::hourly_cleanup(&app.state).await;
    // Entries 1–5 went; 6 (recent) and the retention entry stay.
    let seqs: Vec<(i64, String)> = switchboard_db::fetch_all!(
        &app.state.db,
        (i64, String),
        "SELECT seq, action FROM audit_log WHERE workspace_id = $1 ORDER BY seq",
        ws.as_str()
    )
    .expect("rows");
    assert_eq!(seqs, vec![(6, "workspace.updated".into()), (7, "audit_log.retention_applied".into())]);
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    assert!(report.is_valid(), "{report:?}");
    assert_eq!((report.cut_at_seq, report.entries, report.head_seq), (5, 2, 7));
    let api: Value = admin.get_json("/api/v1/audit-log/verify").await;
    assert_eq!((api["cut_at_seq"].clone(), api["first_break"].clone()), (json!(5), Value::Null), "{api}");
    let entry: Value = admin.get_json("/api/v1/audit-log?action=audit_log.retention_applied").await;
    let changes = &entry["data"][0]["changes"];
    assert_eq!(changes["entries_removed"]["after"], 5, "{entry}");
    assert_eq!(changes["checkpoint_hash"]["after"], early.hash.as_str());
    assert_eq!(changes["retention"]["after"], "10d");
    // The checkpoint exported at entry 5 is exactly the cut: still provable.
    assert_eq!(check(&admin, &early).await["valid"], true);

    // Running again removes nothing more and cuts nothing new.
    switchboard::jobs::hourly_cleanup(&app.state).await;
    assert_eq!(count(&app, &ws).await, 2);
    let cuts = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM audit_checkpoints").expect("cuts");
    assert_eq!(cuts, 1);

    // A forged cut (say, someone moves it past entries they want gone) is caught.
    execute!(&app.state.db, "UPDATE audit_checkpoints SET seq = 6 WHERE workspace_id = $1", ws.as_str()).expect("edit");
    let report = chain::verify(&app.state.db, &app.state.server_key, &ws).await.expect("verify");
    assert_eq!(report.first_break.map(|b| b.reason), Some("checkpoint_signature_invalid"));
}

#[tokio::test]
async fn postgres_lets_retention_delete_only_what_a_checkpoint_covers() {
    let app = TestApp::spawn().await;
    if app.state.db.backend() != Backend::Postgres {
        return;
    }
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    rename(&admin, "Acme Two").await;
    rename(&admin, "Acme Three").await;
    let delete_in_retention_mode = |seq: i64| {
        let (db, ws) = (app.state.db.clone(), ws.clone());
        async move {
            let mut tx = db.begin().await.expect("tx");
            execute!(&mut tx, "SELECT set_config('switchboard.audit_delete', 'retention', true)").expect("mode");
            let res = execute!(&mut tx, "DELETE FROM audit_log WHERE workspace_id = $1 AND seq = $2", ws.as_str(), seq);
            if res.is_ok() {
                tx.commit().await.expect("commit");
            }
            res
        }
    };
    let refused = delete_in_retention_mode(1).await;
    assert!(format!("{:?}", refused.expect_err("no checkpoint yet")).contains("append-only"));
    execute!(
        &app.state.db,
        "INSERT INTO audit_checkpoints (workspace_id, seq, hash, signed_at, key_id, signature, created_at)
         VALUES ($1, 1, 'h', 't', 'k', 's', now())",
        ws.as_str()
    )
    .expect("checkpoint");
    assert_eq!(delete_in_retention_mode(1).await.expect("covered"), 1);
    assert!(delete_in_retention_mode(2).await.is_err(), "entry 2 is past the checkpoint");
}
