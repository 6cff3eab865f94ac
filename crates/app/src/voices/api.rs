//! `/api/v1/voices` (JSON): the library (every role), the workspace's
//! custom voices (read: every role; change: Admins), the default voice and
//! the workspace's own ElevenLabs key (Admins), previews (every role). The
//! multipart routes (clone, analyze) are in [`super::api_upload`].
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::VoiceId;
use switchboard_providers::voices::{Audio, LibraryVoice};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::library::{self, LibraryFilter};
use super::manage::{self, VoiceUpdate};
use super::model::{ProviderAccount, Voice, VoiceSettings, VoiceStatus, language_label};
use super::{byok, preview};
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::routes::{Access, Routes};
use crate::state::AppState;

/// A stock voice of the provider's library.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LibraryVoice)]
pub struct LibraryVoiceResponse {
    /// What agents and the default voice store.
    #[schema(example = "sbv_aria")]
    pub id: String,
    #[schema(example = "Aria")]
    pub name: String,
    /// BCP 47.
    #[schema(example = "en-US")]
    pub language: String,
    #[schema(example = "English")]
    pub language_label: String,
    /// `MALE`, `FEMALE` or `NOT_SPECIFIED`.
    #[schema(example = "FEMALE")]
    pub gender: String,
    #[schema(example = "American")]
    pub accent: Option<String>,
    pub description: String,
    /// Where the preview audio is.
    #[schema(example = "/api/v1/voices/library/sbv_aria/preview")]
    pub preview_url: String,
}

impl From<LibraryVoice> for LibraryVoiceResponse {
    fn from(v: LibraryVoice) -> Self {
        LibraryVoiceResponse {
            preview_url: format!("/api/v1/voices/library/{}/preview", v.id),
            language_label: language_label(&v.language),
            id: v.id,
            name: v.name,
            language: v.language,
            gender: v.gender.as_str().to_string(),
            accent: v.accent,
            description: v.description,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LibraryVoices)]
pub struct LibraryList {
    pub data: Vec<LibraryVoiceResponse>,
}

/// A custom voice of the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Voice)]
pub struct VoiceResponse {
    #[schema(example = "vce_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Support voice")]
    pub name: String,
    pub description: String,
    /// BCP 47 of the samples.
    #[schema(example = "en")]
    pub language: String,
    /// `MALE`, `FEMALE` or `NOT_SPECIFIED`.
    #[schema(example = "NOT_SPECIFIED")]
    pub gender: String,
    pub status: VoiceStatus,
    /// Why the clone failed (status `FAILED`).
    pub failure_reason: Option<String>,
    /// `sandbox` or `elevenlabs`.
    #[schema(example = "sandbox")]
    pub provider: String,
    /// Whose account holds the clone: the platform's or the workspace's own key.
    pub provider_account: ProviderAccount,
    /// Speech in the samples, in milliseconds.
    pub speech_ms: i64,
    pub duration_ms: i64,
    /// Where the preview audio is, once `READY`.
    pub preview_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

impl From<Voice> for VoiceResponse {
    fn from(v: Voice) -> Self {
        VoiceResponse {
            preview_url: (v.status == VoiceStatus::Ready).then(|| format!("/api/v1/voices/{}/preview", v.id)),
            id: v.id.to_string(),
            name: v.name,
            description: v.description,
            language: v.language,
            gender: v.gender.as_str().to_string(),
            status: v.status,
            failure_reason: v.failure_reason,
            provider: v.provider,
            provider_account: v.provider_account,
            speech_ms: v.speech_ms,
            duration_ms: v.duration_ms,
            created_at: v.created_at,
            ready_at: v.ready_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Voices)]
pub struct VoiceList {
    pub data: Vec<VoiceResponse>,
}

/// The workspace's voice settings (the key itself is never returned).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VoiceSettings)]
pub struct VoiceSettingsResponse {
    /// A library voice's ID or a custom voice's `vce_…`; agents without a voice use it.
    #[schema(example = "sbv_aria")]
    pub default_voice: Option<String>,
    /// Whether the workspace brought its own ElevenLabs key.
    pub has_own_key: bool,
    /// Whose ElevenLabs account the key opens.
    pub own_key_label: Option<String>,
}

impl From<VoiceSettings> for VoiceSettingsResponse {
    fn from(s: VoiceSettings) -> Self {
        VoiceSettingsResponse {
            default_voice: s.default_voice,
            has_own_key: s.has_own_key,
            own_key_label: s.own_key_label,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LibraryQuery {
    /// A language code: `en` matches every English voice, `en-GB` British ones.
    #[param(example = "en")]
    pub language: Option<String>,
    /// `MALE`, `FEMALE` or `NOT_SPECIFIED`.
    #[param(example = "FEMALE")]
    pub gender: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VoicePath {
    #[param(example = "vce_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub voice_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LibraryVoicePath {
    #[param(example = "sbv_aria")]
    pub library_voice_id: String,
}

fn parse_id(raw: &str) -> AppResult<VoiceId> {
    raw.parse().map_err(|_| AppError::not_found("The voice"))
}

#[utoipa::path(get, path = "/api/v1/voices/library", tag = "voices", params(LibraryQuery),
    responses((status = 200, body = LibraryList)))]
pub async fn list_library_voices(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<LibraryQuery>,
) -> AppResult<Json<LibraryList>> {
    let filter =
        LibraryFilter { language: q.language.as_deref().unwrap_or(""), gender: q.gender.as_deref().unwrap_or("") };
    let voices = library::list(&state, &ctx, &filter).await?;
    Ok(Json(LibraryList { data: voices.into_iter().map(Into::into).collect() }))
}

fn audio(audio: Audio) -> Response {
    let headers = [(header::CONTENT_TYPE, audio.content_type), (header::CACHE_CONTROL, "private, max-age=3600".into())];
    (headers, audio.bytes).into_response()
}

/// A library voice's preview audio.
#[utoipa::path(get, path = "/api/v1/voices/library/{library_voice_id}/preview", tag = "voices",
    params(LibraryVoicePath),
    responses((status = 200, description = "The audio (`audio/mpeg`, `audio/wav`, …)", content_type = "audio/*", body = Vec<u8>)))]
pub async fn get_library_voice_preview(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<LibraryVoicePath>,
) -> AppResult<Response> {
    Ok(audio(preview::library_preview(&state, &ctx, &path.library_voice_id).await?))
}

#[utoipa::path(get, path = "/api/v1/voices", tag = "voices", responses((status = 200, body = VoiceList)))]
pub async fn list_voices(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<VoiceList>> {
    let voices = manage::list(&state, &ctx).await?;
    Ok(Json(VoiceList { data: voices.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/api/v1/voices/{voice_id}", tag = "voices", params(VoicePath),
    responses((status = 200, body = VoiceResponse)))]
pub async fn get_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<VoicePath>,
) -> AppResult<Json<VoiceResponse>> {
    Ok(Json(manage::get(&state, &ctx, &parse_id(&path.voice_id)?).await?.into()))
}

/// A custom voice's preview audio (status `READY`).
#[utoipa::path(get, path = "/api/v1/voices/{voice_id}/preview", tag = "voices", params(VoicePath),
    responses((status = 200, description = "The audio", content_type = "audio/*", body = Vec<u8>)))]
pub async fn get_voice_preview(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<VoicePath>,
) -> AppResult<Response> {
    Ok(audio(preview::custom_preview(&state, &ctx, &parse_id(&path.voice_id)?).await?))
}

/// Only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VoiceUpdate, example = json!({"name": "Support voice", "description": "Calm and clear."}))]
pub struct VoiceUpdateRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/voices/{voice_id}", tag = "voices", params(VoicePath),
    request_body = VoiceUpdateRequest, responses((status = 200, body = VoiceResponse)))]
pub async fn update_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<VoicePath>,
    ApiJson(body): ApiJson<VoiceUpdateRequest>,
) -> AppResult<Json<VoiceResponse>> {
    let change = VoiceUpdate { name: body.name.as_deref(), description: body.description.as_deref() };
    Ok(Json(manage::update(&state, &ctx, &parse_id(&path.voice_id)?, &change).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/voices/{voice_id}", tag = "voices", params(VoicePath),
    responses((status = 204, description = "Deleted (at the provider too, retried by a job if it cannot be reached)")))]
pub async fn delete_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<VoicePath>,
) -> AppResult<StatusCode> {
    manage::delete(&state, &ctx, &parse_id(&path.voice_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/voices/settings", tag = "voices",
    responses((status = 200, body = VoiceSettingsResponse)))]
pub async fn get_voice_settings(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<VoiceSettingsResponse>> {
    Ok(Json(byok::voice_settings(&state, &ctx).await?.into()))
}

/// `null` clears the default voice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DefaultVoice, example = json!({"voice_id": "sbv_aria"}))]
pub struct DefaultVoiceRequest {
    pub voice_id: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/voices/default", tag = "voices", request_body = DefaultVoiceRequest,
    responses((status = 200, body = VoiceSettingsResponse)))]
pub async fn set_default_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<DefaultVoiceRequest>,
) -> AppResult<Json<VoiceSettingsResponse>> {
    Ok(Json(manage::set_default_voice(&state, &ctx, body.voice_id.as_deref()).await?.into()))
}

