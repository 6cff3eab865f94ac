//! Recipes for the Contacts routes and the Attributes tab of Settings →
//! Audiences (see `recipes.rs`): pages by the Admin's session, the API by
//! the Admin's token.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// A fresh contact of the workspace: its ID.
async fn contact(w: &mut World) -> String {
    let n = w.next();
    let body = json!({"name": format!("Contact {n}"), "email": format!("c{n}@example.com"), "phone": phone(n)});
    let res = w.token.call(Method::POST, "/api/v1/contacts", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("contact id").to_string()
}

/// A phone number of its own for each contact.
fn phone(n: usize) -> String {
    format!("+1415555{:04}", 2000 + n % 8000)
}

/// A fresh text attribute of the workspace: its ID.
async fn attribute(w: &mut World) -> String {
    let n = w.next();
    let body = json!({"key": format!("attr_{n}"), "label": format!("Attribute {n}"), "type": "text"});
    let res = w.token.call(Method::POST, "/api/v1/contact-attributes", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("attribute id").to_string()
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/contacts") => {
            let mark = w.mark().await;
            let fields = [("name", "Grace"), ("phone", "+1 415 555 2671"), ("email", ""), ("default_country", "US")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "contact.created")
        }
        ("POST", "/contacts/{id}") => {
            let id = contact(w).await;
            let mark = w.mark().await;
            let fields =
                [("name", "Renamed"), ("phone", ""), ("email", "renamed@example.com"), ("default_country", "US")];
            let res = w.page(&format!("/contacts/{id}"), &fields).await;
            called(mark, &res, "contact.updated")
        }
        ("POST", "/contacts/{id}/delete") => {
            let id = contact(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/contacts/{id}/delete"), &[]).await;
            called(mark, &res, "contact.deleted")
        }
        ("POST", "/contacts/{id}/consent") => {
            let id = contact(w).await;
            let mark = w.mark().await;
            let fields = [("channel", "SMS"), ("status", "OPTED_OUT"), ("proof", "Asked us on the phone")];
            let res = w.page(&format!("/contacts/{id}/consent"), &fields).await;
            called(mark, &res, "consent.changed")
        }
        ("POST", "/api/v1/contacts") => {
            let mark = w.mark().await;
            let body = json!({"name": "API contact", "phone": "020 7946 0958", "default_country": "GB"});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "contact.created")
        }
        ("PATCH", "/api/v1/contacts/{contact_id}") => {
            let id = contact(w).await;
            let attribute = attribute(w).await;
            let list = w.token.call(Method::GET, "/api/v1/contact-attributes", None).await;
            let list: Value = list.json().await.unwrap_or_default();
            let key = list["data"]
                .as_array()
                .and_then(|all| all.iter().find(|a| a["id"] == attribute.as_str()))
                .and_then(|a| a["key"].as_str())
                .expect("attribute key")
                .to_string();
            let n = w.next();
            let mark = w.mark().await;
            let body = json!({"name": "Patched", "phone": phone(n), "attributes": {key: "patched"}});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/contacts/{id}"), Some(body)).await;
            called(mark, &res, "contact.updated")
        }
        ("DELETE", "/api/v1/contacts/{contact_id}") => {
            let id = contact(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), None).await;
            called(mark, &res, "contact.deleted")
        }
        ("POST", "/settings/audiences/attributes") => {
            let mark = w.mark().await;
            let n = w.next();
            let key = format!("page_attr_{n}");
            let fields = [("key", key.as_str()), ("label", "Plan tier"), ("type", "enum"), ("options", "Free, Pro")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "contact_attribute.created")
        }
        ("POST", "/settings/audiences/attributes/{id}") => {
            let id = attribute(w).await;
            let mark = w.mark().await;
            let fields = [("label", "Renamed"), ("type", "number"), ("options", "")];
            let res = w.page(&format!("/settings/audiences/attributes/{id}"), &fields).await;
            called(mark, &res, "contact_attribute.updated")
        }
        ("POST", "/settings/audiences/attributes/{id}/delete") => {
            let id = attribute(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/audiences/attributes/{id}/delete"), &[]).await;
            called(mark, &res, "contact_attribute.deleted")
        }
        ("POST", "/api/v1/contact-attributes") => {
            let mark = w.mark().await;
            let body = json!({"key": "api_attr", "label": "API attribute", "type": "boolean", "required": false});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "contact_attribute.created")
        }
        ("PATCH", "/api/v1/contact-attributes/{attribute_id}") => {
            let id = attribute(w).await;
            let mark = w.mark().await;
            let body = json!({"label": "Patched", "type": "date"});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/contact-attributes/{id}"), Some(body)).await;
            called(mark, &res, "contact_attribute.updated")
        }
        ("DELETE", "/api/v1/contact-attributes/{attribute_id}") => {
            let id = attribute(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/contact-attributes/{id}"), None).await;
            called(mark, &res, "contact_attribute.deleted")
        }
        _ => return super::audience_recipes::call(w, method, path).await,
    };
    Some(c)
}
