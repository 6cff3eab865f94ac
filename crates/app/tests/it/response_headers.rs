//! Headers that keep answers where they belong: `Cache-Control: no-store`
//! on every API response (errors too), and `Secure` on every cookie — the
//! flash cookie included — behind an https public URL.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, flash_text};

fn cache_control(res: &reqwest::Response) -> &str {
    res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn every_api_response_is_no_store_errors_included() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let anon = app.visitor();
    let cases = [
        (anon.get("/api/v1/me").await, StatusCode::UNAUTHORIZED),
        (anon.get("/api/v1/openapi.json").await, StatusCode::OK),
        (admin.get("/api/v1/me").await, StatusCode::OK),
        (admin.get("/api/v1/workspace").await, StatusCode::OK),
        (admin.get("/api/v1/members").await, StatusCode::OK),
        (admin.get("/api/v1/no-such-thing").await, StatusCode::NOT_FOUND),
        (admin.get("/api/v1/webhooks/endpoints/whe_00000000000000000000000000").await, StatusCode::NOT_FOUND),
        (admin.patch("/api/v1/workspace", json!({"name": ""})).await, StatusCode::UNPROCESSABLE_ENTITY),
        (admin.post_json("/api/v1/workspaces", json!({"nope": 1})).await, StatusCode::BAD_REQUEST),
        (admin.client.post(admin.at("/api/v1/workspaces")).send().await.expect("POST"), StatusCode::FORBIDDEN),
        (admin.api(Method::PUT, "/api/v1/me", None).await, StatusCode::METHOD_NOT_ALLOWED),
    ];
    for (i, (res, status)) in cases.into_iter().enumerate() {
        assert_eq!(res.status(), status, "case {i}");
        assert_eq!(cache_control(&res), "no-store", "case {i}: {} {}", res.status(), res.url());
    }
    // Pages keep their own rule and static assets stay cacheable.
    assert_eq!(cache_control(&admin.get("/settings/general").await), "no-store");
    let asset = anon.get("/signin").await.text().await.expect("html").replace("&#x2f;", "/");
    let css = asset.split("href=\"").find_map(|s| s.split('"').next().filter(|p| p.starts_with("/static/")));
    let res = anon.get(css.expect("a stylesheet")).await;
    assert!(cache_control(&res).contains("max-age"), "{}", cache_control(&res));
}

/// The cookies of a response, as sent.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}

/// An anonymous form post without its CSRF token: refused and sent back
/// with a toast, which travels in the flash cookie.
async fn refused_form(app: &TestApp) -> reqwest::Response {
    let visitor = app.visitor();
    let res =
        visitor.client.post(visitor.at("/signin")).form(&[("email", "a@example.com")]).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).is_some_and(|t| t.contains("expired")), "a toast");
    res
}

#[tokio::test]
async fn the_flash_cookie_is_secure_behind_an_https_public_url() {
    let app = TestApp::spawn_with_args(|a| a.public_url = Some("https://sb.example.com".into())).await;
    let res = refused_form(&app).await;
    let flash = set_cookies(&res).into_iter().find(|c| c.starts_with("sb_flash=")).expect("flash cookie");
    assert!(flash.split(';').any(|attr| attr.trim() == "Secure"), "{flash}");
    assert!(flash.contains("HttpOnly"), "{flash}");
    // Every other cookie of a page is Secure too (the anonymous CSRF cookie).
    let page = app.visitor().get("/signin").await;
    let cookies = set_cookies(&page);
    assert!(!cookies.is_empty());
    assert!(cookies.iter().all(|c| c.split(';').any(|attr| attr.trim() == "Secure")), "{cookies:?}");
}

#[tokio::test]
async fn over_plain_http_the_flash_cookie_is_not_secure() {
    let app = TestApp::spawn().await;
    let res = refused_form(&app).await;
    let flash = set_cookies(&res).into_iter().find(|c| c.starts_with("sb_flash=")).expect("flash cookie");
    assert!(!flash.contains("Secure"), "a browser would drop it over http: {flash}");
}
