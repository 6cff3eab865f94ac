//! How to call each mutating route with valid input as an Admin: pages by
//! the session's form posts, `/api/v1` by JSON with the Admin's Bearer
//! token (routes for a person's session take the session instead). Each
//! recipe sets up what it needs, marks the log, then makes the one call.
use std::collections::HashSet;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::World;
use crate::developer::{TokenClient, create_token};
use crate::harness::png;

pub struct Called {
    /// Entry IDs before the call.
    pub mark: HashSet<String>,
    pub status: StatusCode,
    /// The action the call must have recorded.
    pub action: &'static str,
}

pub fn called(mark: HashSet<String>, res: &Response, action: &'static str) -> Called {
    Called { mark, status: res.status(), action }
}

/// Every `sbk_…` token in a text.
fn api_tokens_in(text: &str) -> Vec<String> {
    text.match_indices("sbk_")
        .map(|(at, _)| text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .collect()
}

/// A workspace of the Admin's to delete: (ID, name). The session stays in
/// it; the caller switches back.
async fn doomed_workspace(w: &mut World) -> (String, String) {
    let name = format!("Doomed {}", w.next());
    let id = w.admin.create_workspace(&name).await["id"].as_str().expect("id").to_string();
    w.admin.switch_to(&id).await;
    (id, name)
}

async fn set_logo(w: &World) {
    let res = w
        .token
        .request(Method::PUT, "/api/v1/workspace/logo")
        .header("content-type", "image/png")
        .body(png(32, 32))
        .send()
        .await
        .expect("PUT logo");
    assert_eq!(res.status(), StatusCode::OK, "set a logo");
}

async fn compact_tables_on(w: &World) -> bool {
    let list = w.admin.get_json("/api/v1/experimental-features").await;
    let all = list["data"].as_array().cloned().unwrap_or_default();
    all.iter().any(|f| f["key"] == "compact_tables" && f["enabled"] == true)
}

/// Calls the route `method path` (as `route_table` spells it). `None` when
/// there is no recipe for it.
pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/signup") => {
            // Signing up from an invitation joins its workspace.
            let (_, email) = w.invitation().await;
            let invite = w.newest_link_token().await;
            let password = w.password();
            let mut v = w.app.visitor();
            v.load_csrf(&format!("/signup?invite={invite}")).await;
            let mark = w.mark().await;
            let fields = [("name", "Joiner"), ("email", email.as_str()), ("password", &password), ("invite", &invite)];
            let res = v.post_form("/signup", &fields).await;
            w.keep_session(&res);
            called(mark, &res, "member.joined")
        }
        ("POST", "/signin") => {
            let (_, _, email, password) = w.member("member").await;
            let mut v = w.app.visitor();
            v.load_csrf("/signin").await;
            let mark = w.mark().await;
            let res = v.post_form("/signin", &[("email", &email), ("password", &password)]).await;
            w.keep_session(&res);
            called(mark, &res, "member.signed_in")
        }
        ("POST", "/workspaces") => {
            let mark = w.mark().await;
            let res = w.admin.post_form("/workspaces", &[("name", "Side Project")]).await;
            w.admin.switch_to(&w.ws).await;
            called(mark, &res, "workspace.created")
        }
        ("POST", "/invite/{token}/accept") => {
            let (v, email, _) = w.person().await;
            let res = w.admin.post_json("/api/v1/invitations", json!({"email": email})).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let token = w.newest_link_token().await;
            let mark = w.mark().await;
            let res = v.post_form(&format!("/invite/{token}/accept"), &[]).await;
            called(mark, &res, "member.joined")
        }
        ("POST", "/workspace/leave") => {
            let (v, _, _, _) = w.member("member").await;
            let mark = w.mark().await;
            let res = v.post_form("/workspace/leave", &[]).await;
            called(mark, &res, "member.left")
        }
        ("POST", "/settings/general") => {
            let name = format!("Acme Voice {}", w.next());
            let mark = w.mark().await;
            let fields = [("name", name.as_str()), ("website", "example.com"), ("timezone", "Europe/Paris")];
            let res = w.page("/settings/general", &fields).await;
            called(mark, &res, "workspace.updated")
        }
        ("POST", "/settings/general/logo") => {
            let csrf = w.admin.csrf.clone().expect("csrf");
            let form = Form::new()
                .text("_csrf", csrf)
                .text("_workspace", w.ws.clone())
                .part("logo", Part::bytes(png(40, 40)).file_name("logo.png").mime_str("image/png").expect("mime"));
            let mark = w.mark().await;
            let res = w.admin.client.post(w.admin.at(path)).multipart(form).send().await.expect("POST");
            called(mark, &res, "workspace.logo_updated")
        }
        ("POST", "/settings/general/logo/delete") => {
            set_logo(w).await;
            let mark = w.mark().await;
            let res = w.page(path, &[]).await;
            called(mark, &res, "workspace.logo_removed")
        }
        ("POST", "/settings/general/delete") => {
            let (id, name) = doomed_workspace(w).await;
            let mark = w.mark().await;
            let res = w.admin.post_form(path, &[("confirm_name", &name), ("_workspace", &id)]).await;
            w.admin.switch_to(&w.ws).await;
            called(mark, &res, "workspace.deleted")
        }
        ("POST", "/settings/members/invite") => {
            let email = format!("invited{}@example.com", w.next());
            let mark = w.mark().await;
            let res = w.page(path, &[("email", &email), ("role", "viewer")]).await;
            called(mark, &res, "member.invited")
        }
        ("POST", "/settings/members/{id}/role") => {
            let (_, id, _, _) = w.member("member").await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/members/{id}/role"), &[("role", "viewer")]).await;
            called(mark, &res, "member.role_changed")
        }
        ("POST", "/settings/members/{id}/remove") => {
            let (_, id, _, _) = w.member("member").await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/members/{id}/remove"), &[]).await;
            called(mark, &res, "member.removed")
        }
        ("POST", "/settings/invitations/{id}/resend") => {
            let (id, _) = w.invitation().await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/invitations/{id}/resend"), &[]).await;
            called(mark, &res, "invitation.resent")
        }
        ("POST", "/settings/invitations/{id}/revoke") => {
            let (id, _) = w.invitation().await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/invitations/{id}/revoke"), &[]).await;
            called(mark, &res, "invitation.revoked")
        }
        ("POST", "/settings/developer/tokens") => {
            let mark = w.mark().await;
            let fields = [("name", "Deploy bot"), ("role", "member"), ("expires_in_days", "30")];
            let res = w.page(path, &fields).await;
            let c = called(mark, &res, "api_token.created");
            let html = res.text().await.unwrap_or_default();
            w.secrets.extend(api_tokens_in(&html));
            c
        }
        ("POST", "/settings/developer/tokens/{id}/revoke") => {
            let (id, secret) = create_token(&w.admin, "To revoke", "viewer", None).await;
            w.secrets.push(secret);
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/tokens/{id}/revoke"), &[]).await;
            called(mark, &res, "api_token.revoked")
        }
        ("POST", "/settings/developer/features/{key}") => {
            let enabled = if compact_tables_on(w).await { "false" } else { "true" };
            let mark = w.mark().await;
            let res = w.page("/settings/developer/features/compact_tables", &[("enabled", enabled)]).await;
            called(mark, &res, "experimental_feature.updated")
        }

        // The JSON API.
        ("POST", "/api/v1/workspaces") => {
            let mark = w.mark().await;
            let res = w.admin.post_json(path, json!({"name": "API Project"})).await;
            called(mark, &res, "workspace.created")
        }
        ("POST", "/api/v1/workspace/leave") => {
            let (v, _, _, _) = w.member("viewer").await;
            let mark = w.mark().await;
            let res = v.api(Method::POST, path, None).await;
            called(mark, &res, "member.left")
        }
        ("PATCH", "/api/v1/workspace") => {
            let name = format!("Acme Voice {}", w.next());
            let mark = w.mark().await;
            let res = w.token.call(Method::PATCH, path, Some(json!({"name": name, "timezone": "Asia/Tokyo"}))).await;
            called(mark, &res, "workspace.updated")
        }
        ("PUT", "/api/v1/workspace/logo") => {
            let mark = w.mark().await;
            set_logo(w).await;
            Called { mark, status: StatusCode::OK, action: "workspace.logo_updated" }
        }
        ("DELETE", "/api/v1/workspace/logo") => {
            set_logo(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, path, None).await;
            called(mark, &res, "workspace.logo_removed")
        }
        ("DELETE", "/api/v1/workspace") => {
            let (_, name) = doomed_workspace(w).await;
            let (_, secret) = create_token(&w.admin, "Doomsday", "admin", None).await;
            w.secrets.push(secret.clone());
            w.admin.switch_to(&w.ws).await;
            let mark = w.mark().await;
            let res = TokenClient::bearer(&w.app.url, &secret)
                .call(Method::DELETE, path, Some(json!({"confirm_name": name})))
                .await;
            called(mark, &res, "workspace.deleted")
        }
        ("PATCH", "/api/v1/members/{id}") => {
            let (_, id, _, _) = w.member("viewer").await;
            let mark = w.mark().await;
            let res =
                w.token.call(Method::PATCH, &format!("/api/v1/members/{id}"), Some(json!({"role": "admin"}))).await;
            called(mark, &res, "member.role_changed")
        }
        ("DELETE", "/api/v1/members/{id}") => {
            let (_, id, _, _) = w.member("viewer").await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/members/{id}"), None).await;
            called(mark, &res, "member.removed")
        }
        ("POST", "/api/v1/invitations") => {
            let email = format!("api-invitee{}@example.com", w.next());
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, path, Some(json!({"email": email, "role": "admin"}))).await;
            called(mark, &res, "member.invited")
        }
        ("POST", "/api/v1/invitations/{id}/resend") => {
            let (id, _) = w.invitation().await;
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, &format!("/api/v1/invitations/{id}/resend"), None).await;
            called(mark, &res, "invitation.resent")
        }
        ("DELETE", "/api/v1/invitations/{id}") => {
            let (id, _) = w.invitation().await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/invitations/{id}"), None).await;
            called(mark, &res, "invitation.revoked")
        }
        ("POST", "/api/v1/tokens") => {
            let mark = w.mark().await;
            let body = json!({"name": "Nightly", "role": "viewer", "expires_in_days": 7});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            let c = called(mark, &res, "api_token.created");
            let body: Value = res.json().await.unwrap_or_default();
            w.secrets.extend(body["token"].as_str().map(str::to_string));
            c
        }
        ("DELETE", "/api/v1/tokens/{id}") => {
            let (id, secret) = create_token(&w.admin, "Short lived", "viewer", None).await;
            w.secrets.push(secret);
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
            called(mark, &res, "api_token.revoked")
        }
        ("PUT", "/api/v1/experimental-features/{key}") => {
            let enabled = !compact_tables_on(w).await;
            let mark = w.mark().await;
            let body = json!({"enabled": enabled});
            let res = w.token.call(Method::PUT, "/api/v1/experimental-features/compact_tables", Some(body)).await;
            called(mark, &res, "experimental_feature.updated")
        }
        _ => match super::credit_recipes::call(w, method, path).await {
            Some(c) => c,
            None => match super::agent_recipes::call(w, method, path).await {
                Some(c) => c,
                None => match super::phone_number_recipes::call(w, method, path).await {
                    Some(c) => c,
                    None => match super::byoc_recipes::call(w, method, path).await {
                        Some(c) => c,
                        None => match super::voice_recipes::call(w, method, path).await {
                            Some(c) => c,
                            None => return super::webhook_recipes::call(w, method, path).await,
                        },
                    },
                },
            },
        },
    };
    Some(c)
}
