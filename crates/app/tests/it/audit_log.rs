//! Reading the audit log through the API: filters, keyset pages and the
//! streamed CSV / JSON Lines export.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::{self, Changes, Origin, Target};
use switchboard_core::WorkspaceId;

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, problem};

async fn ids(admin: &Visitor, query: &str) -> Vec<String> {
    let body: Value = admin.get_json(&format!("/api/v1/audit-log?{query}")).await;
    body["data"].as_array().expect("data").iter().map(|e| e["action"].as_str().expect("action").to_string()).collect()
}

#[tokio::test]
async fn the_log_filters_by_actor_action_target_text_and_time_and_pages_by_cursor() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (token_id, token) = create_token(&admin, "Deploy bot", "admin", None).await;
    app.clock.advance(chrono::Duration::minutes(1));
    let before_renames = app.clock_now();
    for name in ["Acme Two", "Acme Three"] {
        assert_eq!(admin.patch("/api/v1/workspace", json!({"name": name})).await.status(), StatusCode::OK);
        app.clock.advance(chrono::Duration::minutes(1));
    }
    let bot = TokenClient::bearer(&app.url, &token);
    let res = bot.call(reqwest::Method::PATCH, "/api/v1/workspace", Some(json!({"name": "Acme Bot"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        admin.post_json("/api/v1/invitations", json!({"email": "bob@example.com", "role": "viewer"})).await.status(),
        StatusCode::CREATED
    );

    let all = ids(&admin, "").await;
    assert_eq!(
        all,
        [
            "member.invited",
            "workspace.updated",
            "workspace.updated",
            "workspace.updated",
            "api_token.created",
            "workspace.created"
        ],
        "newest first"
    );
    assert_eq!(ids(&admin, "action=workspace.*").await.len(), 4);
    assert_eq!(ids(&admin, "action=api_token.created").await, ["api_token.created"]);
    assert_eq!(ids(&admin, "target_type=invitation").await, ["member.invited"]);
    assert_eq!(ids(&admin, &format!("actor={token_id}")).await, ["workspace.updated"], "what the token did");
    assert_eq!(ids(&admin, "search=ACME%20THREE").await.len(), 1, "case-insensitive, in target names");
    let from = urlencode(&before_renames.to_rfc3339());
    let to = urlencode(&(before_renames + chrono::Duration::seconds(30)).to_rfc3339());
    assert_eq!(ids(&admin, &format!("from={from}&to={to}")).await, ["workspace.updated"]);

    // The token badge's data: actor type and name.
    let page: Value = admin.get_json(&format!("/api/v1/audit-log?actor={token_id}")).await;
    let entry = &page["data"][0];
    assert_eq!((entry["actor"]["type"].as_str(), entry["actor"]["name"].as_str()), (Some("token"), Some("Deploy bot")));
    assert_eq!(entry["changes"]["name"]["before"], "Acme Three");
    assert_eq!(entry["changes"]["name"]["after"], "Acme Bot");

    // Pages of 2 walk the whole log once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = admin.get_json(&format!("/api/v1/audit-log?limit=2&cursor={cursor}")).await;
        seen.extend(page["data"].as_array().expect("data").iter().map(|e| e["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), all.len());
    seen.dedup();
    assert_eq!(seen.len(), all.len(), "no entry twice");

    let res = admin.get("/api/v1/audit-log?action=DROP%20TABLE").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "action");
    assert_eq!(admin.get("/api/v1/audit-log?cursor=nonsense").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn exports_stream_every_matching_entry_as_csv_or_json_lines() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    // More than two export pages.
    let mut tx = app.state.db.begin().await.expect("begin");
    for i in 0..2_345 {
        let target = Target::new("member", format!("mem_{i}"), format!("Person, \"{i}\"\nwith a line break"));
        let changes = Changes::new().field("role", "viewer", "member");
        audit::record(
            &mut tx,
            &Origin::system(ws.clone()),
            &switchboard::members::ROLE_CHANGED,
            &target,
            &changes,
            app.clock_now(),
        )
        .await
        .expect("record");
    }
    tx.commit().await.expect("commit");

    let res = admin.get("/api/v1/audit-log/export?format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().expect("header").contains(".csv"));
    let body = res.bytes().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(&header[..3], ["time_utc", "time_local", "action"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2_345 + 1, "every entry once, with workspace.created");
    assert!(rows.iter().any(|r| &r[8] == "Person, \"17\"\nwith a line break"), "quoting survives");

    let res = admin.get("/api/v1/audit-log/export?format=jsonl&action=workspace.*").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.expect("body");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], "workspace.created");

    let res = admin.get("/api/v1/audit-log/export?format=xml").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An empty result is a header alone.
    let res = admin.get("/api/v1/audit-log/export?format=csv&action=nothing.here").await;
    assert_eq!(res.text().await.expect("body").lines().count(), 1);
}
