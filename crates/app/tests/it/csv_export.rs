//! CSV exports cannot carry formulas: a cell a spreadsheet would evaluate
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! written with a leading `'`, while the JSON Lines export keeps every
//! value exactly as stored.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::{self, Changes, Origin, Target};
use switchboard_core::WorkspaceId;

use crate::harness::TestApp;

const FORMULAS: &[&str] = &[
    "=HYPERLINK(\"https://evil.example\",\"Open\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
];

#[tokio::test]
async fn csv_cells_a_spreadsheet_would_evaluate_are_neutralised_and_json_lines_stay_exact() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    // Through the API, as an attacker would: a workspace name and a user agent.
    let res = admin
        .client
        .patch(admin.at("/api/v1/workspace"))
        .header("x-csrf-token", admin.csrf.clone().expect("csrf"))
        .header("user-agent", "@cmd|' /C calc'!A0")
        .json(&json!({"name": FORMULAS[0]}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), StatusCode::OK);
    // And target names a feature may record, whatever it accepts.
    let mut tx = app.state.db.begin().await.expect("begin");
    for (i, name) in FORMULAS.iter().chain(&["Plain name", "a=b", "'quoted"]).enumerate() {
        let target = Target::new("member", format!("mem_{i}"), *name);
        let changes = Changes::new().field("role", "viewer", "member");
        let origin = Origin::system(ws.clone());
        audit::record(&mut tx, &origin, &switchboard::members::ROLE_CHANGED, &target, &changes, app.clock_now())
            .await
            .expect("record");
    }
    tx.commit().await.expect("commit");

    let res = admin.get("/api/v1/audit-log/export?format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.bytes().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[8]).collect();
    for formula in FORMULAS {
        let quoted = format!("'{formula}");
        assert!(names.contains(&quoted.as_str()), "{formula:?} is written as {quoted:?}: {names:?}");
        assert!(!names.contains(formula), "{formula:?} is never written as it is");
    }
    for plain in ["Plain name", "a=b", "'quoted"] {
        assert!(names.contains(&plain), "{plain:?} is left alone");
    }
    let updated = rows.iter().find(|r| &r[2] == "workspace.updated").expect("the rename");
    assert_eq!(&updated[11], "'@cmd|' /C calc'!A0", "the user agent");
    // No cell of the whole file starts with a formula character.
    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?}");
        }
    }

    // JSON Lines: exact values.
    let text = admin.get("/api/v1/audit-log/export?format=jsonl").await.text().await.expect("body");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    for formula in FORMULAS {
        assert!(lines.iter().any(|l| l["target"]["name"] == *formula), "{formula:?} exact in JSON Lines");
    }
    let updated = lines.iter().find(|l| l["action"] == "workspace.updated").expect("the rename");
    assert_eq!(updated["user_agent"], "@cmd|' /C calc'!A0");
    assert_eq!(updated["changes"]["name"]["after"], FORMULAS[0]);
}
