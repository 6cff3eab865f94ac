//! `/api/v1/phone-numbers`: list and read the workspace's numbers (every
//! role), search the platform carrier's numbers, buy one and release one
//! (Admins). Changing a number and its assignments is in `api_assign`.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::PhoneNumberId;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::buy::{self, Offer, RawSearch};
use super::model::{NumberSource, NumberStatus, PhoneNumber};
use super::store::{self, ListFilter};
use crate::api::{ApiJson, ApiQuery, pagination};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;

/// The agents a number serves, per role (`null`: none).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumberAssignments)]
pub struct AssignmentsResponse {
    #[schema(example = "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub inbound_agent_id: Option<String>,
    pub outbound_agent_id: Option<String>,
    pub sms_agent_id: Option<String>,
}

/// A phone number of the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumber)]
pub struct PhoneNumberResponse {
    #[schema(example = "pn_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    /// E.164.
    #[schema(example = "+14155550100")]
    pub phone_number: String,
    /// As people read it.
    #[schema(example = "+1 415 555 0100")]
    pub display: String,
    #[schema(example = "Front desk line")]
    pub friendly_name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub country: String,
    /// `LOCAL`, `NATIONAL`, `MOBILE` or `TOLL_FREE`.
    #[serde(rename = "type")]
    #[schema(example = "LOCAL")]
    pub number_type: String,
    #[schema(example = json!(["voice", "sms"]))]
    pub capabilities: Vec<String>,
    pub source: NumberSource,
    /// `sandbox`, `twilio`, `telnyx` or `sip`.
    #[schema(example = "sandbox")]
    pub carrier: String,
    /// Imported numbers: the connected carrier account (`cac_…`).
    pub carrier_account_id: Option<String>,
    /// Milli-credits a month (1 credit = 1000); 0 for imported numbers.
    #[schema(example = 150_000)]
    pub monthly_price_credits: i64,
    /// The monthly price in whole credits, as the page shows it.
    #[schema(example = "150")]
    pub monthly_price_display: String,
    pub status: NumberStatus,
    /// Why an order failed, why a renewal is unpaid, or a release the carrier has not confirmed.
    pub status_detail: Option<String>,
    pub allow_outbound: bool,
    pub assignments: AssignmentsResponse,
    pub created_at: DateTime<Utc>,
    /// When the next month is charged (platform numbers that are active or past due).
    pub renews_on: Option<DateTime<Utc>>,
}

impl From<PhoneNumber> for PhoneNumberResponse {
    fn from(n: PhoneNumber) -> Self {
        let id = |a: Option<switchboard_core::AgentId>| a.map(|a| a.to_string());
        PhoneNumberResponse {
            id: n.id.to_string(),
            display: n.display(),
            phone_number: n.e164,
            friendly_name: n.friendly_name,
            country: n.country,
            number_type: n.number_type.as_str().to_string(),
            capabilities: n.capabilities.to_list().split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
            source: n.source,
            carrier: n.carrier,
            carrier_account_id: n.carrier_account_id.map(|a| a.to_string()),
            monthly_price_credits: n.monthly_price,
            monthly_price_display: crate::web::format::credits(switchboard_core::Credits::from_millis(n.monthly_price)),
            status: n.status,
            status_detail: n.status_detail,
            allow_outbound: n.allow_outbound,
            assignments: AssignmentsResponse {
                inbound_agent_id: id(n.inbound_agent_id),
                outbound_agent_id: id(n.outbound_agent_id),
                sms_agent_id: id(n.sms_agent_id),
            },
            created_at: n.created_at,
            renews_on: n.renews_on,
        }
    }
}

/// A page of numbers, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumberPage)]
pub struct PhoneNumberPage {
    pub data: Vec<PhoneNumberResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PhoneNumbersQuery {
    /// Only numbers with this status. Without it, released and failed numbers are left out.
    #[param(value_type = Option<NumberStatus>, example = "ACTIVE")]
    pub status: Option<String>,
    /// `PLATFORM` (bought here) or `IMPORTED`.
    #[param(value_type = Option<NumberSource>, example = "PLATFORM")]
    pub source: Option<String>,
    /// Digits of the number or words of its friendly name.
    #[param(example = "0100")]
    pub search: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 25.
    #[param(example = 25, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The number ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PhoneNumberPath {
    /// Phone number ID (`pn_…`)
    #[param(example = "pn_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub phone_number_id: String,
}

fn parse_id(raw: &str) -> AppResult<PhoneNumberId> {
    raw.parse().map_err(|_| AppError::not_found("The number"))
}

/// The workspace's numbers, newest first (keyset paged).
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "phone-numbers", params(PhoneNumbersQuery),
    responses((status = 200, body = PhoneNumberPage)))]
