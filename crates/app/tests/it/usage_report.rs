//! Reading usage: summaries from the hourly roll-ups by day in the
//! workspace's timezone (the 23:30 UTC boundary, a timezone change without
//! a rebuild), by type and by agent; this cycle, last cycle and custom
//! ranges and their errors; the events list's keyset pages and filters;
//! the streamed CSV export; Settings → Usage with its chart; and Members
//! and Viewers refused — on SQLite and PostgreSQL.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::WorkspaceId;
use switchboard_db::execute;

use crate::harness::{TestApp, Visitor, flash_text, problem};
use crate::usage_seed::{agent, ev, record};

async fn workspace(app: &TestApp) -> (Visitor, WorkspaceId) {
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    (admin, ws)
}

/// Puts the workspace on a monthly cycle from 2026-12-01 to 2027-01-01 UTC.
async fn december_cycle(app: &TestApp, ws: &WorkspaceId) {
    let start: chrono::DateTime<chrono::Utc> = "2026-12-01T00:00:00Z".parse().expect("t");
    let end: chrono::DateTime<chrono::Utc> = "2027-01-01T00:00:00Z".parse().expect("t");
    execute!(
        &app.state.db,
        "UPDATE subscriptions SET status = 'active', cycle = 'monthly', period_start = $2, period_end = $3 \
         WHERE workspace_id = $1",
        ws.as_str(),
        start,
        end
    )
    .expect("cycle");
}

async fn set_timezone(admin: &Visitor, tz: &str) {
    let res = admin.patch("/api/v1/workspace", json!({ "timezone": tz })).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
}

fn dates(summary: &Value) -> Vec<(String, i64)> {
    summary["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| (d["date"].as_str().expect("date").to_string(), d["credits"].as_i64().expect("credits")))
        .collect()
}

#[tokio::test]
async fn an_event_at_2330_utc_falls_on_the_next_day_in_paris_without_a_rebuild() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    record(
        &app.state,
        &ws,
        &[ev("sms", 500, "2026-12-07T23:30:00Z", None, "late"), ev("sms", 200, "2026-12-07T12:00:00Z", None, "noon")],
    )
    .await;
    let url = "/api/v1/usage/summary?from=2026-12-01&to=2026-12-10&group_by=day";
    let utc = admin.get_json(url).await;
    assert_eq!(dates(&utc), vec![("2026-12-07".into(), 700)]);
    assert_eq!(utc["timezone"], "UTC");

    set_timezone(&admin, "Europe/Paris").await;
    let paris = admin.get_json(url).await;
    assert_eq!(dates(&paris), vec![("2026-12-07".into(), 200), ("2026-12-08".into(), 500)]);
    assert_eq!(paris["from"], "2026-11-30T23:00:00Z", "local midnight of the first day");
    assert_eq!(paris["data"][1]["by_type"]["sms"], 500);
}

#[tokio::test]
async fn summaries_group_by_type_and_by_agent_with_deleted_and_missing_agents() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let reception = agent(&app.state, &ws, "Reception").await;
    let sales = agent(&app.state, &ws, "Sales").await;
    record(
        &app.state,
        &ws,
        &[
            ev("call_minutes", 4_000, "2026-12-02T10:00:00Z", Some(&reception), "a"),
            ev("call_minutes", 2_000, "2026-12-02T10:30:00Z", Some(&reception), "b"),
            ev("sms", 500, "2026-12-03T09:00:00Z", Some(&sales), "c"),
            ev("tts_characters", 300, "2026-12-03T09:00:00Z", None, "d"),
        ],
    )
    .await;
    execute!(&app.state.db, "DELETE FROM agents WHERE id = $1", sales.as_str()).expect("delete agent");

    let by_type = admin.get_json("/api/v1/usage/summary?from=2026-12-01&to=2026-12-31&group_by=type").await;
    assert_eq!(by_type["credits"], 6_800);
    assert_eq!(by_type["events"], 4);
    let types: Vec<(String, i64, i64)> = by_type["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|g| {
            (
                g["type"].as_str().expect("type").into(),
                g["credits"].as_i64().expect("c"),
                g["events"].as_i64().expect("e"),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![("call_minutes".into(), 6_000, 2), ("sms".into(), 500, 1), ("tts_characters".into(), 300, 1)]
    );
    assert_eq!(by_type["data"][0]["unit"], "seconds");
    assert_eq!(by_type["data"][0]["quantity"], 120);

    let by_agent = admin.get_json("/api/v1/usage/summary?from=2026-12-01&to=2026-12-31&group_by=agent").await;
    let agents: Vec<(Value, String, i64)> = by_agent["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|g| {
            (g["agent_id"].clone(), g["agent_name"].as_str().expect("name").into(), g["credits"].as_i64().expect("c"))
        })
        .collect();
    assert_eq!(
        agents,
        vec![
            (json!(reception), "Reception".into(), 6_000),
            (json!(sales), "Deleted agent".into(), 500),
            (Value::Null, "No agent".into(), 300),
        ]
    );

    let page = admin.get_text("/settings/usage?period=custom&from=2026-12-01&to=2026-12-31").await;
    let agents_table = &page[page.find("usage-agents").expect("agents table")..];
    let order: Vec<usize> = ["Reception", "Deleted agent", "No agent"]
        .iter()
        .map(|n| agents_table.find(&format!(">{n}</th>")).unwrap_or_else(|| panic!("{n} row")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "most credits first");
    let by_type_table = &page[page.find("usage-agent-types").expect("agent × type table")..];
    assert!(by_type_table.contains("<td class=\"num\">120 seconds</td>"));
}

