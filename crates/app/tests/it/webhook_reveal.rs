//! Revealing a webhook signing secret writes an audit entry, so it is a
//! POST (with CSRF for a session) on both the page and the API; a GET — a
//! prefetch, a crawler, a link in a chat — reveals and records nothing.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::audit_coverage::webhook_recipes::whsec_in;
use crate::developer::{TokenClient, create_token};
use crate::harness::TestApp;
use crate::webhooks::add_endpoint;

const VIEWED: &str = "webhook_endpoint.secret_viewed";

#[tokio::test]
async fn a_get_neither_reveals_a_secret_nor_records_a_view() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let (id, secret) = add_endpoint(&admin, "https://hooks.example.com/a", json!([])).await;
    let views = |actions: Vec<String>| actions.iter().filter(|a| *a == VIEWED).count();
    let api = format!("/api/v1/webhooks/endpoints/{id}/secret");
    let page = format!("/settings/developer/webhooks/{id}/secret");

    for path in [&api, &page] {
        let res = admin.get(path).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
        assert!(!res.text().await.expect("body").contains(&secret), "GET {path} shows no secret");
    }
    // A session's POST without its CSRF token is refused too.
    let res = admin.client.post(admin.at(&api)).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(views(app.audit_actions(&ws).await), 0, "nothing was revealed, nothing recorded");

    let res = admin.post_json(&api, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["secret"], secret.as_str());
    assert_eq!(views(app.audit_actions(&ws).await), 1);

    let (_, token) = create_token(&admin, "Reveal", "admin", None).await;
    let res = TokenClient::bearer(&app.url, &token).call(Method::POST, &api, None).await;
    assert_eq!(res.status(), StatusCode::OK, "a token needs no CSRF");
    let ws_id = admin.workspace_id().await;
    let form = [("_csrf", admin.csrf.clone().expect("csrf")), ("_workspace", ws_id)];
    let res = admin.client.post(admin.at(&page)).form(&form).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(whsec_in(&res.text().await.expect("html")), vec![secret.clone()]);
    assert_eq!(views(app.audit_actions(&ws).await), 3);

    // The API document says POST.
    let doc = app.visitor().get_json("/api/v1/openapi.json").await;
    let ops = &doc["paths"]["/api/v1/webhooks/endpoints/{id}/secret"];
    assert!(ops["post"].is_object() && ops["get"].is_null(), "{ops}");
}
