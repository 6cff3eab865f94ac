//! Agents (SPEC §7): the API's create, read, partial update and delete,
//! validation that changes nothing, Viewers reading only (pages and API),
//! other workspaces' agents answering 404, audit entries and webhook
//! events, keyset pages, and the pages' forms.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::webhooks::delivery;
use switchboard_db::fetch_all;

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, flash_text, location, problem};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

async fn create(v: &Visitor, body: Value) -> Value {
    let res = v.post_json("/api/v1/agents", body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create agent");
    res.json().await.expect("json")
}

fn id_of(agent: &Value) -> String {
    agent["id"].as_str().expect("id").to_string()
}

/// The `changes` of the workspace's audit entries with `action`, oldest first.
pub async fn audit_changes(app: &TestApp, ws: &str, action: &str) -> Vec<Value> {
    let rows: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT CAST(changes AS TEXT) FROM audit_log WHERE workspace_id = $1 AND action = $2 ORDER BY seq",
        ws,
        action
    )
    .expect("entries");
    rows.into_iter().map(|(c,)| serde_json::from_str(&c).expect("changes json")).collect()
}

/// Refused by the policy: a 403, or a page's redirect with the permission toast.
fn refused(res: &reqwest::Response) -> bool {
    res.status() == StatusCode::FORBIDDEN || flash_text(res).is_some_and(|t| t.contains("permission"))
}

