//! The Profile Modal: name, phone (E.164) and avatar.
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, flash_text, png, problem};

#[tokio::test]
async fn phone_numbers_are_validated_and_stored_as_e164() {
    let app = TestApp::spawn().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = user.patch("/api/v1/me", json!({"phone": "12345"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    assert_eq!(p["errors"][0]["field"], "phone");
    assert!(p["errors"][0]["message"].as_str().expect("msg").contains("international format"));
    assert!(user.get_json("/api/v1/me").await["phone"].is_null());

    let res = user.patch("/api/v1/me", json!({"name": " Ada King ", "phone": "+44 20 7946 0958"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me = user.get_json("/api/v1/me").await;
    assert_eq!(me["phone"], "+442079460958");
    assert_eq!(me["name"], "Ada King");

    let res = user.patch("/api/v1/me", json!({"phone": null})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(user.get_json("/api/v1/me").await["phone"].is_null());
}

#[tokio::test]
async fn the_profile_form_saves_and_reports_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let mut user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    user.load_csrf("/profile").await;
    let res = user.post_form("/profile", &[("name", "Ada"), ("phone", "12345")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"id="p-phone-error""#));
    let res = user
        .post_form("/profile", &[("name", "Ada L."), ("phone", "+1 415 555 2671"), ("back", "/settings/general")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("Profile saved."));
    assert_eq!(crate::harness::location(&res), "/settings/general", "back where the modal was opened");
    let res = user
        .post_form("/profile", &[("name", "Ada L."), ("phone", "+1 415 555 2671"), ("back", "//evil.example")])
        .await;
    assert_eq!(crate::harness::location(&res), "/profile", "never off-site");
    assert_eq!(user.get_json("/api/v1/me").await["phone"], "+14155552671");
    // Every page carries the Profile Modal with the stored values.
    let html = user.get_text("/").await;
    assert!(html.contains(r#"<dialog id="profile-dialog""#));
    assert!(html.contains("+14155552671"));
}

#[tokio::test]
async fn avatars_are_re_encoded_and_visible_to_signed_in_users() {
    let app = TestApp::spawn().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = user.put_bytes("/api/v1/me/avatar", png(120, 80), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = res.json().await.expect("json");
    let url = me["avatar_url"].as_str().expect("url").to_string();
    let other = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    let res = other.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let res = app.visitor().get(&url).await;
    assert_eq!(crate::harness::location(&res), "/signin", "signed out: sign in first");

    let res = user.put_bytes("/api/v1/me/avatar", b"GIF89a but not really".to_vec(), "image/gif").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(user.get_json("/api/v1/me").await["avatar_url"], url.as_str());
    assert_eq!(user.delete("/api/v1/me/avatar").await.status(), StatusCode::OK);
    assert!(user.get_json("/api/v1/me").await["avatar_url"].is_null());
}
