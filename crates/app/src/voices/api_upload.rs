//! The multipart routes of `/api/v1/voices` (Admins), mounted with the
//! large-upload route kind (`Routes::upload`: 25 files of at most 10 MiB,
//! streamed to storage with their SHA-256, CSRF from a header or the first
//! form field for browsers): `POST /api/v1/voices` clones a voice, `POST
//! /api/v1/voices/analyze` reports the samples' quality without cloning.
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Serialize;

use super::analyze::{self, Analysis, UPLOAD_LIMIT};
use super::api::VoiceResponse;
use super::create;
use crate::error::AppResult;
use crate::policy::WorkspaceCtx;
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::uploads::UploadForm;

pub const VOICES: &str = "/api/v1/voices";
pub const ANALYZE: &str = "/api/v1/voices/analyze";

/// `POST /api/v1/voices` (multipart: `name`, `language`, `gender`,
/// `description`, `consent=true`, then the files): 201 with the voice,
/// `PROCESSING`; 422 with one entry per bad field or file.
pub async fn create_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    form: UploadForm,
) -> AppResult<(StatusCode, Json<VoiceResponse>)> {
    let voice = create::create_clone(&state, &ctx, form).await?;
    Ok((StatusCode::CREATED, Json(voice.into())))
}

/// The quality report, as JSON.
#[derive(Debug, Serialize)]
pub struct AnalysisResponse {
    #[serde(flatten)]
    pub analysis: Analysis,
    /// Whether these samples may be cloned (no bad file, verdict not `Refused`).
    pub acceptable: bool,
}

/// `POST /api/v1/voices/analyze` (multipart: the files): every file's
/// report or error, and the verdict. Nothing is kept.
pub async fn analyze_voice_samples(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    form: UploadForm,
) -> AppResult<Json<AnalysisResponse>> {
    let analysis = analyze::analyze_samples(&state, &ctx, form).await?;
    Ok(Json(AnalysisResponse { acceptable: analysis.acceptable(), analysis }))
}

pub fn routes(r: &mut Routes) {
    r.upload(Access::Admin, "POST", VOICES, post(create_voice), UPLOAD_LIMIT);
    r.upload(Access::Admin, "POST", ANALYZE, post(analyze_voice_samples), UPLOAD_LIMIT);
}