#[tokio::test]
async fn this_cycle_last_cycle_and_custom_ranges_sum_their_own_days() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    december_cycle(&app, &ws).await;
    record(
        &app.state,
        &ws,
        &[
            ev("sms", 1_000, "2026-11-15T08:00:00Z", None, "nov"),
            ev("sms", 3_000, "2026-12-05T08:00:00Z", None, "dec"),
            ev("sms", 7_000, "2027-01-02T08:00:00Z", None, "jan"),
        ],
    )
    .await;
    let this = admin.get_json("/api/v1/usage/summary").await;
    assert_eq!((this["credits"].as_i64(), this["from"].as_str()), (Some(3_000), Some("2026-12-01T00:00:00Z")));
    assert_eq!(this["to"], "2027-01-01T00:00:00Z");

    let page = admin.get_text("/settings/usage?period=last_cycle").await;
    assert!(page.contains("<strong id=\"usage-used\">1</strong>"), "last cycle is November");
    assert!(page.contains("Nov 1, 2026 – Nov 30, 2026"));
    let page = admin.get_text("/settings/usage").await;
    assert!(page.contains("<strong id=\"usage-used\">3</strong>"), "this cycle is December");
    let page = admin.get_text("/settings/usage?period=custom&from=2026-11-01&to=2027-01-31").await;
    assert!(page.contains("<strong id=\"usage-used\">11</strong>"), "the custom range spans all three");
    let custom = admin.get_json("/api/v1/usage/summary?from=2026-12-05T08:00:00Z&to=2026-12-05T09:00:00Z").await;
    assert_eq!(custom["credits"], 3_000, "instants on the hour");
}

#[tokio::test]
async fn bad_ranges_and_parameters_are_refused_by_their_field() {
    let app = TestApp::spawn().await;
    let (admin, _) = workspace(&app).await;
    for (query, field) in [
        ("from=2026-12-07&to=2026-12-01", "to"),
        ("from=2025-01-01&to=2026-12-01", "to"),
        ("from=yesterday&to=2026-12-01", "from"),
        ("from=2026-12-01", "to"),
        ("from=2026-12-01T08:30:00Z&to=2026-12-02", "from"),
        ("group_by=week", "group_by"),
    ] {
        let res = admin.get(&format!("/api/v1/usage/summary?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let p = problem(res).await;
        assert!(p.to_string().contains(field), "{query}: {p}");
    }
    for query in ["type=calls", "from=nope", "cursor=%25%25", "limit=0"] {
        let res = admin.get(&format!("/api/v1/usage/events?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let res = admin.get("/settings/usage?period=custom&from=2026-12-07&to=2026-12-01").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"usage-to-error\">The end date must be on or after the start date."), "{html}");
    let res = admin.get("/settings/usage?period=custom&from=2025-01-01&to=2026-12-01").await;
    assert!(res.text().await.expect("html").contains("at most 366 days"));
}

#[tokio::test]
async fn the_export_streams_the_periods_events_as_safe_csv() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    set_timezone(&admin, "Europe/Paris").await;
    let reception = agent(&app.state, &ws, "Reception").await;
    record(
        &app.state,
        &ws,
        &[
            ev("call_minutes", 1_500, "2026-12-07T23:30:00Z", Some(&reception), "=HYPERLINK(\"x\")"),
            ev("sms", 7, "2026-12-06T10:00:00Z", None, "sms-1"),
            ev("sms", 9, "2026-11-20T10:00:00Z", None, "outside"),
        ],
    )
    .await;
    let res = admin.get("/api/v1/usage/export?from=2026-12-01&to=2026-12-31").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers().get("content-length").is_none(), "streamed, not buffered");
    assert!(res.headers()["content-disposition"].to_str().expect("h").starts_with("attachment; filename=\"usage-"));
    let text = res.text().await.expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "id",
            "occurred_at",
            "occurred_at_local",
            "type",
            "quantity",
            "unit",
            "credits",
            "agent_id",
            "agent_name",
            "idempotency_key",
            "metadata"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2, "only the period's events, oldest first");
    assert_eq!(&rows[0][3], "sms");
    assert_eq!(&rows[0][6], "0.007");
    assert_eq!(&rows[0][8], "No agent");
    assert_eq!(&rows[1][1], "2026-12-07T23:30:00Z");
    assert_eq!(&rows[1][2], "2026-12-08T00:30:00+01:00");
    assert_eq!((&rows[1][4], &rows[1][5], &rows[1][6]), ("60", "seconds", "1.500"));
    assert_eq!((&rows[1][7], &rows[1][8]), (reception.as_str(), "Reception"));
    assert_eq!(&rows[1][9], "'=HYPERLINK(\"x\")", "a formula is defused");

    // The page's link exports the page's period with the same stream.
    let page = admin.get_text("/settings/usage?period=custom&from=2026-11-01&to=2026-11-30").await;
    let link = page.split("id=\"usage-export\" href=\"").nth(1).and_then(|r| r.split('"').next()).expect("link");
    assert_eq!(
        link.replace("&amp;", "&").replace("&#x2f;", "/"),
        "/settings/usage/export?period=custom&from=2026-11-01&to=2026-11-30"
    );
    let res = admin.get("/settings/usage/export?period=custom&from=2026-11-01&to=2026-11-30").await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.expect("csv");
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains(",outside,"));
}

