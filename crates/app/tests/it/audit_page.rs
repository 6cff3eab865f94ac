//! Settings → Audit Log as a page: the list (newest first, workspace-local
//! times), its filters, "Load more", the detail view, export links, and
//! who may open it.
use reqwest::StatusCode;
use serde_json::json;
use switchboard::audit::{self, Changes, Origin, Target};
use switchboard_core::WorkspaceId;

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, flash_text, location};

/// `(entry id, action)` of each row, in page order.
fn rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-entry-id=\"")
        .skip(1)
        .map(|row| {
            let id = row.split('"').next().unwrap_or_default().to_string();
            let action = row
                .split("<code class=\"muted small\">")
                .nth(1)
                .and_then(|s| s.split("</code>").next())
                .unwrap_or_default()
                .to_string();
            (id, action)
        })
        .collect()
}

fn actions(html: &str) -> Vec<String> {
    rows(html).into_iter().map(|(_, action)| action).collect()
}

/// The `href` of the link that `marker` follows.
fn href_of(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(unescape(&html[start..end]))
}

/// Undoes the template's HTML escaping of `/` and `&` (enough for URLs).
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/").replace("&amp;", "&")
}

async fn page(admin: &Visitor, query: &str) -> (StatusCode, String) {
    let res = admin.get(&format!("/settings/audit-log{query}")).await;
    let status = res.status();
    (status, res.text().await.expect("html"))
}

