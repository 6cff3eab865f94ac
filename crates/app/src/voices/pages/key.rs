//! The "Your ElevenLabs account" card of Settings → Voices: the
//! workspace's own ElevenLabs key, verified with ElevenLabs before it is
//! saved, sealed and never shown again (only the account's label);
//! removing it goes through a confirmation.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{KEY, VOICES};
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::voices::byok;
use crate::voices::model::VoiceSettings;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash};

const REMOVE_MESSAGE: &str = "Remove the ElevenLabs key? New clones go to Switchboard's account; \
     voices already cloned in your account stay there, and deleting them here also needs the key.";

#[derive(Serialize)]
pub struct KeyCard {
    pub connected: bool,
    pub label: Option<String>,
    pub action: &'static str,
    pub remove_url: &'static str,
    pub remove_message: &'static str,
}

pub fn card(settings: &VoiceSettings) -> KeyCard {
    KeyCard {
        connected: settings.has_own_key,
        label: settings.own_key_label.clone(),
        action: KEY,
        remove_url: "/settings/voices/elevenlabs-key/remove",
        remove_message: REMOVE_MESSAGE,
    }
}

/// The key as posted; never logged.
#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    api_key: String,
}

impl std::fmt::Debug for KeyForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyForm { api_key: <redacted> }")
    }
}

pub async fn set_key(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<KeyForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    match byok::set_key(&state, &ctx, &form.api_key).await {
        Ok(settings) => {
            let label = settings.own_key_label.unwrap_or_else(|| "your account".into());
            let text = format!("ElevenLabs key verified and saved: new clones go to {label}.");
            Ok(redirect_with_flash(&format!("{VOICES}#elevenlabs-heading"), Flash::success(text)))
        }
        Err(err) => {
            let Some(problem) = err.problem() else { return Err(err) };
            let mut errors = err.field_messages().unwrap_or_default();
            if errors.is_empty() {
                // The provider could not be reached, say: by the field too.
                errors.insert("api_key".into(), problem.detail.clone());
            }
            let status = problem.status;
            let refused = super::index::Refused { errors: BTreeMap::from_iter(errors) };
            super::index::render(&state, &ctx, &page, &Default::default(), refused, status).await
        }
    }
}

/// The removal's confirmation as a page of its own (without JavaScript).
pub async fn remove_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    Confirm {
        heading: "Remove the ElevenLabs key".into(),
        message: REMOVE_MESSAGE.into(),
        action: "/settings/voices/elevenlabs-key/remove".into(),
        button: "Remove key".into(),
        back: VOICES.into(),
    }
    .render(&state, &ctx, &page)
    .await
}

pub async fn remove_key(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    byok::remove_key(&state, &ctx).await?;
    Ok(redirect_with_flash(VOICES, Flash::success("ElevenLabs key removed: new clones go to Switchboard's account.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_form_never_prints_the_key() {
        let form = KeyForm { api_key: "sk_secret".into() };
        assert!(!format!("{form:?}").contains("sk_secret"));
    }
}
