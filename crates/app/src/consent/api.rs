//! `/api/v1/consent`: the workspace's mode and keywords (every role reads,
//! Admins change), consent records (Members and Admins write, with proof;
//! every role reads a phone's, email's or contact's history).
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{
    Channel, ConsentMode, ConsentStatus, Keywords, MAX_PROOF_CHARS, Source, parse_email, parse_phone, parse_text,
};
use super::service::{self, NewRecord};
use super::store::{ConsentRecord, ConsentSettings, Whose};
use crate::api::{ApiJson, ApiQuery, pagination};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::suppressions::model::{DEFAULT_COUNTRY, Subject};

/// The workspace's consent settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ConsentSettings)]
pub struct SettingsResponse {
    pub mode: ConsentMode,
    /// Upper-case words; an inbound SMS that is one of them (alone) opts
    /// its sender out.
    #[schema(example = json!(["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]))]
    pub opt_out_keywords: Vec<String>,
    #[schema(example = json!(["START"]))]
    pub opt_in_keywords: Vec<String>,
    /// `null` while the workspace has the defaults.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<ConsentSettings> for SettingsResponse {
    fn from(s: ConsentSettings) -> Self {
        SettingsResponse {
            mode: s.mode,
            opt_out_keywords: s.keywords.opt_out,
            opt_in_keywords: s.keywords.opt_in,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConsentModeUpdate, example = json!({"mode": "GRANULAR"}))]
pub struct ModeRequest {
    /// `UNIVERSAL` or `GRANULAR`.
    #[serde(default)]
    #[schema(value_type = ConsentMode)]
    pub mode: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConsentKeywordsUpdate, example = json!({"opt_out_keywords": ["STOP", "END", "ARRET"], "opt_in_keywords": ["START"]}))]
pub struct KeywordsRequest {
    /// One word each (letters and digits, at most 20 characters), any case; at least one.
    #[serde(default)]
    pub opt_out_keywords: Vec<String>,
    /// One word each; may be empty; no word of the opt-out list.
    #[serde(default)]
    pub opt_in_keywords: Vec<String>,
}

/// A consent record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ConsentRecord)]
pub struct RecordResponse {
    #[schema(example = "cns_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    pub contact_id: Option<String>,
    #[schema(example = "+14155550100")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub channel: Channel,
    pub status: ConsentStatus,
    pub source: Source,
    #[schema(example = "SMS \"STOP\" (twilio message SM123)")]
    pub proof: String,
    /// Who recorded it: a user's or token's name, or `System`.
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

impl From<ConsentRecord> for RecordResponse {
    fn from(r: ConsentRecord) -> Self {
        RecordResponse {
            id: r.id.to_string(),
            contact_id: r.contact_id,
            phone: r.phone,
            email: r.email,
            channel: r.channel,
            status: r.status,
            source: r.source,
            proof: r.proof,
            actor: r.actor,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ConsentRecordPage)]
pub struct RecordPage {
    pub data: Vec<RecordResponse>,
    pub next_cursor: Option<String>,
}

/// A phone number or an email (one of them), the channel, opted in or out,
/// and the proof.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewConsentRecord, example = json!({"phone": "+14155550100", "channel": "SMS", "status": "OPTED_OUT", "proof": "https://example.com/forms/123"}))]
pub struct NewRecordRequest {
    /// Any common format; a national number uses `default_country`.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// ISO 3166 alpha-2 for national phone numbers (default `US`).
    pub default_country: Option<String>,
    /// The contact (`con_…`) the record is about, if known.
    pub contact_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Channel)]
    pub channel: String,
    #[serde(default)]
    #[schema(value_type = ConsentStatus)]
    pub status: String,
    /// What shows the consent: the form's URL, a message, a note (required, at most 2,000 characters).
    #[serde(default)]
    pub proof: String,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// Whose history: one of `phone`, `email`, `contact_id`.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_id: Option<String>,
    /// ISO 3166 alpha-2 for a national `phone` (default `US`).
    pub default_country: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 25.
    pub limit: Option<i64>,
}

/// The workspace's consent mode and keywords.
#[utoipa::path(get, path = "/api/v1/consent", tag = "consent", responses((status = 200, body = SettingsResponse)))]
pub async fn get_settings(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<SettingsResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(Json(service::settings(&state, &ctx).await?.into()))
}