#[tokio::test]
async fn events_are_keyset_paged_newest_first_and_filtered() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let reception = agent(&app.state, &ws, "Reception").await;
    let times: Vec<String> = (0..7).map(|i| format!("2026-12-0{}T10:00:00Z", i + 1)).collect();
    let keys: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
    let events: Vec<_> = (0..7)
        .map(|i| {
            let kind = if i % 2 == 0 { "sms" } else { "call_minutes" };
            let agent = (i < 3).then_some(reception.as_str());
            ev(kind, 100, times[i].as_str(), agent, keys[i].as_str())
        })
        .collect();
    record(&app.state, &ws, &events).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/usage/events?limit=3&cursor={c}"),
            None => "/api/v1/usage/events?limit=3".into(),
        };
        let page = admin.get_json(&url).await;
        seen.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|e| e["idempotency_key"].as_str().expect("k").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["k6", "k5", "k4", "k3", "k2", "k1", "k0"]);
    let keys_of = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|e| e["idempotency_key"].as_str().expect("k").to_string())
            .collect()
    };
    assert_eq!(keys_of(admin.get_json("/api/v1/usage/events?type=sms").await), ["k6", "k4", "k2", "k0"]);
    assert_eq!(
        keys_of(admin.get_json(&format!("/api/v1/usage/events?agent_id={reception}")).await),
        ["k2", "k1", "k0"]
    );
    assert_eq!(keys_of(admin.get_json("/api/v1/usage/events?from=2026-12-03&to=2026-12-04").await), ["k3", "k2"]);
    let one = admin.get_json("/api/v1/usage/events?type=call_minutes&limit=1").await;
    assert_eq!(one["data"][0]["type"], "call_minutes");
    assert_eq!(one["data"][0]["credits"], 100);
    assert_eq!(one["data"][0]["metadata"], json!({"call": "k5"}), "metadata is JSON, as sent");
}

#[tokio::test]
async fn members_and_viewers_cannot_read_usage() {
    let app = TestApp::spawn().await;
    let (admin, _) = workspace(&app).await;
    let ws_id = admin.workspace_id().await;
    for (role, email) in [("member", "mo@example.com"), ("viewer", "vi@example.com")] {
        let user = app.user_with_workspace(role, email, "Own").await;
        app.add_member(&ws_id, &user, role).await;
        user.switch_to(&ws_id).await;
        for path in ["/settings/usage", "/settings/usage/export"] {
            let res = user.get(path).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role} {path}");
            assert!(flash_text(&res).expect("toast").contains("permission"), "{role} {path}");
        }
        for path in ["/api/v1/usage/summary", "/api/v1/usage/events", "/api/v1/usage/export"] {
            let res = user.get(path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} {path}");
            assert_eq!(problem(res).await["code"], "forbidden", "{role} {path}");
        }
    }
}

#[tokio::test]
async fn the_page_draws_one_bar_per_day_with_usage_and_an_empty_state_without() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    let empty = admin.get_text("/settings/usage").await;
    assert!(empty.contains("id=\"usage-empty\""));
    assert!(!empty.contains("usage-chart\""));
    record(
        &app.state,
        &ws,
        &[
            ev("call_minutes", 2_000, "2026-12-02T10:00:00Z", None, "a"),
            ev("sms", 1_000, "2026-12-02T11:00:00Z", None, "b"),
            ev("sms", 1_000, "2026-12-05T11:00:00Z", None, "c"),
            ev("training", 5_000, "2026-12-09T11:00:00Z", None, "d"),
        ],
    )
    .await;
    let html = admin.get_text("/settings/usage?period=custom&from=2026-12-01&to=2026-12-10").await;
    assert_eq!(html.matches("<svg class=\"usage-chart\"").count(), 1);
    assert_eq!(html.matches("<g class=\"bar\"").count(), 3, "a bar on each of the three days with usage");
    for date in ["2026-12-02", "2026-12-05", "2026-12-09"] {
        assert!(html.contains(&format!("data-date=\"{date}\"")), "{date}");
    }
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("<strong id=\"usage-used\">9</strong>"));
    // The same numbers in a table under the chart.
    let table = &html[html.find("usage-days").expect("table")..];
    assert!(table.contains("<th scope=\"row\">Dec 2, 2026</th><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">3</td>"), "{table}");
}
