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
use utoipa::{OpenApi, ToSchema};

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

/// The multipart body of `POST /api/v1/voices` (for the document: the
/// handler reads it as a stream through [`UploadForm`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CloneForm {
    /// At most 100 characters.
    name: String,
    /// One of the languages cloning offers (`en`, `es`, `fr`, …).
    language: String,
    /// `MALE`, `FEMALE` or `NOT_SPECIFIED` (the default).
    gender: Option<String>,
    /// At most 500 characters.
    description: Option<String>,
    /// `true`: the Admin confirms the consent statement (required).
    consent: bool,
    /// The samples (WAV, MP3, M4A, OGG, WebM or FLAC), at most 25 of
    /// 10 MiB each, at least 10 s of speech together; any field name.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// The multipart body of `POST /api/v1/voices/analyze`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SamplesForm {
    /// The samples, as for a clone; any field name.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// `POST /api/v1/voices` (multipart: `name`, `language`, `gender`,
/// `description`, `consent=true`, then the files): 201 with the voice,
/// `PROCESSING`; 422 with one entry per bad field or file.
#[utoipa::path(post, path = VOICES, tag = "voices",
    request_body(content = CloneForm, content_type = "multipart/form-data",
        description = "Every sample is decoded and measured on the server before anything is kept; the clone is charged once READY."),
    responses(
        (status = 201, body = VoiceResponse, description = "The voice, `PROCESSING` until the clone job settles it"),
        (status = 402, description = "The balance does not cover this clone and the ones still processing", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "A file over 10 MiB, more than 25 files or 250 MiB in all", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    form: UploadForm,
) -> AppResult<(StatusCode, Json<VoiceResponse>)> {
    let voice = create::create_clone(&state, &ctx, form).await?;
    Ok((StatusCode::CREATED, Json(voice.into())))
}

/// The quality report, as JSON.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "files": [{
        "index": 0, "filename": "take-1.wav", "content_type": "audio/wav", "size_bytes": 1_920_044,
        "sha256": "9f2c0e5d1b7a4c3e8f6a2d1c0b9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
        "report": {
            "format": "Wav", "codec": "pcm_s16le", "sample_rate": 48_000, "channels": 1,
            "duration_ms": 20_000, "speech_ms": 17_400, "clipping_share": 0.0, "silence_share": 0.13,
            "loudness_lufs": -21.4, "warnings": []
        },
        "error": null
    }],
    "summary": {
        "samples": 1, "duration_ms": 20_000, "speech_ms": 17_400, "verdict": "Warning",
        "message": "17 s of speech in all: enough to clone, but a minute or more gives a more faithful voice."
    },
    "acceptable": true
}))]
pub struct AnalysisResponse {
    #[serde(flatten)]
    pub analysis: Analysis,
    /// Whether these samples may be cloned (no bad file, verdict not `Refused`).
    pub acceptable: bool,
}

/// `POST /api/v1/voices/analyze` (multipart: the files): every file's
/// report or error, and the verdict. Nothing is kept.
#[utoipa::path(post, path = ANALYZE, tag = "voices",
    request_body(content = SamplesForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = AnalysisResponse, description = "Each file's report or error, and the verdict; nothing is kept"),
        (status = 413, description = "A file over 10 MiB, more than 25 files or 250 MiB in all", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn analyze_voice_samples(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    form: UploadForm,
) -> AppResult<Json<AnalysisResponse>> {
    let analysis = analyze::analyze_samples(&state, &ctx, form).await?;
    Ok(Json(AnalysisResponse { acceptable: analysis.acceptable(), analysis }))
}

/// The two operations in the API document (the upload routes are mounted
/// outside the API's router, so they bring their own part of it).
#[derive(OpenApi)]
#[openapi(paths(create_voice, analyze_voice_samples))]
struct UploadDoc;

pub fn routes(r: &mut Routes) {
    r.upload(Access::Admin, "POST", VOICES, post(create_voice), UPLOAD_LIMIT);
    r.upload(Access::Admin, "POST", ANALYZE, post(analyze_voice_samples), UPLOAD_LIMIT);
    r.api_doc(UploadDoc::openapi());
}
