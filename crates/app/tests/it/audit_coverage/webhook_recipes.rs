//! Recipes for the webhook routes (see `recipes.rs`). Signing secrets the
//! calls return join the secrets the scan looks for.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// A fresh endpoint: (ID, secret).
async fn endpoint(w: &mut World) -> (String, String) {
    let url = format!("https://hooks.example.com/{}", w.next());
    let res = w.token.call(Method::POST, "/api/v1/webhooks/endpoints", Some(json!({"url": url}))).await;
    let body: Value = res.json().await.unwrap_or_default();
    let secret = body["secret"].as_str().expect("secret").to_string();
    w.secrets.push(secret.clone());
    (body["id"].as_str().expect("id").to_string(), secret)
}

async fn json_secret(w: &mut World, res: reqwest::Response, c: Called) -> Called {
    let body: Value = res.json().await.unwrap_or_default();
    w.secrets.extend(body["secret"].as_str().map(str::to_string));
    c
}

/// Every `whsec_…` secret a page showed joins the secrets looked for.
async fn html_secrets(w: &mut World, res: reqwest::Response, c: Called) -> Called {
    let html = res.text().await.unwrap_or_default();
    let found = whsec_in(&html);
    assert!(!found.is_empty(), "the page shows the secret");
    w.secrets.extend(found);
    c
}

/// Every `whsec_…` secret in a page (minijinja escapes `/` as `&#x2f;`).
pub fn whsec_in(html: &str) -> Vec<String> {
    let text = html.replace("&#x2f;", "/");
    text.match_indices("whsec_")
        .map(|(at, _)| {
            text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '/' | '=')).collect()
        })
        .filter(|s: &String| s.len() > "whsec_".len())
        .collect()
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/api/v1/webhooks/endpoints") => {
            let mark = w.mark().await;
            let body = json!({"url": "https://hooks.example.com/new", "event_types": ["member.joined"]});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            let c = called(mark, &res, "webhook_endpoint.created");
            json_secret(w, res, c).await
        }
        ("PATCH", "/api/v1/webhooks/endpoints/{id}") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let body = json!({"description": "CRM sync", "enabled": false});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/webhooks/endpoints/{id}"), Some(body)).await;
            called(mark, &res, "webhook_endpoint.updated")
        }
        ("DELETE", "/api/v1/webhooks/endpoints/{id}") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/webhooks/endpoints/{id}"), None).await;
            called(mark, &res, "webhook_endpoint.deleted")
        }
        ("POST", "/api/v1/webhooks/endpoints/{id}/secret") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, &format!("/api/v1/webhooks/endpoints/{id}/secret"), None).await;
            let c = called(mark, &res, "webhook_endpoint.secret_viewed");
            json_secret(w, res, c).await
        }
        ("POST", "/api/v1/webhooks/endpoints/{id}/secret/rotate") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let path = format!("/api/v1/webhooks/endpoints/{id}/secret/rotate");
            let res = w.token.call(Method::POST, &path, Some(json!({"overlap_hours": 2}))).await;
            let c = called(mark, &res, "webhook_endpoint.secret_rotated");
            json_secret(w, res, c).await
        }
        ("POST", "/api/v1/webhooks/endpoints/{id}/test") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, &format!("/api/v1/webhooks/endpoints/{id}/test"), None).await;
            called(mark, &res, "webhook_endpoint.test_sent")
        }
        ("POST", "/api/v1/webhooks/endpoints/{id}/recover") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let path = format!("/api/v1/webhooks/endpoints/{id}/recover");
            let res = w.token.call(Method::POST, &path, Some(json!({"since": "2026-01-01T00:00:00Z"}))).await;
            called(mark, &res, "webhook_endpoint.recovered")
        }
        ("POST", "/api/v1/webhooks/deliveries/{id}/resend") => {
            let (id, _) = endpoint(w).await;
            w.token.call(Method::POST, &format!("/api/v1/webhooks/endpoints/{id}/test"), None).await;
            let list = w.admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}/deliveries")).await;
            let delivery = list["data"][0]["id"].as_str().expect("a delivery").to_string();
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, &format!("/api/v1/webhooks/deliveries/{delivery}/resend"), None).await;
            called(mark, &res, "webhook_endpoint.delivery_resent")
        }

        // The pages (the Admin's session, form posts).
        ("POST", "/settings/developer/webhooks/new") => {
            let mark = w.mark().await;
            let fields =
                [("url", "https://hooks.example.com/page"), ("description", "From the page"), ("events", "all")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "webhook_endpoint.created")
        }
        ("POST", "/settings/developer/webhooks/{id}") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let fields = [
                ("url", "https://hooks.example.com/edited"),
                ("description", "Edited"),
                ("events", "some"),
                ("event_types", "member.joined"),
                ("enabled", "on"),
            ];
            let res = w.page(&format!("/settings/developer/webhooks/{id}"), &fields).await;
            called(mark, &res, "webhook_endpoint.updated")
        }
        ("POST", "/settings/developer/webhooks/{id}/delete") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/webhooks/{id}/delete"), &[]).await;
            called(mark, &res, "webhook_endpoint.deleted")
        }
        ("POST", "/settings/developer/webhooks/{id}/secret") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/webhooks/{id}/secret"), &[]).await;
            let c = called(mark, &res, "webhook_endpoint.secret_viewed");
            html_secrets(w, res, c).await
        }
        ("POST", "/settings/developer/webhooks/{id}/rotate") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/webhooks/{id}/rotate"), &[("overlap_hours", "3")]).await;
            let c = called(mark, &res, "webhook_endpoint.secret_rotated");
            html_secrets(w, res, c).await
        }
        ("POST", "/settings/developer/webhooks/{id}/test") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/webhooks/{id}/test"), &[]).await;
            called(mark, &res, "webhook_endpoint.test_sent")
        }
        ("POST", "/settings/developer/webhooks/{id}/recover") => {
            let (id, _) = endpoint(w).await;
            let mark = w.mark().await;
            let res =
                w.page(&format!("/settings/developer/webhooks/{id}/recover"), &[("since", "2026-01-01T00:00")]).await;
            called(mark, &res, "webhook_endpoint.recovered")
        }
        ("POST", "/settings/developer/webhooks/{id}/deliveries/{delivery_id}/resend") => {
            let (id, _) = endpoint(w).await;
            w.token.call(Method::POST, &format!("/api/v1/webhooks/endpoints/{id}/test"), None).await;
            let list = w.admin.get_json(&format!("/api/v1/webhooks/endpoints/{id}/deliveries")).await;
            let delivery = list["data"][0]["id"].as_str().expect("a delivery").to_string();
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/developer/webhooks/{id}/deliveries/{delivery}/resend"), &[]).await;
            called(mark, &res, "webhook_endpoint.delivery_resent")
        }
        _ => return super::two_factor_recipes::call(w, method, path).await,
    };
    Some(c)
}
