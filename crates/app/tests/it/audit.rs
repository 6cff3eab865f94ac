//! The audit write path: every change leaves an entry in its transaction;
//! a rolled-back change leaves none.
use reqwest::StatusCode;
use serde_json::json;
use switchboard::audit::{self, Changes, Origin, Target};
use switchboard_db::fetch_scalar;

use crate::harness::{TestApp, png};

#[tokio::test]
async fn every_change_leaves_an_entry_with_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    let ws: switchboard_core::WorkspaceId = ws_id.parse().expect("id");

    assert_eq!(
        admin.patch("/api/v1/workspace", json!({"name": "Acme Voice Labs", "timezone": "Europe/Paris"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(admin.put_bytes("/api/v1/workspace/logo", png(32, 32), "image/png").await.status(), StatusCode::OK);
    assert_eq!(admin.delete("/api/v1/workspace/logo").await.status(), StatusCode::OK);
    // A no-op save writes nothing.
    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "Acme Voice Labs"})).await.status(), StatusCode::OK);
    // A refused save writes nothing either.
    assert_eq!(admin.patch("/api/v1/workspace", json!({"name": "x"})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let entries = audit::list_recent(&app.state.db, &ws, 100).await.expect("entries");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["workspace.logo_removed", "workspace.logo_updated", "workspace.updated", "workspace.created"]);
    let updated = &entries[2];
    assert_eq!(updated.actor_type, "user");
    assert_eq!(updated.actor_name, "Ada");
    assert_eq!(updated.target_type, "workspace");
    assert_eq!(updated.target_id, ws_id);
    assert_eq!(updated.ip.as_deref(), Some("127.0.0.1"));
    let changes = &updated.changes.0.0;
    assert_eq!(changes["name"].before, "Acme Voice");
    assert_eq!(changes["name"].after, "Acme Voice Labs");
    assert_eq!(changes["timezone"].after, "Europe/Paris");
    assert!(!changes.contains_key("website"), "unchanged fields are left out");
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_entry() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: switchboard_core::WorkspaceId = admin.workspace().await["id"].as_str().expect("id").parse().expect("id");
    let count = || async {
        fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1", ws.as_str())
            .expect("count")
    };
    let before = count().await;

    let mut tx = app.state.db.begin().await.expect("tx");
    switchboard_db::execute!(&mut tx, "UPDATE workspaces SET name = 'Rolled Back' WHERE id = $1", ws.as_str())
        .expect("update");
    let changes = Changes::new().field("name", "Acme Voice", "Rolled Back");
    audit::record(
        &mut tx,
        &Origin::system(ws.clone()),
        &switchboard::workspaces::UPDATED,
        &Target::new("workspace", &ws, "Acme Voice"),
        &changes,
        app.clock_now(),
    )
    .await
    .expect("record");
    tx.rollback().await.expect("rollback");

    assert_eq!(count().await, before);
    assert_eq!(admin.workspace().await["name"], "Acme Voice");

    let mut tx = app.state.db.begin().await.expect("tx");
    audit::record(
        &mut tx,
        &Origin::system(ws.clone()),
        &switchboard::workspaces::UPDATED,
        &Target::new("workspace", &ws, "Acme Voice"),
        &changes,
        app.clock_now(),
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
    assert_eq!(count().await, before + 1);
}
