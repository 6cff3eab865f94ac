//! Recipes for the Phone Numbers pages, the agent page's number form and
//! the assignment API (see `recipes.rs`): pages by the Admin's session, the
//! API by the Admin's token. Numbers are written straight to the store
//! (buying has its own recipes).
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_providers::carriers::Capabilities;

use super::World;
use super::recipes::{Called, called};
use crate::phone_numbers_assign::seed_number;

/// A fresh agent of the workspace: its ID.
async fn agent(w: &mut World) -> String {
    let body = json!({"name": format!("Number agent {}", w.next())});
    let res = w.token.call(Method::POST, "/api/v1/agents", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("agent id").to_string()
}

/// A fresh live number that can do everything: its ID.
async fn number(w: &mut World) -> String {
    let e164 = format!("+1415555{:04}", 2000 + w.next());
    seed_number(&w.app, &w.ws, &e164, Capabilities::ALL).await
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/settings/phone-numbers/buy") => {
            let mark = w.mark().await;
            let fields = [("number", "+13125550142"), ("search_country", "US")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "phone_number.purchased")
        }
        ("POST", "/settings/phone-numbers/{id}") => {
            let id = number(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/phone-numbers/{id}"), &[("friendly_name", "Support line")]).await;
            called(mark, &res, "phone_number.updated")
        }
        ("POST", "/settings/phone-numbers/{id}/assignments") => {
            let (id, a, b) = (number(w).await, agent(w).await, agent(w).await);
            let mark = w.mark().await;
            let fields =
                [("inbound_agent_id", a.as_str()), ("outbound_agent_id", b.as_str()), ("sms_agent_id", a.as_str())];
            let res = w.page(&format!("/settings/phone-numbers/{id}/assignments"), &fields).await;
            called(mark, &res, "phone_number.assignment_changed")
        }
        ("POST", "/settings/phone-numbers/{id}/outbound") => {
            let id = number(w).await;
            let mark = w.mark().await;
            // An unchecked box: outbound calls turned off.
            let res = w.page(&format!("/settings/phone-numbers/{id}/outbound"), &[]).await;
            called(mark, &res, "phone_number.assignment_changed")
        }
        ("POST", "/settings/phone-numbers/{id}/release") => {
            let id = number(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/phone-numbers/{id}/release"), &[]).await;
            called(mark, &res, "phone_number.released")
        }
        ("POST", "/agents/{id}/numbers") => {
            let (id, a) = (number(w).await, agent(w).await);
            let mark = w.mark().await;
            let fields = [("inbound", id.as_str()), ("outbound", id.as_str()), ("sms", "")];
            let res = w.page(&format!("/agents/{a}/numbers"), &fields).await;
            called(mark, &res, "phone_number.assignment_changed")
        }
        ("PATCH", "/api/v1/phone-numbers/{phone_number_id}") => {
            let id = number(w).await;
            let mark = w.mark().await;
            let body = json!({"friendly_name": "Renamed by a token", "allow_outbound": false});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/phone-numbers/{id}"), Some(body)).await;
            called(mark, &res, "phone_number.updated")
        }
        ("PUT", "/api/v1/phone-numbers/{phone_number_id}/assignments") => {
            let (id, a) = (number(w).await, agent(w).await);
            let mark = w.mark().await;
            let body = json!({"inbound_agent_id": a, "outbound_agent_id": null, "sms_agent_id": a});
            let res = w.token.call(Method::PUT, &format!("/api/v1/phone-numbers/{id}/assignments"), Some(body)).await;
            called(mark, &res, "phone_number.assignment_changed")
        }
        _ => return None,
    };
    Some(c)
}