#[tokio::test]
async fn the_page_lists_entries_newest_first_in_workspace_time_and_each_filter_narrows() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let minute = chrono::Duration::minutes(1);
    app.clock.advance(minute);
    let res = admin.patch("/api/v1/workspace", json!({"timezone": "Asia/Tokyo"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.clock.advance(minute);
    let (token_id, token) = create_token(&admin, "Deploy bot", "admin", None).await;
    app.clock.advance(chrono::Duration::days(1));
    let bot = TokenClient::bearer(&app.url, &token);
    let res = bot.call(reqwest::Method::PATCH, "/api/v1/workspace", Some(json!({"name": "Acme Bot"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.clock.advance(minute);
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    let mut tx = app.state.db.begin().await.expect("begin");
    let target = Target::new("member", "mem_1", "Grace Hopper");
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
    tx.commit().await.expect("commit");

    let (status, html) = page(&admin, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        actions(&html),
        ["member.role_changed", "workspace.updated", "api_token.created", "workspace.updated", "workspace.created"],
        "newest first"
    );
    // 12:00 UTC is 21:00 in Tokyo, with UTC on hover.
    assert!(html.contains("28 Nov 2026, 21:00:00 JST"), "local time");
    assert!(html.contains("title=\"2026-11-28 12:00:00 UTC\""), "UTC on hover");
    assert!(html.contains("datetime=\"2026-11-28T12:00:00.000000Z\""));
    assert!(html.contains("Deploy bot <span class=\"badge\">Token</span>"), "token actors carry a badge");
    assert!(html.contains("<optgroup label=\"Experimental features\">"));
    assert!(html.contains("<option value=\"member.*\">All Members</option>"));

    assert_eq!(actions(&page(&admin, "?action=workspace.updated").await.1), ["workspace.updated"; 2]);
    assert_eq!(actions(&page(&admin, "?action=member.*").await.1), ["member.role_changed"]);
    assert_eq!(actions(&page(&admin, "?target_type=api_token").await.1), ["api_token.created"]);
    assert_eq!(actions(&page(&admin, &format!("?actor={token_id}")).await.1), ["workspace.updated"]);
    assert_eq!(actions(&page(&admin, "?actor=system").await.1), ["member.role_changed"]);
    assert_eq!(actions(&page(&admin, "?search=grace").await.1), ["member.role_changed"]);
    // Dates are whole days in Tokyo: the 28th, and the 29th onwards.
    assert_eq!(actions(&page(&admin, "?to=2026-11-28").await.1).len(), 3);
    assert_eq!(actions(&page(&admin, "?from=2026-11-29&to=2026-11-29").await.1).len(), 2);
    let (_, html) = page(&admin, "?action=workspace.updated&search=nothing").await;
    assert!(rows(&html).is_empty());
    assert!(html.contains("No entries match these filters"), "empty state");
    assert!(html.contains("<option value=\"workspace.updated\" selected>"), "the form keeps the filter");
}

#[tokio::test]
async fn bad_filter_input_shows_a_message_by_the_field_and_no_entries() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for (query, field) in [
        ("?from=yesterday", "audit-from"),
        ("?to=2026-02-31", "audit-to"),
        ("?from=2026-11-28&to=2026-11-01", "audit-to"),
        ("?action=DROP%20TABLE", "audit-action"),
    ] {
        let (status, html) = page(&admin, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(html.contains(&format!("id=\"{field}-error\"")), "{query}: message by {field}");
        assert!(rows(&html).is_empty(), "{query}: no entries");
        assert!(!html.contains("Export CSV"), "{query}: nothing to export");
    }
    let (_, html) = page(&admin, "?from=yesterday").await;
    assert!(html.contains("Enter a date as YYYY-MM-DD"));
    let (status, html) = page(&admin, "?cursor=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Start from the newest entry"));
}

#[tokio::test]
async fn load_more_carries_the_cursor_and_filters_and_never_repeats_an_entry() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    let mut tx = app.state.db.begin().await.expect("begin");
    for i in 0..60 {
        let target = Target::new("member", format!("mem_{i}"), format!("Person {i}"));
        let changes = Changes::new().field("role", "viewer", "member");
        // Same time for all: the ID breaks ties.
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

    let (_, first) = page(&admin, "?action=member.role_changed").await;
    let first_rows = rows(&first);
    assert_eq!(first_rows.len(), 50);
    let more = href_of(&first, ">Load more</a>").expect("a Load more link");
    assert!(more.contains("action=member.role_changed") && more.contains("cursor="), "{more}");
    let second = admin.get_text(&more).await;
    let second_rows = rows(&second);
    assert_eq!(second_rows.len(), 10, "the rest");
    assert!(!second.contains(">Load more</a>"), "nothing after the last page");
    assert!(second_rows.iter().all(|(_, a)| a == "member.role_changed"), "the filter holds");
    let mut ids: Vec<&String> = first_rows.iter().chain(&second_rows).map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "no overlap");
}

#[tokio::test]
async fn the_detail_view_shows_before_and_after_and_export_links_work_with_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = admin.patch("/api/v1/workspace", json!({"name": "Acme Two"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let (_, html) = page(&admin, "?action=workspace.updated").await;
    let (id, _) = rows(&html).into_iter().next().expect("the rename");
    let link = href_of(&html, "Workspace updated<span").expect("a link to the entry");
    assert_eq!(link, format!("/settings/audit-log/{id}?action=workspace.updated"));
    let detail = unescape(&admin.get_text(&link).await);
    assert!(detail.contains("<del>Acme Voice</del>"), "before");
    assert!(detail.contains("<ins>Acme Two</ins>"), "after");
    assert!(detail.contains("<code>name</code>"), "the field");
    assert!(detail.contains("Sequence number</dt><dd>2</dd>"), "after workspace.created");
    assert!(detail.contains("28 Nov 2026, 12:00:00 UTC") && detail.contains("2026-11-28 12:00:00 UTC"));
    assert!(detail.contains("href=\"/settings/audit-log?action=workspace.updated\""), "back keeps the filter");

    let csv_url = href_of(&html, "data-export=\"csv\"").expect("Export CSV");
    assert!(csv_url.starts_with("/api/v1/audit-log/export?format=csv&action=workspace.updated"), "{csv_url}");
    let res = admin.get(&csv_url).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.expect("csv");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "header and the rename: {body}");
    assert!(lines[0].starts_with("time_utc,time_local,action"));
    assert!(lines[1].contains("Acme Two") && lines[1].contains(&id));
}

#[tokio::test]
async fn another_workspaces_entry_and_unknown_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let (_, html) = page(&eve, "").await;
    let (theirs, _) = rows(&html).into_iter().next().expect("Evil Corp's workspace.created");
    assert_eq!(eve.get(&format!("/settings/audit-log/{theirs}")).await.status(), StatusCode::OK);
    assert_eq!(admin.get(&format!("/settings/audit-log/{theirs}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/settings/audit-log/aud_nothing").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_admins_open_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace_id().await;
    let (_, html) = page(&admin, "").await;
    let (id, _) = rows(&html).into_iter().next().expect("an entry");
    for role in ["member", "viewer"] {
        let mut user = app.visitor();
        user.sign_up(role, &format!("{role}@example.com"), "correct horse battery").await;
        app.add_member(&ws_id, &user, role).await;
        user.switch_to(&ws_id).await;
        for path in ["/settings/audit-log".to_string(), format!("/settings/audit-log/{id}")] {
            let res = user.get(&path).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role} {path}");
            assert_ne!(location(&res), path);
            assert!(flash_text(&res).unwrap_or_default().contains("permission"), "{role} {path}");
        }
    }
    let anonymous = app.visitor();
    assert!(location(&anonymous.get("/settings/audit-log").await).starts_with("/signin"));
}
