//! `/settings/voices`: the workspace's own voices (with their status and
//! the default marked), the provider's library as cards with a player and
//! "Set as default" (filtered by language and gender through a GET form),
//! and the ElevenLabs key card.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::views::{LibraryVoiceView, VoiceView};
use super::{CLONE, VOICES, key};
use crate::api::ApiQuery;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::voices::library::{self, LibraryFilter};
use crate::voices::model::{Gender, language_label};
use crate::voices::{byok, manage};
use crate::web::{Flash, Page, redirect_with_flash};

#[derive(Debug, Default, Deserialize)]
pub struct LibraryForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    gender: String,
}

/// What the page shows besides the lists: a refused key form's message.
#[derive(Default)]
pub struct Refused {
    pub errors: BTreeMap<String, String>,
}

pub async fn voices_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<LibraryForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, &form, Refused::default(), StatusCode::OK).await
}

pub async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    form: &LibraryForm,
    refused: Refused,
    status: StatusCode,
) -> AppResult<Response> {
    let settings = byok::voice_settings(state, ctx).await?;
    let default_voice = settings.default_voice.as_deref();
    let (tz, now) = (ctx.workspace.tz(), state.clock.now());
    let custom = manage::list(state, ctx).await?;
    let voices: Vec<VoiceView> = custom.iter().map(|v| VoiceView::of(v, default_voice, tz, now)).collect();

    // Every voice is listed and the filter hides what does not match, so
    // the filter's choices (and the script's instant filter) see them all.
    let mut errors = refused.errors;
    // A provider that cannot be reached leaves the rest of the page usable.
    let (all, library_error) = match library::list(state, ctx, &LibraryFilter::default()).await {
        Ok(all) => (all, None),
        Err(err) => match err.problem() {
            Some(p) => (Vec::new(), Some(p.detail.clone())),
            None => return Err(err),
        },
    };
    let filter = LibraryFilter { language: &form.language, gender: &form.gender };
    let shown = match library::list(state, ctx, &filter).await {
        Ok(shown) => shown,
        Err(_) if library_error.is_some() => Vec::new(),
        Err(err) => {
            let Some(fields) = err.field_messages() else { return Err(err) };
            errors.extend(fields);
            all.clone()
        }
    };
    let shown_ids: Vec<&str> = shown.iter().map(|v| v.id.as_str()).collect();
    let mut languages: Vec<(String, String)> = Vec::new();
    for v in &all {
        let code = v.language.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        if !code.is_empty() && !languages.iter().any(|(c, _)| *c == code) {
            languages.push((language_label(&code), code));
        }
    }
    languages.sort();
    let languages: Vec<(String, String)> = languages.into_iter().map(|(label, code)| (code, label)).collect();
    let genders: Vec<(&str, &str)> = Gender::ALL.iter().map(|g| (g.as_str(), g.label())).collect();
    let library: Vec<minijinja::Value> = all
        .iter()
        .map(|v| {
            let view = LibraryVoiceView::of(v, default_voice);
            context! { shown => shown_ids.contains(&v.id.as_str()), ..minijinja::Value::from_serialize(&view) }
        })
        .collect();
    let default_name = default_voice.map(|id| {
        all.iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .or_else(|| voices.iter().find(|v| v.id == id).map(|v| v.name.clone()))
            .unwrap_or_else(|| id.to_string())
    });
    let filtered = !form.language.trim().is_empty() || !form.gender.trim().is_empty();
    let status = if errors.is_empty() { status } else { StatusCode::UNPROCESSABLE_ENTITY };
    crate::settings::render(
        state,
        page,
        status,
        crate::voices::SECTION.slug,
        "voices/index.html",
        context! {
            title => "Voices",
            workspace_id => ctx.workspace.id.to_string(),
            voices => voices,
            library => library,
            library_error => library_error,
            shown_count => shown.len(),
            filtered => filtered,
            values => context! { language => form.language.trim(), gender => form.gender.trim() },
            languages => languages,
            genders => genders,
            default_name => default_name,
            clone_url => CLONE,
            key => key::card(&settings),
            errors => errors,
            ..super::scripts()
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DefaultForm {
    #[serde(default)]
    voice_id: String,
    /// Where to come back to: the landing page or a voice's page.
    #[serde(default)]
    back: String,
}

/// "Set as default" (a library voice or a ready custom voice); an empty
/// `voice_id` clears the default.
pub async fn set_default_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Form(form): Form<DefaultForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let back = if form.back.starts_with(VOICES) && !form.back.contains("//") { form.back.as_str() } else { VOICES };
    let voice = Some(form.voice_id.trim()).filter(|v| !v.is_empty());
    match manage::set_default_voice(&state, &ctx, voice).await {
        Ok(_) => {
            let text = if voice.is_some() {
                "Default voice saved: agents without a voice of their own use it."
            } else {
                "Default voice cleared."
            };
            Ok(redirect_with_flash(back, Flash::success(text)))
        }
        Err(err) => match err.problem() {
            Some(p) => {
                let text = err.field_message("voice_id").map_or_else(|| p.detail.clone(), str::to_string);
                Ok(redirect_with_flash(back, Flash::error(text)))
            }
            None => Err(err),
        },
    }
}