pub async fn list_phone_numbers(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<PhoneNumbersQuery>,
) -> AppResult<Json<PhoneNumberPage>> {
    ctx.require(Permission::ViewWorkspace)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(NumberStatus::parse(raw).ok_or_else(|| {
            AppError::field("status", "Use PENDING, ACTIVE, PAST_DUE, FAILED, RELEASED or DISCONNECTED.")
        })?),
    };
    let source = match q.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            NumberSource::try_from(raw.to_ascii_uppercase())
                .map_err(|_| AppError::field("source", "Use PLATFORM or IMPORTED."))?,
        ),
    };
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::field("search", "Search for at most 100 characters."));
    }
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(q.cursor.as_deref())?;
    let after = match after {
        Some((at, id)) => Some((
            at,
            id.parse::<PhoneNumberId>()
                .map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?,
        )),
        None => None,
    };
    let filter = ListFilter { status, source, search, carrier_account: None, hide_ended: status.is_none() };
    let ws = &ctx.workspace.id;
    let rows = store::list(&state.db, ws, &filter, after.as_ref().map(|(at, id)| (*at, id)), limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |n| (n.created_at, n.id.to_string()));
    Ok(Json(PhoneNumberPage { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/phone-numbers/{phone_number_id}", tag = "phone-numbers", params(PhoneNumberPath),
    responses((status = 200, body = PhoneNumberResponse)))]
pub async fn get_phone_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<PhoneNumberPath>,
) -> AppResult<Json<PhoneNumberResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    let id = parse_id(&path.phone_number_id)?;
    let number =
        store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(|| AppError::not_found("The number"))?;
    Ok(Json(number.into()))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AvailableQuery {
    /// ISO 3166-1 alpha-2 (`US`, `GB`, `AU` in the sandbox).
    #[param(example = "US")]
    pub country: Option<String>,
    /// `LOCAL` (default), `NATIONAL`, `MOBILE` or `TOLL_FREE`.
    #[serde(rename = "type")]
    #[param(rename = "type", example = "LOCAL")]
    pub number_type: Option<String>,
    /// Digits the national number starts with (at most 6).
    #[param(example = "415")]
    pub area_code: Option<String>,
    /// Digits anywhere in the national number (at most 10).
    #[param(example = "0100")]
    pub contains: Option<String>,
    /// What each number must do: `voice`, `sms`, `mms`, comma-separated (default `voice`).
    #[param(example = "voice,sms")]
    pub capabilities: Option<String>,
}

/// A number the platform's carrier offers, with its monthly price.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AvailablePhoneNumber)]
pub struct AvailableResponse {
    #[schema(example = "+14155550100")]
    pub phone_number: String,
    #[schema(example = "+1 415 555 0100")]
    pub display: String,
    #[schema(example = "US")]
    pub country: String,
    #[serde(rename = "type")]
    #[schema(example = "LOCAL")]
    pub number_type: String,
    #[schema(example = json!(["voice", "sms", "mms"]))]
    pub capabilities: Vec<String>,
    #[schema(example = "San Francisco, CA")]
    pub locality: Option<String>,
    /// Milli-credits a month.
    #[schema(example = 150_000)]
    pub monthly_price_credits: i64,
    #[schema(example = "150")]
    pub monthly_price_display: String,
}

impl From<Offer> for AvailableResponse {
    fn from(o: Offer) -> Self {
        AvailableResponse {
            display: super::model::display(&o.number.e164),
            phone_number: o.number.e164,
            country: o.number.country,
            number_type: o.number.number_type.as_str().to_string(),
            capabilities: o
                .number
                .capabilities
                .to_list()
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            locality: o.number.locality,
            monthly_price_credits: o.monthly_price.millis(),
            monthly_price_display: crate::web::format::credits(o.monthly_price),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AvailablePhoneNumbers)]
pub struct AvailableList {
    /// At most 20.
    pub data: Vec<AvailableResponse>,
}

/// Numbers the platform's carrier offers (Admins), priced for the workspace's plan.
#[utoipa::path(get, path = "/api/v1/phone-numbers/available", tag = "phone-numbers", params(AvailableQuery),
    responses((status = 200, body = AvailableList)))]
pub async fn search_available(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<AvailableQuery>,
) -> AppResult<Json<AvailableList>> {
    ctx.require(Permission::ManageSettings)?;
    let query = buy::parse_search(&RawSearch {
        country: q.country.as_deref().unwrap_or(""),
        number_type: q.number_type.as_deref().unwrap_or(""),
        area_code: q.area_code.as_deref().unwrap_or(""),
        contains: q.contains.as_deref().unwrap_or(""),
        capabilities: q.capabilities.as_deref().unwrap_or(""),
    })?;
    let offers = buy::search(&state, &ctx, &query).await?;
    Ok(Json(AvailableList { data: offers.into_iter().map(Into::into).collect() }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BuyPhoneNumber, example = json!({"phone_number": "+14155550100"}))]
pub struct BuyRequest {
    /// The number to buy, from the available numbers (E.164).
    #[serde(default)]
    #[schema(max_length = 40)]
    pub phone_number: String,
}

/// Buys a number (Admins): the first month is charged in credits now (no
/// proration), then the number is ordered. `ACTIVE` when the carrier
/// completes at once, `PENDING` while it completes the order, `FAILED`
/// (refunded) when it refuses.
#[utoipa::path(post, path = "/api/v1/phone-numbers", tag = "phone-numbers", request_body = BuyRequest,
    responses((status = 201, body = PhoneNumberResponse)))]
pub async fn buy_phone_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<BuyRequest>,
) -> AppResult<(StatusCode, Json<PhoneNumberResponse>)> {
    ctx.require(Permission::ManageSettings)?;
    let number = buy::buy(&state, &ctx, &body.phone_number).await?;
    Ok((StatusCode::CREATED, Json(number.into())))
}

/// Releases the number (Admins): renewal stops, its agents are unassigned
/// and the carrier gets it back. Answers the number, `RELEASED`.
#[utoipa::path(delete, path = "/api/v1/phone-numbers/{phone_number_id}", tag = "phone-numbers",
    params(PhoneNumberPath), responses((status = 200, body = PhoneNumberResponse)))]
pub async fn release_phone_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<PhoneNumberPath>,
) -> AppResult<Json<PhoneNumberResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(&path.phone_number_id)?;
    Ok(Json(super::release::release(&state, &ctx, &id).await?.into()))
}

pub fn routes(r: &mut Routes) {
    r.api(Access::Member, OpenApiRouter::new().routes(routes!(list_phone_numbers)).routes(routes!(get_phone_number)));
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(search_available))
            .routes(routes!(buy_phone_number))
            .routes(routes!(release_phone_number)),
    );
}
