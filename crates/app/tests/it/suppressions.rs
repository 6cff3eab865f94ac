//! The suppression list (SPEC §12): the check's answers and reasons,
//! phone numbers parsed to E.164 with a default country, Members adding
//! through the API but not removing, Viewers reading, duplicates refused,
//! search and keyset pages, audit entries and webhook events, the
//! Suppression tab's forms, and bad input changing nothing.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::webhooks::delivery;

use crate::consent::{allowed, check};
use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, flash_text, location, problem};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

async fn add(v: &Visitor, body: Value) -> Value {
    let res = v.post_json("/api/v1/suppressions", body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "add a suppression");
    res.json().await.expect("json")
}

fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

async fn member(app: &TestApp, ws: &str, email: &str, role: &str) -> Visitor {
    let mut v = app.visitor();
    v.sign_up("Someone", email, "correct horse battery").await;
    app.add_member(ws, &v, role).await;
    v.switch_to(ws).await;
    v
}

#[tokio::test]
async fn the_check_answers_with_the_entries_that_block_and_the_mode_applied() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let added = add(&ada, json!({"phone": "(415) 555-0100", "channel": "SMS", "reason": "Asked by text"})).await;
    assert_eq!((&added["phone"], &added["email"]), (&json!("+14155550100"), &Value::Null));
    assert_eq!(
        (&added["channel"], &added["source"], &added["created_by"]),
        (&json!("SMS"), &json!("API"), &json!("Ada"))
    );
    let id = added["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("sup_"));

    // UNIVERSAL (the default): the SMS entry blocks calls too.
    let answer = check(&ada, "+14155550100", "CALLS").await;
    assert_eq!(answer["allowed"], false);
    let reason = &answer["reasons"][0];
    assert_eq!(
        (&reason["id"], &reason["channel"], &reason["reason"], &reason["source"]),
        (&json!(id), &json!("SMS"), &json!("Asked by text"), &json!("API"))
    );
    assert!(reason["created_at"].is_string());
    // National format with a default country finds the same entry.
    let answer =
        ada.get_json("/api/v1/suppressions/check?phone=020%207946%200958&default_country=GB&channel=SMS").await;
    assert_eq!(answer, json!({"allowed": true, "reasons": []}));
    let answer = ada.get_json("/api/v1/suppressions/check?phone=415-555-0100&channel=SMS").await;
    assert_eq!(answer["allowed"], false);

    // GRANULAR: only the entry's own channel (or ALL) blocks.
    let res = ada.api(Method::PUT, "/api/v1/consent/mode", Some(json!({"mode": "GRANULAR"}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(allowed(&ada, "+14155550100", "CALLS").await);
    assert!(!allowed(&ada, "+14155550100", "SMS").await);
    add(&ada, json!({"phone": "+14155550100", "channel": "ALL"})).await;
    let answer = check(&ada, "+14155550100", "CALLS").await;
    assert_eq!(answer["reasons"].as_array().map(Vec::len), Some(1));
    assert_eq!(answer["reasons"][0]["channel"], "ALL");
    assert_eq!(check(&ada, "+14155550100", "SMS").await["reasons"].as_array().map(Vec::len), Some(2));

    // Emails.
    add(&ada, json!({"email": "Carol@Example.com", "channel": "CALLS"})).await;
    let answer = ada.get_json("/api/v1/suppressions/check?email=carol%40example.com&channel=CALLS").await;
    assert_eq!(answer["allowed"], false);

    // Bad input: 422 on the field.
    for (query, field) in [
        ("phone=12&channel=CALLS", "phone"),
        ("phone=%2B14155550100&channel=FAX", "channel"),
        ("phone=%2B14155550100", "channel"),
        ("channel=CALLS", "phone"),
        ("phone=(415)%20555-0100&default_country=ZZ&channel=CALLS", "phone"),
    ] {
        let res = ada.get(&format!("/api/v1/suppressions/check?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(fields(&problem(res).await), [field], "{query}");
    }
}

#[tokio::test]
async fn members_add_but_do_not_remove_viewers_read_and_duplicates_are_refused() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let bob = member(&app, &ws, "bob@example.com", "member").await;
    let vic = member(&app, &ws, "vic@example.com", "viewer").await;

    // A service with a Member token reports an opt-out.
    let (_, secret) = create_token(&ada, "Dialer", "member", None).await;
    let dialer = TokenClient::bearer(&app.url, &secret);
    let res = dialer
        .call(
            Method::POST,
            "/api/v1/suppressions",
            Some(json!({"phone": "+14155550120", "reason": "Said no on the call"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let by_token: Value = res.json().await.expect("json");
    assert_eq!((&by_token["created_by"], &by_token["channel"]), (&json!("Dialer"), &json!("ALL")));
    let res = dialer.call(Method::POST, "/api/v1/suppressions", Some(json!({"phone": "+1 415 555 0120"}))).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "already_suppressed");
    let res = dialer.call(Method::GET, "/api/v1/suppressions/check?phone=%2B14155550120&channel=CALLS", None).await;
    assert_eq!(res.json::<Value>().await.expect("json")["allowed"], false);

    let added = add(&bob, json!({"email": "dan@example.com"})).await;
    let id = added["id"].as_str().expect("id");
    assert_eq!(bob.delete(&format!("/api/v1/suppressions/{id}")).await.status(), StatusCode::FORBIDDEN);
    let res = dialer.call(Method::DELETE, &format!("/api/v1/suppressions/{id}"), None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Viewers read the list, an entry and the check, and change nothing.
    assert_eq!(vic.get_json("/api/v1/suppressions").await["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(vic.get_json(&format!("/api/v1/suppressions/{id}")).await["email"], "dan@example.com");
    assert!(!allowed(&vic, "+14155550120", "SMS").await);
    assert_eq!(
        vic.post_json("/api/v1/suppressions", json!({"email": "eve@example.com"})).await.status(),
        StatusCode::FORBIDDEN
    );

    // Admins remove; the ID is then gone, and another workspace never sees it.
    assert_eq!(ada.delete(&format!("/api/v1/suppressions/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(ada.get(&format!("/api/v1/suppressions/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.delete(&format!("/api/v1/suppressions/{id}")).await.status(), StatusCode::NOT_FOUND);
    let other = app.user_with_workspace("Olga", "olga@example.com", "Other").await;
    let other_id = by_token["id"].as_str().expect("id");
    assert_eq!(other.get(&format!("/api/v1/suppressions/{other_id}")).await.status(), StatusCode::NOT_FOUND);
    assert!(allowed(&other, "+14155550120", "CALLS").await, "another workspace's list does not apply");

    let actions = app.audit_actions(&ws).await;
    assert_eq!(actions.iter().filter(|a| *a == "suppression.added").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "suppression.removed").count(), 1);
}

#[tokio::test]
async fn bad_entries_are_refused_by_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    add(&ada, json!({"phone": "+14155550130", "reason": "kept"})).await;
    for (body, expected) in [
        (json!({"phone": "12", "channel": "FAX", "reason": "r".repeat(501)}), vec!["phone", "channel", "reason"]),
        (json!({}), vec!["phone"]),
        (json!({"phone": "+14155550131", "email": "a@b.co"}), vec!["email"]),
        (json!({"email": "nobody"}), vec!["email"]),
        (json!({"phone": "(415) 555-0100", "default_country": "XX"}), vec!["phone"]),
    ] {
        let res = ada.post_json("/api/v1/suppressions", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields(&problem(res).await), expected, "{body}");
    }
    let res = ada.post_json("/api/v1/suppressions", json!({"phone": "+14155550131", "colour": "red"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let list = ada.get_json("/api/v1/suppressions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["reason"], "kept");
    let res = ada.get("/api/v1/suppressions?cursor=garbage").await;
    assert_eq!(fields(&problem(res).await), ["cursor"]);
}

#[tokio::test]
async fn the_list_is_searched_and_paged_newest_first() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut made = Vec::new();
    for n in 0..5 {
        let v = add(&ada, json!({"phone": format!("+1415555014{n}"), "reason": format!("Reason {n}")})).await;
        made.push(v["id"].as_str().expect("id").to_string());
        app.clock.advance(chrono::Duration::seconds(1));
    }
    add(&ada, json!({"email": "Zed@Example.com", "reason": "Bounced twice"})).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/suppressions?limit=2&cursor={c}"),
            None => "/api/v1/suppressions?limit=2".into(),
        };
        let page = ada.get_json(&path).await;
        seen.extend(
            page["data"].as_array().expect("data").iter().filter_map(|s| s["phone"].as_str().map(str::to_string)),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["+14155550144", "+14155550143", "+14155550142", "+14155550141", "+14155550140"]);
    let found = |q: &str| {
        let ada = &ada;
        let q = q.to_string();
        async move {
            let page = ada.get_json(&format!("/api/v1/suppressions?search={q}")).await;
            page["data"].as_array().map(Vec::len).unwrap_or(0)
        }
    };
    assert_eq!(found("%2B1%20415%20555%20014").await, 5);
    assert_eq!(found("0142").await, 1);
    assert_eq!(found("zed%40").await, 1);
    assert_eq!(found("bounced").await, 1);
    assert_eq!(found("REASON%203").await, 1);
    assert_eq!(found("100%25").await, 0);
}

#[tokio::test]
async fn suppression_changes_publish_their_webhook_events() {
    let app = app_allowing_local_targets().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    add_endpoint(&ada, &url, json!(["suppression.added", "suppression.removed"])).await;
    let added = add(&ada, json!({"phone": "+14155550150", "channel": "CALLS", "reason": "Asked"})).await;
    let id = added["id"].as_str().expect("id");
    assert_eq!(ada.delete(&format!("/api/v1/suppressions/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 2);
    let mut payloads: Vec<Value> = received.all().iter().map(|(_, b)| serde_json::from_str(b).expect("json")).collect();
    payloads.sort_by_key(|p| p["type"] != "suppression.added");
    assert_eq!(payloads[0]["type"], "suppression.added");
    assert_eq!(payloads[0]["data"]["object"], json!({"type": "suppression", "id": id, "name": "+1 415 555 0150"}));
    assert_eq!(payloads[0]["data"]["changes"]["phone"], json!({"before": null, "after": "+14155550150"}));
    assert_eq!(payloads[0]["data"]["changes"]["channel"], json!({"before": null, "after": "CALLS"}));
    assert_eq!(payloads[1]["type"], "suppression.removed");
    assert_eq!(payloads[1]["data"]["changes"]["reason"], json!({"before": "Asked", "after": null}));
}

#[tokio::test]
async fn the_suppression_tab_adds_lists_refuses_by_field_and_removes_after_confirming() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let html = ada.get_text("/settings/audiences/suppression").await;
    assert!(html.contains("aria-current=\"page\">Suppression</a>"));
    assert!(html.contains("The list is empty"));
    ada.load_csrf("/settings/audiences/suppression").await;

    let res = ada
        .post_form(
            "/settings/audiences/suppression",
            &[("phone", "not a phone"), ("email", ""), ("channel", "ALL"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"suppression-phone-error\""), "{html}");
    assert!(html.contains("value=\"not a phone\""), "the value is kept");

    let fields = [("phone", "+1 415 555 0160"), ("email", ""), ("channel", "SMS"), ("reason", "Asked on the phone")];
    let res = ada.post_form("/settings/audiences/suppression", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("added"));
    let html = ada.get_text("/settings/audiences/suppression").await;
    assert!(html.contains("+1 415 555 0160") && html.contains("Asked on the phone") && html.contains("Manual"));
    // The same again is refused by the field.
    let res = ada.post_form("/settings/audiences/suppression", &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("already on the suppression list"));
    let html = ada.get_text("/settings/audiences/suppression?search=asked").await;
    assert!(html.contains("+1 415 555 0160"));
    let html = ada.get_text("/settings/audiences/suppression?search=nobody").await;
    assert!(html.contains("Nothing matches"));

    let list = ada.get_json("/api/v1/suppressions").await;
    let id = list["data"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(list["data"][0]["source"], "MANUAL");
    let confirm = ada.get_text(&format!("/settings/audiences/suppression/{id}/remove")).await;
    assert!(confirm.contains("Remove from list"));
    // Members cannot open the tab or remove.
    let mut bob = member(&app, &ws, "bob@example.com", "member").await;
    bob.refresh_session_csrf().await;
    let res = bob.post_form(&format!("/settings/audiences/suppression/{id}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("permission"));
    let res = ada.post_form(&format!("/settings/audiences/suppression/{id}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/audiences/suppression");
    assert_eq!(ada.get_json("/api/v1/suppressions").await["data"], json!([]));
    assert_eq!(ada.get(&format!("/settings/audiences/suppression/{id}/remove")).await.status(), StatusCode::NOT_FOUND);
}
