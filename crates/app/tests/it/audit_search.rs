//! The Audit Log's search through the trigram index (migration 0023):
//! the same results as a scan (case-insensitive substrings of target
//! names, this workspace only, short terms too), and on SQLite an FTS5
//! index that stays in step with the log as entries come and go.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_db::{Backend, execute, fetch_scalar};

use crate::harness::{TestApp, Visitor};

async fn names(admin: &Visitor, search: &str) -> Vec<String> {
    let body: Value = admin.get_json(&format!("/api/v1/audit-log?search={search}")).await;
    let entries = body["data"].as_array().expect("data");
    entries.iter().map(|e| e["target"]["name"].as_str().expect("target name").to_string()).collect()
}

async fn rename(admin: &Visitor, name: &str) {
    assert_eq!(admin.patch("/api/v1/workspace", json!({ "name": name })).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn search_finds_substrings_of_target_names_through_the_index() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for name in ["Ada LOVELACE Voice", "Grace Hopper Voice", "Lovelace Labs", "Lo-Fi Calls"] {
        rename(&admin, name).await;
    }
    let other = app.user_with_workspace("Bob", "bob@example.com", "Lovelace Elsewhere").await;
    rename(&other, "Lovelace Again").await;

    assert_eq!(names(&admin, "lovelace").await, ["Lovelace Labs", "Ada LOVELACE Voice"], "newest first, any case");
    assert_eq!(names(&admin, "HOPPER").await, ["Grace Hopper Voice"]);
    assert_eq!(names(&admin, "e%20v").await, ["Ada LOVELACE Voice", "Acme Voice"], "with the space");
    assert_eq!(names(&admin, "zzqx").await, Vec::<String>::new(), "found nowhere");
    // Shorter than a trigram: read without the index, same rules.
    assert_eq!(names(&admin, "lo").await, ["Lo-Fi Calls", "Lovelace Labs", "Ada LOVELACE Voice"]);
    assert_eq!(names(&admin, "%25").await, Vec::<String>::new(), "% matches itself");
    // The export decides the search's start once and finds the same entries.
    let csv = admin.get_text("/api/v1/audit-log/export?format=csv&search=LOVELACE").await;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].contains("Lovelace Labs") && rows[1].contains("Ada LOVELACE Voice"), "{csv}");

    if app.state.db.backend() == Backend::Sqlite {
        // The external-content index agrees with audit_log, also after
        // rows went.
        let check = "INSERT INTO audit_log_search (audit_log_search, rank) VALUES ('integrity-check', 1)";
        execute!(&app.state.db, check).expect("index in step");
        let ws = other.workspace_id().await;
        // As retention and a workspace's deletion remove entries.
        let deleted =
            execute!(&app.state.db, "DELETE FROM audit_log WHERE workspace_id = $1", ws.as_str()).expect("delete");
        assert_eq!(deleted, 2);
        execute!(&app.state.db, check).expect("index in step after a delete");
        let left = fetch_scalar!(
            &app.state.db,
            i64,
            "SELECT COUNT(*) FROM audit_log_search WHERE audit_log_search MATCH '\"lovelace\"'"
        )
        .expect("count");
        assert_eq!(left, 2, "only the first workspace's entries are left in the index");
    }
}
