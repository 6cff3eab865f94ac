//! Health, readiness, security headers, the OpenAPI document.
use reqwest::StatusCode;

use crate::harness::TestApp;

/// Metrics: see `metrics_access.rs` (not public by default).
#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let visitor = app.visitor();
    assert_eq!(visitor.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(visitor.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    let visitor = app.visitor();
    for path in ["/signin", "/api/v1/me", "/no-such-page", "/static/app.css"] {
        let res = visitor.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
    let res = visitor.get("/api/v1/me").await;
    let id = res.headers()["x-request-id"].to_str().expect("id").to_string();
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["request_id"], id.as_str(), "errors name their request ID");
}

#[tokio::test]
async fn pages_have_no_inline_script() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for path in ["/", "/settings/general", "/settings/voices", "/profile", "/workspaces/new"] {
        let html = admin.get_text(path).await;
        for (i, _) in html.match_indices("<script") {
            let tag_end = html[i..].find('>').expect("tag end") + i;
            assert!(html[i..tag_end].contains("src="), "{path} has an inline script");
        }
        assert!(!html.contains(" onclick="), "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let doc = app.visitor().get_json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths = doc["paths"].as_object().expect("paths");
    let expected = [
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/me/avatar", "put"),
        ("/api/v1/me/avatar", "delete"),
        ("/api/v1/workspaces", "get"),
        ("/api/v1/workspaces", "post"),
        ("/api/v1/workspaces/{id}/switch", "post"),
        ("/api/v1/workspace", "get"),
        ("/api/v1/workspace", "patch"),
        ("/api/v1/workspace/logo", "put"),
        ("/api/v1/workspace/logo", "delete"),
    ];
    for (path, method) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} documented");
    }
    // And every documented operation is really routed (no 404/405).
    for (path, ops) in paths {
        for method in ops.as_object().expect("ops").keys() {
            let concrete = path.replace("{id}", "ws_00000000000000000000000000");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let res = admin.api(method.clone(), &concrete, None).await;
            assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if !path.contains('{') {
                assert_ne!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
            }
        }
    }
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
}
