//! Leave Workspace and Remove work without JavaScript: the dialog's opener
//! submits a GET form to a confirmation page whose form does the action
//! (app.js opens the dialog instead when it runs).
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, Visitor, csrf_from_html, flash_text, location};

/// The action of the first GET form in `html` whose action starts with `prefix`.
fn link_to(html: &str, prefix: &str) -> Option<String> {
    let marker = format!("<form method=\"get\" action=\"{prefix}");
    let start = html.find(&marker)? + "<form method=\"get\" action=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// The value of the page's hidden `_workspace` field.
fn workspace_field(html: &str) -> String {
    let marker = "name=\"_workspace\" value=\"";
    let start = html.find(marker).expect("a _workspace field") + marker.len();
    let end = html[start..].find('"').expect("end");
    html[start..start + end].to_string()
}

/// Follows the confirmation link from `from` and submits its form, as a
/// browser without JavaScript does.
async fn confirm_without_js(user: &mut Visitor, from: &str, link_prefix: &str) -> reqwest::Response {
    // minijinja escapes `/` in attributes as `&#x2f;` (browsers decode it).
    let html = user.get_text(from).await.replace("&#x2f;", "/");
    let link = link_to(&html, link_prefix).unwrap_or_else(|| panic!("no link to {link_prefix} on {from}"));
    let page = user.get_text(&link).await.replace("&#x2f;", "/");
    assert!(page.contains(&format!("<form method=\"post\" action=\"{link}\"")), "{page}");
    user.csrf = csrf_from_html(&page);
    let ws = workspace_field(&page);
    user.post_form(&link, &[("_workspace", &ws)]).await
}

async fn members(admin: &Visitor) -> Vec<Value> {
    admin.get_json("/api/v1/members").await["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn an_admin_removes_a_member_through_the_confirmation_page() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    let ws = admin.workspace_id().await;
    app.add_member(&ws, &bob, "member").await;
    let res = confirm_without_js(&mut admin, "/settings/general", "/settings/members/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/general#members");
    assert_eq!(flash_text(&res).as_deref(), Some("Bob was removed from the workspace."));
    let all = members(&admin).await;
    assert!(all.iter().any(|m| m["email"] == "bob@example.com" && m["status"] == "REMOVED"), "{all:?}");
    // Nobody else's confirmation page: another workspace's member is 404.
    let bob_row = all.iter().find(|m| m["email"] == "bob@example.com").expect("bob");
    let gone = admin.get(&format!("/settings/members/{}/remove", bob_row["id"].as_str().expect("id"))).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "a removed member has no confirmation page");
}

#[tokio::test]
async fn a_member_leaves_through_the_confirmation_page() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    let ws = admin.workspace_id().await;
    app.add_member(&ws, &bob, "member").await;
    bob.switch_to(&ws).await;
    let res = confirm_without_js(&mut bob, "/", "/workspace/leave").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("You left Acme Voice."));
    assert!(members(&admin).await.iter().any(|m| m["email"] == "bob@example.com" && m["status"] == "LEFT"));
}
