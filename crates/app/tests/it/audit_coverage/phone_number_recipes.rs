//! Recipes for the phone number routes of the lifecycle (see `recipes.rs`):
//! buying and releasing sandbox numbers with the Admin's token.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// A sandbox number bought by the token: its ID.
async fn number(w: &mut World) -> String {
    let e164 = format!("+1212555{:04}", 100 + w.next());
    let res = w.token.call(Method::POST, "/api/v1/phone-numbers", Some(json!({ "phone_number": e164 }))).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("number id").to_string()
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/api/v1/phone-numbers") => {
            let mark = w.mark().await;
            let body = json!({ "phone_number": format!("+1415555{:04}", 100 + w.next()) });
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "phone_number.purchased")
        }
        ("DELETE", "/api/v1/phone-numbers/{phone_number_id}") => {
            let id = number(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/phone-numbers/{id}"), None).await;
            called(mark, &res, "phone_number.released")
        }
        _ => return None,
    };
    Some(c)
}
