//! Recipes for the Agents routes (see `recipes.rs`): pages by the Admin's
//! session, the API by the Admin's token.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// A fresh agent of the workspace: its ID.
async fn agent(w: &mut World) -> String {
    let body = json!({"name": format!("Agent {}", w.next()), "default_voice": "sbv_ben"});
    let res = w.token.call(Method::POST, "/api/v1/agents", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("agent id").to_string()
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/agents") => {
            let mark = w.mark().await;
            let fields = [
                ("name", "Front desk"),
                ("description", "Main line"),
                ("status", "DRAFT"),
                ("default_voice", "sbv_aria"),
            ];
            let res = w.page(path, &fields).await;
            called(mark, &res, "agent.created")
        }
        ("POST", "/agents/{id}") => {
            let id = agent(w).await;
            let mark = w.mark().await;
            let fields = [("name", "Renamed"), ("description", "Now live"), ("status", "LIVE"), ("default_voice", "")];
            let res = w.page(&format!("/agents/{id}"), &fields).await;
            called(mark, &res, "agent.updated")
        }
        ("POST", "/agents/{id}/delete") => {
            let id = agent(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/agents/{id}/delete"), &[]).await;
            called(mark, &res, "agent.deleted")
        }
        ("POST", "/api/v1/agents") => {
            let mark = w.mark().await;
            let body = json!({"name": "API agent", "description": "Made by a token", "status": "LIVE", "default_voice": "sbv_hugo"});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "agent.created")
        }
        ("PATCH", "/api/v1/agents/{agent_id}") => {
            let id = agent(w).await;
            let mark = w.mark().await;
            let body = json!({"status": "LIVE", "default_voice": null, "description": "Patched"});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/agents/{id}"), Some(body)).await;
            called(mark, &res, "agent.updated")
        }
        ("DELETE", "/api/v1/agents/{agent_id}") => {
            let id = agent(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/agents/{id}"), None).await;
            called(mark, &res, "agent.deleted")
        }
        _ => return super::phone_number_page_recipes::call(w, method, path).await,
    };
    Some(c)
}
