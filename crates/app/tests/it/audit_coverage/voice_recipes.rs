//! Recipes for the custom voice routes (see `recipes.rs`): clones made on
//! the sandbox provider by the Admin's session (multipart), managed with
//! the Admin's token.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};
use crate::voices::{FIELDS, create, post_multipart, wav};

/// A READY custom voice: its ID.
async fn voice(w: &mut World) -> String {
    let res = create(&w.admin, vec![wav("a.wav", 16.0)]).await;
    let body: Value = res.json().await.unwrap_or_default();
    w.app.run_jobs().await;
    body["id"].as_str().expect("voice id").to_string()
}

/// A key as if verified before (verifying needs ElevenLabs), or none,
/// written straight to the settings row.
async fn set_key(w: &World, on: bool) {
    let ws: switchboard_core::WorkspaceId = w.ws.parse().expect("ws");
    let row = switchboard::voices::store::settings_row_id(&ws);
    let sealed = switchboard::sealed::seal(
        &w.app.state.server_key,
        switchboard::voices::byok::PURPOSE,
        row.as_bytes(),
        "sk_coverage_key",
    )
    .expect("seal");
    let key = on.then_some((sealed.as_str(), "user_1", "Coverage account"));
    switchboard::voices::store::set_key(&w.app.state.db, &ws, key, w.app.clock_now()).await.expect("key");
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/api/v1/voices") => {
            let mark = w.mark().await;
            let res = create(&w.admin, vec![wav("a.wav", 16.0)]).await;
            called(mark, &res, "voice.created")
        }
        ("PATCH", "/api/v1/voices/{voice_id}") => {
            let id = voice(w).await;
            let mark = w.mark().await;
            let body = json!({"name": format!("Voice {}", w.next())});
            let res = w.token.call(Method::PATCH, &format!("/api/v1/voices/{id}"), Some(body)).await;
            called(mark, &res, "voice.updated")
        }
        ("DELETE", "/api/v1/voices/{voice_id}") => {
            let id = voice(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/voices/{id}"), None).await;
            called(mark, &res, "voice.deleted")
        }
        ("PUT", "/api/v1/voices/default") => {
            let mark = w.mark().await;
            let voice = if w.next().is_multiple_of(2) { "sbv_aria" } else { "sbv_ben" };
            let res = w.token.call(Method::PUT, path, Some(json!({"voice_id": voice}))).await;
            called(mark, &res, "voice.default_changed")
        }
        ("DELETE", "/api/v1/voices/provider-key") => {
            // Settle clones made by earlier recipes: their system entries
            // must not fall inside this call's window.
            w.app.run_jobs().await;
            w.secrets.push("sk_coverage_key".into());
            set_key(w, true).await;
            // A clone meant for that account whose key goes before the job
            // runs: the job fails it (`voice.failed`, the system's), uncharged.
            let res = create(&w.admin, vec![wav("a.wav", 16.0)]).await;
            assert_eq!(res.status(), reqwest::StatusCode::CREATED);
            set_key(w, false).await;
            w.app.run_jobs().await;
            set_key(w, true).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, path, None).await;
            called(mark, &res, "voice.provider_key_removed")
        }
        // Settings → Voices (the pages): the Admin's session and forms.
        ("POST", "/settings/voices/clone") => {
            let mark = w.mark().await;
            let res = post_multipart(&w.admin, path, FIELDS, vec![wav("a.wav", 16.0)]).await;
            called(mark, &res, "voice.created")
        }
        ("POST", "/settings/voices/{id}") => {
            let id = voice(w).await;
            let name = format!("Voice {}", w.next());
            let mark = w.mark().await;
            let res =
                w.page(&format!("/settings/voices/{id}"), &[("name", name.as_str()), ("description", "Calm.")]).await;
            called(mark, &res, "voice.updated")
        }
        ("POST", "/settings/voices/{id}/delete") => {
            let id = voice(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/voices/{id}/delete"), &[]).await;
            called(mark, &res, "voice.deleted")
        }
        ("POST", "/settings/voices/default") => {
            let mark = w.mark().await;
            let voice = if w.next().is_multiple_of(2) { "sbv_aria" } else { "sbv_ben" };
            let res = w.page(path, &[("voice_id", voice), ("back", "/settings/voices")]).await;
            called(mark, &res, "voice.default_changed")
        }
        ("POST", "/settings/voices/elevenlabs-key/remove") => {
            w.app.run_jobs().await;
            w.secrets.push("sk_coverage_key".into());
            set_key(w, true).await;
            let mark = w.mark().await;
            let res = w.page(path, &[]).await;
            called(mark, &res, "voice.provider_key_removed")
        }
        _ => return super::audience_recipes::call(w, method, path).await,
    };
    Some(c)
}
