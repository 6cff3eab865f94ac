//! `PATCH /api/v1/phone-numbers/{phone_number_id}` (Admins: the friendly name and
//! the outbound toggle) and `PUT /api/v1/phone-numbers/{phone_number_id}/assignments`
//! (Members and Admins, the Editor access kind: the agent of each role).
//! Both answer the number as `GET /api/v1/phone-numbers/{phone_number_id}` does.
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::{PhoneNumberPath, PhoneNumberResponse};
use super::assign::{self, Assignment, Details};
use crate::api::ApiJson;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.api(Access::Admin, OpenApiRouter::new().routes(routes!(update_phone_number)));
    r.api(Access::Editor, OpenApiRouter::new().routes(routes!(assign_phone_number)));
}

/// Only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PhoneNumberUpdate, example = json!({"friendly_name": "Main line", "allow_outbound": true}))]
pub struct PhoneNumberUpdateRequest {
    /// 1–64 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    pub friendly_name: Option<String>,
    /// Whether agents may place calls from this number.
    #[serde(default)]
    pub allow_outbound: Option<bool>,
}

/// The agent of each role; `null` (or absent) for none. The whole set is
/// replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PhoneNumberAssignmentsUpdate, example = json!({"inbound_agent_id": "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "outbound_agent_id": null, "sms_agent_id": null}))]
pub struct AssignmentsRequest {
    /// The agent that answers calls to the number.
    #[serde(default)]
    pub inbound_agent_id: Option<String>,
    /// The agent that places calls from the number.
    #[serde(default)]
    pub outbound_agent_id: Option<String>,
    /// The agent that handles the number's SMS (SMS-capable numbers only).
    #[serde(default)]
    pub sms_agent_id: Option<String>,
}

/// Renames the number and sets its outbound toggle (Admins).
#[utoipa::path(patch, path = "/api/v1/phone-numbers/{phone_number_id}", tag = "phone-numbers", params(PhoneNumberPath),
    request_body = PhoneNumberUpdateRequest,
    responses((status = 200, body = PhoneNumberResponse)))]
pub async fn update_phone_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<PhoneNumberPath>,
    ApiJson(body): ApiJson<PhoneNumberUpdateRequest>,
) -> AppResult<Json<PhoneNumberResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let id = assign::parse_id(&path.phone_number_id)?;
    let details = Details { friendly_name: body.friendly_name, allow_outbound: body.allow_outbound };
    let number = assign::update_details(&state, &ctx, &id, &details).await?;
    Ok(Json(PhoneNumberResponse::from(number)))
}

/// Sets the agent of each role (Members and Admins). An agent has at most
/// one number per role: assigning an agent that another number already
/// serves in that role is a 409 `agent_has_number` naming both.
#[utoipa::path(put, path = "/api/v1/phone-numbers/{phone_number_id}/assignments", tag = "phone-numbers",
    params(PhoneNumberPath),
    request_body = AssignmentsRequest,
    responses((status = 200, body = PhoneNumberResponse)))]
pub async fn assign_phone_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<PhoneNumberPath>,
    ApiJson(body): ApiJson<AssignmentsRequest>,
) -> AppResult<Json<PhoneNumberResponse>> {
    ctx.require(Permission::EditResources)?;
    let id = assign::parse_id(&path.phone_number_id)?;
    let wanted = Assignment::parse([
        body.inbound_agent_id.as_deref(),
        body.outbound_agent_id.as_deref(),
        body.sms_agent_id.as_deref(),
    ])?;
    let number = assign::assign(&state, &ctx, &id, &wanted).await?;
    Ok(Json(PhoneNumberResponse::from(number)))
}
