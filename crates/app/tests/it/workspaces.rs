//! Workspaces: create, list, switch, and Settings → General's fields.
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, flash_text, location, problem};

#[tokio::test]
async fn workspaces_are_listed_and_switched_per_session() {
    let app = TestApp::spawn().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let second = user.create_workspace("Beta Labs").await;
    let list = user.get_json("/api/v1/workspaces").await;
    let names: Vec<&str> =
        list["data"].as_array().expect("data").iter().map(|w| w["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["Acme Voice", "Beta Labs"]);
    assert!(list["next_cursor"].is_null());

    assert_eq!(user.workspace().await["name"], "Acme Voice");
    user.switch_to(second["id"].as_str().expect("id")).await;
    assert_eq!(user.workspace().await["name"], "Beta Labs");

    // The switcher on every page lists both, current one marked.
    let html = user.get_text("/").await;
    assert!(html.contains(r#"<span class="ws-name">Beta Labs</span>"#));
    assert!(html.contains("Acme Voice"));

    // Another user's workspace cannot be switched to, and looks absent.
    let other = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let evil_id = other.workspace().await["id"].as_str().expect("id").to_string();
    let res = user.api(reqwest::Method::POST, &format!("/api/v1/workspaces/{evil_id}/switch"), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn creating_a_workspace_checks_the_name() {
    let app = TestApp::spawn().await;
    let mut user = app.visitor();
    user.sign_up("Ada", "ada@example.com", "correct horse battery").await;
    let res = user.api(reqwest::Method::POST, "/api/v1/workspaces", Some(json!({"name": "ab"}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    assert_eq!(body["errors"][0]["field"], "name");
    assert_eq!(body["errors"][0]["message"], "Workspace name must be at least 3 characters.");
    assert_eq!(user.get_json("/api/v1/workspaces").await["data"].as_array().expect("data").len(), 0);

    user.load_csrf("/workspaces/new").await;
    let res = user.post_form("/workspaces", &[("name", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Enter a workspace name."));
}

#[tokio::test]
async fn every_bad_general_field_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ok = admin.patch("/api/v1/workspace", json!({"website": "example.com", "timezone": "Europe/Paris"})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let before = admin.workspace().await;
    assert_eq!(before["website"], "https://example.com");
    assert_eq!(before["timezone"], "Europe/Paris");

    let cases = [
        (json!({"name": "ab"}), "name", "Workspace name must be at least 3 characters."),
        (json!({"name": "a".repeat(65)}), "name", "Workspace name must be at most 64 characters."),
        (json!({"name": "   \t  "}), "name", "Enter a workspace name."),
        (
            json!({"website": "not a url"}),
            "website",
            "Enter a website address like example.com or https://example.com.",
        ),
        (json!({"website": "ftp://example.com"}), "website", "The website must start with http:// or https://."),
        (
            json!({"timezone": "Mars/Olympus_Mons"}),
            "timezone",
            "“Mars/Olympus_Mons” is not a timezone we know. Choose one from the list, e.g. Europe/Paris.",
        ),
        // One bad field among good ones still changes nothing.
        (json!({"name": "Good Name", "timezone": "Nowhere/Land"}), "timezone", ""),
    ];
    for (body, field, message) in cases {
        let res = admin.patch("/api/v1/workspace", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p = problem(res).await;
        assert_eq!(p["code"], "validation_failed");
        assert_eq!(p["errors"][0]["field"], field, "{body}");
        if !message.is_empty() {
            assert_eq!(p["errors"][0]["message"], message, "{body}");
        }
        assert_eq!(admin.workspace().await, before, "{body} must leave the workspace as it was");
    }

    // Unknown fields and malformed JSON are problems too, not 500s.
    let res = admin.patch("/api/v1/workspace", json!({"nmae": "typo"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(res).await["code"], "invalid_json");
    assert_eq!(admin.workspace().await, before);
}

#[tokio::test]
async fn general_form_saves_all_fields_and_shows_errors_next_to_them() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    admin.load_csrf("/settings/general").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();

    let res = admin
        .post_form(
            "/settings/general",
            &[("_workspace", &ws_id), ("name", "ab"), ("website", "bad url"), ("timezone", "Europe/Paris")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains(r#"<p class="field-error" id="f-name-error">Workspace name must be at least 3 characters.</p>"#)
    );
    assert!(html.contains(r#"id="f-website-error""#));
    assert!(html.contains(r#"value="bad url""#), "the typed value stays in the field");
    assert_eq!(admin.workspace().await["name"], "Acme Voice");

    let res = admin
        .post_form(
            "/settings/general",
            &[
                ("_workspace", &ws_id),
                ("name", "  Acme Voice Labs "),
                ("website", "example.com"),
                ("timezone", "asia/tokyo"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("Workspace settings saved."));
    let ws = admin.workspace().await;
    assert_eq!(ws["name"], "Acme Voice Labs");
    assert_eq!(ws["website"], "https://example.com");
    assert_eq!(ws["timezone"], "Asia/Tokyo");

    // Times on the page are shown in the workspace timezone (12:00 UTC = 21:00 JST).
    let html = admin.get_text("/settings/general").await;
    assert!(html.contains("28 Nov 2026, 21:00 JST"), "page shows times in Asia/Tokyo");
    assert!(
        html.contains(r#"<option value="Europe&#x2f;Paris">"#) || html.contains(r#"<option value="Europe/Paris">"#)
    );
}

#[tokio::test]
async fn a_form_from_a_tab_showing_another_workspace_is_refused() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let first_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    admin.load_csrf("/settings/general").await;
    // Another tab switches to a second workspace…
    let second = admin.create_workspace("Beta Labs").await;
    admin.switch_to(second["id"].as_str().expect("id")).await;
    // …then the first tab's form (still for Acme Voice) is submitted.
    let res = admin
        .post_form(
            "/settings/general",
            &[("_workspace", &first_id), ("name", "Renamed"), ("website", ""), ("timezone", "UTC")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).expect("toast").contains("You switched workspaces in another tab"));
    assert_eq!(admin.workspace().await["name"], "Beta Labs");
    admin.switch_to(&first_id).await;
    assert_eq!(admin.workspace().await["name"], "Acme Voice");
}

#[tokio::test]
async fn settings_redirects_to_general_and_every_section_is_built() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = admin.get("/settings").await;
    assert_eq!(location(&res), "/settings/general");
    let html = admin.get_text("/settings/general").await;
    let order = ["General", "Audiences", "Phone Numbers", "Voices", "Usage", "Subscription", "Developer", "Audit Log"];
    let mut last = 0;
    for title in order {
        let at = html[last..].find(&format!(">{title}</a>")).unwrap_or_else(|| panic!("{title} in order")) + last;
        last = at;
    }
    assert!(html.contains(r#"aria-current="page">General</a>"#));
    // Every section of the seed is built now: each serves its own page.
    for slug in ["audiences/attributes", "phone-numbers", "voices", "usage", "subscription"] {
        let html = admin.get_text(&format!("/settings/{slug}")).await;
        assert!(!html.contains("is not available yet"), "{slug}");
    }
    let res = admin.get("/settings/audiences").await;
    assert_eq!(location(&res), "/settings/audiences/attributes");
    assert_eq!(admin.get("/settings/nonexistent").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_settings_form_that_does_not_name_its_workspace_is_refused() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let csrf = admin.load_csrf("/settings/general").await;
    // Posted by hand, without the `_workspace` field every settings form writes.
    let res = admin
        .client
        .post(admin.at("/settings/general"))
        .form(&[("_csrf", csrf.as_str()), ("name", "Renamed"), ("website", ""), ("timezone", "UTC")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("did not say which workspace"), "{:?}", flash_text(&res));
    assert_eq!(admin.workspace().await["name"], "Acme Voice");
    // The same form with the field (as the page writes it) saves.
    let res = admin.post_form("/settings/general", &[("name", "Renamed"), ("website", ""), ("timezone", "UTC")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(admin.workspace().await["name"], "Renamed");
}
