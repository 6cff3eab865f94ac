//! Settings → Developer → Webhooks as an Admin uses it through the forms:
//! add (with field errors), edit, reveal and rotate the secret, send a test
//! event and resend it from the log; other workspaces and roles are refused.
use reqwest::StatusCode;
use serde_json::json;
use switchboard::webhooks::delivery;

use crate::audit_coverage::webhook_recipes::whsec_in;
use crate::harness::{TestApp, Visitor, flash_text, location};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

const NEW: &str = "/settings/developer/webhooks/new";

/// Posts a form in the visitor's current workspace.
async fn post(v: &Visitor, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let ws = v.workspace_id().await;
    let mut all = fields.to_vec();
    all.push(("_workspace", &ws));
    v.post_form(path, &all).await
}

/// Adds an endpoint through the form; returns its page's path.
async fn add_through_form(admin: &Visitor, url: &str) -> String {
    let res = post(admin, NEW, &[("url", url), ("description", "CRM sync"), ("events", "all")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", flash_text(&res));
    let to = location(&res);
    assert!(to.starts_with("/settings/developer/webhooks/"), "{to}");
    to
}

fn secret_in(html: &str) -> String {
    let found = whsec_in(html);
    assert_eq!(found.len(), 1, "one secret on the page: {found:?}");
    found[0].clone()
}

#[tokio::test]
async fn adding_an_endpoint_through_the_form_shows_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let form = admin.get_text(NEW).await;
    assert!(form.contains("member.role_changed") && form.contains("A member&#x27;s role changed."), "the catalogue");
    assert!(!form.contains("value=\"webhook.test\""), "the test event is not a subscription");

    let res = post(&admin, NEW, &[("url", "not a url"), ("events", "all")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"endpoint-url-error\"") && html.contains("Enter a full URL"), "{html}");

    // Private targets are not allowed on this server.
    let res = post(&admin, NEW, &[("url", "http://127.0.0.1:9000/hook"), ("events", "all")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("webhooks may only call public addresses"), "{html}");
    assert!(html.contains("value=\"http:&#x2f;&#x2f;127.0.0.1:9000&#x2f;hook\""), "the value is kept");

    let res = post(&admin, NEW, &[("url", "https://hooks.example.com/a"), ("events", "some")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Choose at least one event type"));

    let fields = [
        ("url", "https://hooks.example.com/a"),
        ("description", "CRM sync"),
        ("events", "some"),
        ("event_types", "member.joined"),
        ("event_types", "member.left"),
    ];
    let res = post(&admin, NEW, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = admin.get_text(&location(&res)).await;
    assert!(page.contains("Events: member.joined, member.left."), "{page}");
    let list = admin.get_json("/api/v1/webhooks/endpoints").await;
    assert_eq!(list["data"][0]["event_types"], json!(["member.joined", "member.left"]));
    let developer = admin.get_text("/settings/developer").await;
    assert!(developer.contains("CRM sync") && developer.contains("member.joined, member.left"));
    assert!(developer.contains("Enabled"));
}

#[tokio::test]
async fn editing_revealing_and_rotating_on_the_endpoint_page() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let page = add_through_form(&admin, "http://127.0.0.1:9/hook").await;

    let fields = [("url", "https://hooks.example.com/b"), ("description", "Billing"), ("events", "all")];
    let res = post(&admin, &page, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("disabled"), "no `enabled` box: disabled");
    let html = admin.get_text(&page).await;
    assert!(html.contains("Disabled: Disabled by an Admin."), "{html}");
    let res = post(&admin, &page, &[("url", "ftp://x"), ("events", "all"), ("enabled", "on")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("The URL must start with https:"));
    let res =
        post(&admin, &page, &[("url", "https://hooks.example.com/b"), ("events", "all"), ("enabled", "on")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let developer = admin.get_text("/settings/developer").await;
    assert!(developer.contains("https:&#x2f;&#x2f;hooks.example.com&#x2f;b") && developer.contains("All events"));

    let res = post(&admin, &format!("{page}/secret"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let first = secret_in(&res.text().await.expect("html"));

    let res = post(&admin, &format!("{page}/rotate"), &[("overlap_hours", "many")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Enter a whole number of hours"));
    let res = post(&admin, &format!("{page}/rotate"), &[("overlap_hours", "500")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(&admin, &format!("{page}/rotate"), &[("overlap_hours", "2")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("Copy the new signing secret now") && html.contains("also signs until"), "{html}");
    let second = secret_in(&html);
    assert_ne!(first, second);
    let res = post(&admin, &format!("{page}/secret"), &[]).await;
    assert_eq!(secret_in(&res.text().await.expect("html")), second);

    let ws = admin.workspace_id().await;
    let actions = app.audit_actions(&ws).await;
    for action in ["webhook_endpoint.updated", "webhook_endpoint.secret_viewed", "webhook_endpoint.secret_rotated"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }

    let res = post(&admin, &format!("{page}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&page).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_test_event_and_its_resend_show_in_the_log_with_the_same_message_id() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    // Subscribed to a type nothing here raises: the log holds only what the test sends.
    let (id, _) = add_endpoint(&admin, &url, json!(["member.left"])).await;
    let page = format!("/settings/developer/webhooks/{id}");
    assert!(admin.get_text(&page).await.contains("No deliveries yet"));

    let res = post(&admin, &format!("{page}/test"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("Test event queued"));
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    let html = admin.get_text(&page).await;
    assert!(html.contains("data-status=\"succeeded\"") && html.contains(">200</span>"), "{html}");
    let log = admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}/deliveries")).await;
    let first = log["data"][0]["id"].as_str().expect("delivery").to_string();

    let detail = admin.get_text(&format!("{page}/deliveries/{first}")).await;
    assert!(detail.contains("webhook-signature") && detail.contains("webhook-id"), "request headers");
    assert!(detail.contains("thanks"), "the response body");
    assert!(detail.contains("&quot;type&quot;: &quot;webhook.test&quot;"), "the payload, pretty: {detail}");

    let res = post(&admin, &format!("{page}/deliveries/{first}/resend"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    let html = admin.get_text(&page).await;
    assert_eq!(html.matches("data-status=\"succeeded\"").count(), 2);
    let got = received.all();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0["webhook-id"], got[1].0["webhook-id"]);

    // Recover: nothing failed.
    let res = post(&admin, &format!("{page}/recover"), &[("since", "2026-11-01T00:00")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("No failed messages"));
    let res = post(&admin, &format!("{page}/recover"), &[("since", "soon")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Enter a date and time"));

    // A delivery under another endpoint's path is not found.
    let (other, _) = add_endpoint(&admin, &url, json!(["member.left"])).await;
    let res = admin.get(&format!("/settings/developer/webhooks/{other}/deliveries/{first}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_workspace_and_non_admins_cannot_reach_an_endpoint() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/a", json!([])).await;
    post(&admin, &format!("/settings/developer/webhooks/{id}/test"), &[]).await;
    let log = admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}/deliveries")).await;
    let delivery = log["data"][0]["id"].as_str().expect("delivery").to_string();
    let page = format!("/settings/developer/webhooks/{id}");

    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    assert_eq!(eve.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(eve.get(&format!("{page}/deliveries/{delivery}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&eve, &format!("{page}/secret"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&eve, &format!("{page}/delete"), &[]).await.status(), StatusCode::NOT_FOUND);
    let resend = format!("{page}/deliveries/{delivery}/resend");
    assert_eq!(post(&eve, &resend, &[]).await.status(), StatusCode::NOT_FOUND);

    for role in ["member", "viewer"] {
        let mut v = app.visitor();
        v.sign_up(role, &format!("{role}@example.com"), "correct horse battery").await;
        app.add_member(&ws, &v, role).await;
        v.switch_to(&ws).await;
        let res = v.get(&page).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role}");
        let res = post(&v, &format!("{page}/secret"), &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role}");
        assert!(flash_text(&res).unwrap_or_default().contains("permission"), "{role}");
        assert!(whsec_in(&res.text().await.unwrap_or_default()).is_empty());
        assert_eq!(post(&v, &format!("{page}/delete"), &[]).await.status(), StatusCode::SEE_OTHER);
    }
    let actions = app.audit_actions(&ws).await;
    assert!(!actions.iter().any(|a| a == "webhook_endpoint.secret_viewed" || a == "webhook_endpoint.deleted"));
    assert_eq!(admin.get(&page).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_log_pages_older_deliveries_by_the_before_cursor() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/a", json!(["member.left"])).await;
    let page = format!("/settings/developer/webhooks/{id}");
    for _ in 0..21 {
        let res = admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/test"), json!({})).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let html = admin.get_text(&page).await;
    assert_eq!(html.matches("data-delivery-id=").count(), 20);
    let marker = "rel=\"next\"";
    assert!(html.contains(marker), "an Older link");
    let start = html.find("?before=").expect("cursor");
    let cursor: String =
        html[start + "?before=".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let older = admin.get_text(&format!("{page}?before={cursor}")).await;
    assert_eq!(older.matches("data-delivery-id=").count(), 1);
    assert!(!older.contains(marker) && older.contains(">Newest</a>"));
}