/// The workspace's own ElevenLabs API key: write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProviderKey, example = json!({"api_key": "sk_…"}))]
pub struct ProviderKeyRequest {
    pub api_key: String,
}

impl std::fmt::Debug for ProviderKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProviderKeyRequest { api_key: <redacted> }")
    }
}

/// Verifies the key at ElevenLabs, then keeps it sealed; clones made from
/// now on live in that account.
#[utoipa::path(put, path = "/api/v1/voices/provider-key", tag = "voices", request_body = ProviderKeyRequest,
    responses((status = 200, body = VoiceSettingsResponse)))]
pub async fn set_provider_key(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<ProviderKeyRequest>,
) -> AppResult<Json<VoiceSettingsResponse>> {
    Ok(Json(byok::set_key(&state, &ctx, &body.api_key).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/voices/provider-key", tag = "voices",
    responses((status = 200, body = VoiceSettingsResponse)))]
pub async fn remove_provider_key(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<VoiceSettingsResponse>> {
    Ok(Json(byok::remove_key(&state, &ctx).await?.into()))
}

pub fn routes(r: &mut Routes) {
    r.api(
        Access::Member,
        OpenApiRouter::new()
            .routes(routes!(list_library_voices))
            .routes(routes!(get_library_voice_preview))
            .routes(routes!(list_voices))
            .routes(routes!(get_voice_settings))
            .routes(routes!(get_voice))
            .routes(routes!(get_voice_preview)),
    );
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(update_voice, delete_voice))
            .routes(routes!(set_default_voice))
            .routes(routes!(set_provider_key, remove_provider_key)),
    );
}