#[tokio::test]
async fn an_agent_is_created_read_partially_updated_and_deleted_with_an_audit_entry_each() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let agent = create(
        &ada,
        json!({"name": "  Front desk ", "description": "Answers the main line.", "default_voice": "sbv_aria"}),
    )
    .await;
    let id = id_of(&agent);
    assert!(id.starts_with("agt_"));
    assert_eq!(
        (&agent["name"], &agent["status"], &agent["default_voice"], &agent["phone_numbers"]),
        (&json!("Front desk"), &json!("DRAFT"), &json!("sbv_aria"), &json!([]))
    );
    assert_eq!(ada.get_json(&format!("/api/v1/agents/{id}")).await, agent);

    // Only what is sent changes.
    app.clock.advance(Duration::minutes(5));
    let res = ada.patch(&format!("/api/v1/agents/{id}"), json!({"status": "LIVE"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let live: Value = res.json().await.expect("json");
    assert_eq!(
        (&live["status"], &live["name"], &live["default_voice"]),
        (&json!("LIVE"), &json!("Front desk"), &json!("sbv_aria"))
    );
    assert_eq!(live["description"], "Answers the main line.");
    assert_ne!(live["updated_at"], agent["updated_at"]);
    assert_eq!(live["created_at"], agent["created_at"]);

    // An explicit null clears the voice; an absent field does not.
    let res = ada.patch(&format!("/api/v1/agents/{id}"), json!({"default_voice": null})).await;
    let cleared: Value = res.json().await.expect("json");
    assert_eq!((&cleared["default_voice"], &cleared["status"]), (&Value::Null, &json!("LIVE")));
    // Nothing to change: no entry.
    let res = ada.patch(&format!("/api/v1/agents/{id}"), json!({"name": "Front desk"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = ada.delete(&format!("/api/v1/agents/{id}")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = ada.get(&format!("/api/v1/agents/{id}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(res).await["code"], "not_found");
    assert_eq!(ada.delete(&format!("/api/v1/agents/{id}")).await.status(), StatusCode::NOT_FOUND);

    let created = audit_changes(&app, &ws, "agent.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["name"], json!({"before": null, "after": "Front desk"}));
    assert_eq!(created[0]["default_voice"], json!({"before": null, "after": "sbv_aria"}));
    assert_eq!(created[0]["status"], json!({"before": null, "after": "DRAFT"}));
    let updated = audit_changes(&app, &ws, "agent.updated").await;
    assert_eq!(
        updated,
        vec![
            json!({"status": {"before": "DRAFT", "after": "LIVE"}}),
            json!({"default_voice": {"before": "sbv_aria", "after": null}}),
        ]
    );
    let deleted = audit_changes(&app, &ws, "agent.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["name"], json!({"before": "Front desk", "after": null}));
    assert_eq!(deleted[0]["status"], json!({"before": "LIVE", "after": null}));
}

#[tokio::test]
async fn bad_agent_input_is_refused_by_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let body =
        json!({"name": " ", "description": "d".repeat(501), "status": "PAUSED", "default_voice": "no such voice!"});
    let res = ada.post_json("/api/v1/agents", body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["name", "description", "status", "default_voice"]);
    assert_eq!(ada.get_json("/api/v1/agents").await["data"], json!([]));
    // A well-formed ID that is neither a library voice nor one of the workspace's READY voices.
    for voice in ["sbv_nobody", "vce_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0"] {
        let res = ada.post_json("/api/v1/agents", json!({"name": "x", "default_voice": voice})).await;
        assert_eq!(problem(res).await["errors"][0]["field"], "default_voice", "{voice}");
    }
    let res = ada.post_json("/api/v1/agents", json!({"name": "x", "colour": "red"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "unknown fields are refused");

    let agent = create(&ada, json!({"name": "Front desk", "default_voice": "sbv_ben"})).await;
    let id = id_of(&agent);
    let before = app.audit_actions(&ws).await.len();
    for bad in [
        json!({"name": "n".repeat(81)}),
        json!({"name": "Evil\u{202E}name"}),
        json!({"status": "live-ish"}),
        json!({"default_voice": "sbv_gone"}),
        json!({"description": "bell\u{7}"}),
    ] {
        let res = ada.patch(&format!("/api/v1/agents/{id}"), bad.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let p = problem(res).await;
        let field = bad.as_object().and_then(|o| o.keys().next().cloned()).expect("a field");
        assert_eq!(p["errors"][0]["field"], json!(field), "{bad}");
    }
    assert_eq!(ada.get_json(&format!("/api/v1/agents/{id}")).await, agent, "nothing changed");
    assert_eq!(app.audit_actions(&ws).await.len(), before, "no entry for a refused change");
    let res = ada.get("/api/v1/agents?status=paused").await;
    assert_eq!(problem(res).await["errors"][0]["field"], "status");
    let res = ada.get("/api/v1/agents?cursor=garbage").await;
    assert_eq!(problem(res).await["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn viewers_read_agents_but_cannot_change_them_by_page_or_api() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let agent = create(&ada, json!({"name": "Front desk"})).await;
    let id = id_of(&agent);

    let mut vera = app.visitor();
    vera.sign_up("Vera", "vera@example.com", "correct horse battery").await;
    app.add_member(&ws, &vera, "viewer").await;
    vera.switch_to(&ws).await;
    let list = vera.get_json("/api/v1/agents").await;
    assert_eq!(list["data"][0]["id"], json!(id));
    assert_eq!(vera.get_json(&format!("/api/v1/agents/{id}")).await["name"], "Front desk");
    let res = vera.post_json("/api/v1/agents", json!({"name": "Mine"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "forbidden");
    assert_eq!(vera.patch(&format!("/api/v1/agents/{id}"), json!({"name": "X"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(vera.delete(&format!("/api/v1/agents/{id}")).await.status(), StatusCode::FORBIDDEN);

    // Pages: the list and the agent read, without the controls.
    let html = vera.get_text("/agents").await;
    assert!(html.contains("Front desk") && !html.contains("New agent"), "{html}");
    let html = vera.get_text(&format!("/agents/{id}")).await;
    assert!(html.contains("Front desk") && !html.contains("Save agent") && !html.contains("Delete agent"));
    assert!(html.contains("No phone numbers assigned"));
    assert!(refused(&vera.get("/agents/new").await));
    let mut vera = vera;
    vera.load_csrf("/agents").await;
    let guards = [("_workspace", ws.as_str())];
    assert!(refused(&vera.post_form("/agents", &[("name", "Mine"), ("status", "DRAFT"), guards[0]]).await));
    assert!(refused(&vera.post_form(&format!("/agents/{id}"), &[("name", "X"), ("status", "LIVE"), guards[0]]).await));
    assert!(refused(&vera.post_form(&format!("/agents/{id}/delete"), &guards).await));

    // Tokens: a Viewer's reads, a Member's writes.
    let (_, viewer_secret) = create_token(&ada, "Viewer token", "viewer", None).await;
    let viewer = TokenClient::bearer(&app.url, &viewer_secret);
    assert_eq!(viewer.call(Method::GET, "/api/v1/agents", None).await.status(), StatusCode::OK);
    let res = viewer.call(Method::POST, "/api/v1/agents", Some(json!({"name": "Bot"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "forbidden");
    let res = viewer.call(Method::DELETE, &format!("/api/v1/agents/{id}"), None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, member_secret) = create_token(&ada, "Member token", "member", None).await;
    let member = TokenClient::bearer(&app.url, &member_secret);
    let res = member.call(Method::POST, "/api/v1/agents", Some(json!({"name": "Bot", "status": "LIVE"}))).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let after = ada.get_json(&format!("/api/v1/agents/{id}")).await;
    assert_eq!(after, agent, "the Viewer changed nothing");
    assert_eq!(ada.get_json("/api/v1/agents").await["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn another_workspaces_agent_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let agent = create(&ada, json!({"name": "Front desk"})).await;
    let id = id_of(&agent);
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob's Bots").await;
    for path in [
        format!("/api/v1/agents/{id}"),
        "/api/v1/agents/agt_00000000000000000000000000".into(),
        "/api/v1/agents/nope".into(),
    ] {
        assert_eq!(bob.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(bob.patch(&path, json!({"name": "Mine"})).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(bob.delete(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(bob.get(&format!("/agents/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get_json("/api/v1/agents").await["data"], json!([]));
    assert_eq!(ada.get_json(&format!("/api/v1/agents/{id}")).await, agent);
}

#[tokio::test]
async fn agent_changes_publish_their_webhook_events() {
    let app = app_allowing_local_targets().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    add_endpoint(&ada, &url, json!(["agent.created", "agent.updated", "agent.deleted"])).await;
    let id = id_of(&create(&ada, json!({"name": "Front desk", "default_voice": "sbv_aria"})).await);
    assert_eq!(ada.patch(&format!("/api/v1/agents/{id}"), json!({"status": "LIVE"})).await.status(), StatusCode::OK);
    assert_eq!(ada.delete(&format!("/api/v1/agents/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 3);

    // Deliveries due at the same instant may go out in any order: find each by its type.
    let mut payloads: Vec<Value> =
        received.all().iter().map(|(_, body)| serde_json::from_str(body).expect("json")).collect();
    let order = ["agent.created", "agent.updated", "agent.deleted"];
    payloads.sort_by_key(|p| order.iter().position(|t| p["type"] == *t));
    let types: Vec<&str> = payloads.iter().filter_map(|p| p["type"].as_str()).collect();
    assert_eq!(types, order);
    for p in &payloads {
        assert_eq!(p["data"]["object"], json!({"type": "agent", "id": id, "name": "Front desk"}));
    }
    assert_eq!(payloads[0]["data"]["changes"]["default_voice"]["after"], "sbv_aria");
    assert_eq!(payloads[1]["data"]["changes"], json!({"status": {"before": "DRAFT", "after": "LIVE"}}));
    assert_eq!(payloads[2]["data"]["changes"]["name"], json!({"before": "Front desk", "after": null}));
}

#[tokio::test]
async fn the_agent_list_pages_newest_first_and_filters_by_status() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut made = Vec::new();
    for n in 0..5 {
        let status = if n % 2 == 0 { "LIVE" } else { "DRAFT" };
        made.push(id_of(&create(&ada, json!({"name": format!("Agent {n}"), "status": status})).await));
        app.clock.advance(Duration::seconds(1));
    }
    // Two agents in the same instant are still ordered and paged once each.
    made.push(id_of(&create(&ada, json!({"name": "Twin A"})).await));
    made.push(id_of(&create(&ada, json!({"name": "Twin B"})).await));
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/agents?limit=2&cursor={c}"),
            None => "/api/v1/agents?limit=2".to_string(),
        };
        let page = ada.get_json(&path).await;
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(&seen[2..], [&made[4], &made[3], &made[2], &made[1], &made[0]].map(String::as_str), "newest first");
    let mut twins = seen[..2].to_vec();
    twins.sort();
    let mut expected = made[5..].to_vec();
    expected.sort();
    assert_eq!(twins, expected);

    let live = ada.get_json("/api/v1/agents?status=LIVE").await;
    let live: Vec<String> = live["data"].as_array().expect("data").iter().map(id_of).collect();
    assert_eq!(live, [&made[4], &made[2], &made[0]].map(String::clone));
}

#[tokio::test]
async fn the_agent_pages_create_edit_and_delete_with_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let html = ada.get_text("/agents").await;
    assert!(html.contains("No agents yet") && html.contains("Create your first agent"));
    assert!(ada.get_text("/").await.contains("href=\"/agents\""), "the top navigation links to Agents");

    ada.load_csrf("/agents/new").await;
    let long = "d".repeat(501);
    let res = ada
        .post_form(
            "/agents",
            &[
                ("name", ""),
                ("description", &long),
                ("status", "DRAFT"),
                ("default_voice", "sbv_chloe"),
                ("_workspace", &ws),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Give the agent a name"), "the name's message");
    assert!(html.contains("at most 500 characters"), "the description's message");
    assert!(html.contains(&long), "the description is kept");
    assert!(html.contains("value=\"sbv_chloe\" selected"), "the voice is kept");
    assert_eq!(ada.get_json("/api/v1/agents").await["data"], json!([]));

    let fields = [
        ("name", "Front desk"),
        ("description", "Main line"),
        ("status", "DRAFT"),
        ("default_voice", "sbv_aria"),
        ("_workspace", &ws),
    ];
    let res = ada.post_form("/agents", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/agents");
    assert!(flash_text(&res).is_some_and(|t| t.contains("Front desk")));
    let html = ada.get_text("/agents").await;
    assert!(html.contains("Front desk") && html.contains("status-draft") && html.contains("Aria"));
    assert!(html.contains("No phone numbers assigned"));
    let id = id_of(&ada.get_json("/api/v1/agents").await["data"][0]);

    let edit = [
        ("name", "Front desk"),
        ("description", "Main line"),
        ("status", "LIVE"),
        ("default_voice", ""),
        ("_workspace", &ws),
    ];
    let res = ada.post_form(&format!("/agents/{id}"), &edit).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let agent = ada.get_json(&format!("/api/v1/agents/{id}")).await;
    assert_eq!((&agent["status"], &agent["default_voice"]), (&json!("LIVE"), &Value::Null));
    assert!(ada.get_text("/agents").await.contains("status-live"));

    let confirm = ada.get_text(&format!("/agents/{id}/delete")).await;
    assert!(confirm.contains("No phone numbers are assigned to it, so none get unassigned."), "{confirm}");
    let res = ada.post_form(&format!("/agents/{id}/delete"), &[("_workspace", &ws)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ada.get(&format!("/api/v1/agents/{id}")).await.status(), StatusCode::NOT_FOUND);
    let actions = app.audit_actions(&ws).await;
    for action in ["agent.created", "agent.updated", "agent.deleted"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}
