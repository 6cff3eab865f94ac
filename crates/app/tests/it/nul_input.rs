//! NUL characters, which PostgreSQL cannot store in text, are bad input
//! wherever they arrive — JSON and form fields, query parameters, path
//! segments, cursors — and are refused before any handler or query runs:
//! 422 for a field, 400 for a query parameter, 404 for a path. Lone
//! surrogates in JSON are malformed JSON (400). Never a 500, on either
//! database, and nothing is written.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::routes::{Access, route_table};

use crate::harness::{TestApp, Visitor, flash_text, problem};
use crate::webhooks::add_endpoint;

async fn endpoint_count(admin: &Visitor) -> usize {
    admin.get_json("/api/v1/webhooks/endpoints").await["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn nul_in_json_and_form_fields_is_a_field_error_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/x", json!([])).await;

    let body = json!({"url": "https://hooks.example.com/y", "description": "CRM\u{0} sync"});
    let res = admin.post_json("/api/v1/webhooks/endpoints", body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    assert_eq!(
        (p["code"].as_str(), p["errors"][0]["field"].as_str()),
        (Some("validation_failed"), Some("description"))
    );
    let res = admin.patch(&format!("/api/v1/webhooks/endpoints/{id}"), json!({"description": "a\u{0}"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Nested values and keys too.
    let body = json!({"url": "https://hooks.example.com/y", "event_types": ["member.left\u{0}"]});
    let res = admin.post_json("/api/v1/webhooks/endpoints", body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "event_types[0]");
    let res = admin.patch("/api/v1/workspace", json!({"name\u{0}": "x"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin.patch("/api/v1/me", json!({"name": "Ada\u{0}"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(endpoint_count(&admin).await, 1);
    let endpoint = admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}")).await;
    assert_eq!(endpoint["description"], "");
    assert_eq!(admin.get_json("/api/v1/me").await["name"], "Ada");

    // The same through the page form: sent back with the message, nothing saved.
    admin.load_csrf("/settings/developer/webhooks/new").await;
    let res = admin
        .post_form(
            "/settings/developer/webhooks/new",
            &[("url", "https://hooks.example.com/z"), ("description", "CRM\u{0}"), ("events", "all")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("NUL"), "{:?}", flash_text(&res));
    let fields =
        [("url", "https://hooks.example.com/x"), ("description", "\u{0}"), ("events", "all"), ("enabled", "on")];
    let res = admin.post_form(&format!("/settings/developer/webhooks/{id}"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(endpoint_count(&admin).await, 1);

    // Signed out, on the sign-up form.
    let mut visitor = app.visitor();
    visitor.load_csrf("/signup").await;
    let fields = [("name", "Eve\u{0}"), ("email", "eve@example.com"), ("password", "correct horse battery")];
    let res = visitor.post_form("/signup", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("NUL"));
    let res = visitor.sign_in("eve@example.com", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "no account was made");
}

#[tokio::test]
async fn lone_surrogates_in_json_are_malformed_json() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for raw in [
        r#"{"url": "https://hooks.example.com/y", "description": "\ud800"}"#,
        r#"{"url": "https://hooks.example.com/y", "description": "x\udfff"}"#,
        r#"{"url": "https://hooks.example.com/\ud800"}"#,
    ] {
        let res = admin
            .client
            .post(admin.at("/api/v1/webhooks/endpoints"))
            .header("x-csrf-token", admin.csrf.clone().expect("csrf"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{raw}");
    }
    let res = admin.get("/api/v1/members?search=%ED%A0%80").await;
    assert!(res.status().is_success() || res.status().is_client_error(), "{}", res.status());
    assert_eq!(endpoint_count(&admin).await, 0);
}

#[tokio::test]
async fn nul_in_search_filter_and_cursor_parameters_is_bad_input() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (id, _) = add_endpoint(&admin, "https://hooks.example.com/x", json!([])).await;
    // Every query parameter of every API read, from the OpenAPI document.
    let doc: Value = admin.get_json("/api/v1/openapi.json").await;
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(params) = item["get"]["parameters"].as_array() else { continue };
        let path = path.replace("{id}", &id);
        if path.contains('{') {
            continue;
        }
        for p in params.iter().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().expect("name");
            let url = format!("{path}?format=csv&{name}=a%00b");
            let res = admin.get(&url).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{url}");
            assert_eq!(problem(res).await["code"], "invalid_query", "{url}");
            tried += 1;
        }
    }
    assert!(tried >= 10, "only {tried} parameters");
    // The pages' search and filters.
    for url in [
        "/settings/general?search=%00",
        "/settings/audit-log?search=a%00",
        "/settings/audit-log?actor=%00",
        "/settings/audit-log?action=%00",
        "/settings/audit-log?target_type=%00",
        &format!("/settings/developer/webhooks/{id}?before=%00"),
    ] {
        assert_eq!(admin.get(url).await.status(), StatusCode::BAD_REQUEST, "{url}");
    }
    // Cursors that decode to text holding a NUL: well-formed base64 and
    // JSON, so only the cursor decoding can refuse them.
    let cursor = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).expect("json"));
    for url in [
        format!("/api/v1/members?cursor={}", cursor(json!(["ada\u{0}", "mem_\u{0}"]))),
        format!("/api/v1/audit-log?cursor={}", cursor(json!(["2026-11-28T12:00:00Z", "aud_\u{0}"]))),
        format!("/api/v1/webhooks/endpoints/{id}/deliveries?cursor={}", cursor(json!("whd_\u{0}"))),
    ] {
        let res = admin.get(&url).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(problem(res).await["errors"][0]["field"], "cursor", "{url}");
    }
    for url in [
        format!("/settings/general?cursor={}", cursor(json!(["ada\u{0}", "mem_\u{0}"]))),
        format!("/settings/audit-log?cursor={}", cursor(json!(["2026-11-28T12:00:00Z", "aud_\u{0}"]))),
        format!("/settings/developer/webhooks/{id}?before={}", cursor(json!("whd_\u{0}"))),
    ] {
        let status = admin.get(&url).await.status();
        assert!(status.is_client_error() || status == StatusCode::OK, "{url}: {status}");
    }
}

#[tokio::test]
async fn nul_in_any_path_segment_is_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut walked = 0;
    for route in route_table(&app.state) {
        if route.access == Access::Inbound || !route.path.contains('{') {
            continue;
        }
        let mut path = route.path.clone();
        while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
            path.replace_range(open..=close, "x%00y");
        }
        let method: Method = route.method.parse().expect("method");
        let res = admin.api(method, &path, None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{} {path}", route.method);
        walked += 1;
    }
    assert!(walked >= 20, "only {walked} routes with parameters");
    // IDs that are otherwise well-formed.
    for path in ["/api/v1/webhooks/endpoints/whe_%00", "/api/v1/webhooks/deliveries/whd_0%00", "/invite/abc%00def"] {
        assert_eq!(admin.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
