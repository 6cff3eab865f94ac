//! Settings are for Admins: Members and Viewers are sent back with a
//! toast, the API answers 403, and signed-out callers must sign in.
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, flash_text, location, png, problem};

#[tokio::test]
async fn members_and_viewers_cannot_open_settings_or_call_settings_apis() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    for role in ["member", "viewer"] {
        let email = format!("{role}@example.com");
        let mut user = app.visitor();
        user.sign_up(role, &email, "correct horse battery").await;
        app.add_member(&ws_id, &user, role).await;
        user.switch_to(&ws_id).await;
        assert_eq!(user.workspace().await["role"], role);

        for path in ["/settings", "/settings/general", "/settings/developer", "/settings/audit-log"] {
            let res = user.client.get(user.at(path)).header("referer", user.at("/")).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role} {path}");
            assert_eq!(location(&res), "/", "{role} {path} is sent back");
            assert!(flash_text(&res).expect("toast").contains("permission"), "{role} {path}");
        }

        let res = user.patch("/api/v1/workspace", json!({"name": "Taken over"})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(res).await["code"], "forbidden");
        let res = user.put_bytes("/api/v1/workspace/logo", png(16, 16), "image/png").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = user.delete("/api/v1/workspace/logo").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        user.load_csrf("/").await;
        let res = user
            .post_form(
                "/settings/general",
                &[("_workspace", &ws_id), ("name", "Taken over"), ("website", ""), ("timezone", "UTC")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(flash_text(&res).expect("toast").contains("permission"));
    }
    assert_eq!(admin.workspace().await["name"], "Acme Voice");
    assert!(admin.workspace().await["logo"].is_null());
}

#[tokio::test]
async fn a_changed_role_applies_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&ws_id, &bob, "admin").await;
    bob.switch_to(&ws_id).await;
    assert_eq!(bob.get("/settings/general").await.status(), StatusCode::OK);
    app.add_member(&ws_id, &bob, "viewer").await;
    assert_eq!(bob.get("/settings/general").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signed_out_callers_are_asked_to_sign_in() {
    let app = TestApp::spawn().await;
    let visitor = app.visitor();
    for path in ["/settings/general", "/profile", "/workspaces/new"] {
        let res = visitor.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/signin", "{path}");
    }
    for path in ["/api/v1/me", "/api/v1/workspace", "/api/v1/workspaces"] {
        let res = visitor.get(path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(problem(res).await["code"], "unauthenticated");
    }
}