/// Sets the consent mode (Admins).
#[utoipa::path(put, path = "/api/v1/consent/mode", tag = "consent", request_body = ModeRequest,
    responses((status = 200, body = SettingsResponse)))]
pub async fn set_mode(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<ModeRequest>,
) -> AppResult<Json<SettingsResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let mode =
        ConsentMode::parse(&body.mode).ok_or_else(|| AppError::field("mode", "Choose UNIVERSAL or GRANULAR."))?;
    Ok(Json(service::set_mode(&state, &ctx, mode).await?.into()))
}

/// Replaces the opt-out and opt-in keyword lists (Admins).
#[utoipa::path(put, path = "/api/v1/consent/keywords", tag = "consent", request_body = KeywordsRequest,
    responses((status = 200, body = SettingsResponse)))]
pub async fn set_keywords(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<KeywordsRequest>,
) -> AppResult<Json<SettingsResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let keywords = Keywords::parse(&body.opt_out_keywords, &body.opt_in_keywords)?;
    Ok(Json(service::set_keywords(&state, &ctx, keywords).await?.into()))
}

/// Records consent (source `API`); an opt-out adds the phone or email to
/// the suppression list and an opt-in lifts what consent records put there,
/// in the same transaction.
#[utoipa::path(post, path = "/api/v1/consent/records", tag = "consent", request_body = NewRecordRequest,
    responses((status = 201, body = RecordResponse)))]
pub async fn create_record(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewRecordRequest>,
) -> AppResult<(StatusCode, Json<RecordResponse>)> {
    ctx.require(Permission::EditResources)?;
    let mut errors = Vec::new();
    let country = body.default_country.as_deref().filter(|c| !c.trim().is_empty()).unwrap_or(DEFAULT_COUNTRY);
    let subject =
        Subject::parse(body.phone.as_deref(), body.email.as_deref(), country).map_err(|e| errors.push(e)).ok();
    let contact_id = match body.contact_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => {
            raw.parse().map_err(|_| errors.push(FieldError::new("contact_id", "Use a contact ID (con_…)."))).ok()
        }
    };
    let channel = Channel::parse(&body.channel).or_else(|| {
        errors.push(FieldError::new("channel", "Choose CALLS or SMS."));
        None
    });
    let status = ConsentStatus::parse(&body.status).or_else(|| {
        errors.push(FieldError::new("status", "Choose OPTED_IN or OPTED_OUT."));
        None
    });
    let proof = match parse_text(&body.proof, MAX_PROOF_CHARS, "proof") {
        Ok(p) if p.is_empty() => {
            errors.push(FieldError::new("proof", "Say what shows the consent: a URL, the message, a note."));
            None
        }
        Ok(p) => Some(p),
        Err(m) => {
            errors.push(FieldError::new("proof", m));
            None
        }
    };
    let (Some(subject), Some(channel), Some(status), Some(proof)) = (subject, channel, status, proof) else {
        return Err(AppError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let new = NewRecord { subject, contact_id, channel, status, source: Source::Api, proof };
    let recorded = service::record(&state, &ctx, new).await?;
    let record =
        recorded.records.into_iter().next().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no record written")))?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// A phone number's, email's or contact's consent history, newest first (keyset paged).
#[utoipa::path(get, path = "/api/v1/consent/records", tag = "consent", params(RecordsQuery),
    responses((status = 200, body = RecordPage)))]
pub async fn list_records(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<RecordsQuery>,
) -> AppResult<Json<RecordPage>> {
    ctx.require(Permission::ViewWorkspace)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (phone, email, contact) = (given(&q.phone), given(&q.email), given(&q.contact_id));
    let country = q.default_country.as_deref().filter(|c| !c.trim().is_empty()).unwrap_or(DEFAULT_COUNTRY);
    let phone = phone.map(|p| parse_phone(&p, country).map_err(|m| AppError::field("phone", m))).transpose()?;
    let email = email.map(|e| parse_email(&e).map_err(|m| AppError::field("email", m))).transpose()?;
    let whose = match (&phone, &email, &contact) {
        (Some(p), None, None) => Whose::Phone(p),
        (None, Some(e), None) => Whose::Email(e),
        (None, None, Some(c)) => Whose::Contact(c),
        _ => return Err(AppError::field("phone", "Give exactly one of phone, email or contact_id.")),
    };
    let (rows, next_cursor) = service::history(&state, &ctx, whose, q.cursor.as_deref(), limit).await?;
    Ok(Json(RecordPage { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}
