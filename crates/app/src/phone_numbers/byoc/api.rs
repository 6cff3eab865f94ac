//! `/api/v1/carrier-accounts`: connect, list, an account's numbers, import,
//! disconnect. Admins only. Credentials go in and never come out.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::import::{self, ListedState, Outcome};
use super::model::{CarrierKind, RawConnection, ResetFailure, masked_ref};
use super::service;
use super::store::Account;
use crate::api::ApiJson;
use crate::error::AppResult;
use crate::phone_numbers::model::NumberStatus;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A connected (or disconnected) carrier account. Its credentials are never returned.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierAccount)]
pub struct AccountResponse {
    #[schema(example = "cac_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    pub carrier: CarrierKind,
    /// The account's friendly name at the carrier, or the SIP trunk's host.
    #[schema(example = "Acme Voice production")]
    pub label: String,
    /// The carrier's ID for the account (Twilio's Account SID; a Telnyx
    /// key's fingerprint, masked; a SIP trunk's host).
    #[schema(example = "AC0123456789abcdef0123456789abcdef")]
    pub account: String,
    /// `CONNECTED` or `DISCONNECTED`.
    #[schema(example = "CONNECTED")]
    pub status: String,
    /// When the carrier accepted the credentials.
    pub verified_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// Live numbers imported from it.
    pub phone_numbers: i64,
    /// Telnyx: the TeXML Application imported numbers are pointed at.
    pub connection_id: Option<String>,
    /// SIP trunks: the termination URI.
    pub termination_uri: Option<String>,
    /// SIP trunks: the addresses and ranges calls may come from.
    pub allowed_origins: Option<Vec<String>>,
    /// Numbers whose callbacks could not be reset when it was disconnected.
    pub callback_reset_failures: Vec<ResetFailure>,
}

impl AccountResponse {
    pub fn new(a: Account, phone_numbers: i64) -> Self {
        let sip = a.settings.sip.clone();
        AccountResponse {
            id: a.id.to_string(),
            carrier: a.carrier,
            account: masked_ref(a.carrier, &a.account_ref),
            label: a.label,
            status: if a.connected { "CONNECTED" } else { "DISCONNECTED" }.to_string(),
            verified_at: a.verified_at,
            created_at: a.created_at,
            disconnected_at: a.disconnected_at,
            phone_numbers,
            connection_id: a.settings.telnyx_connection_id.clone(),
            termination_uri: sip.as_ref().map(|s| s.termination_uri.clone()),
            allowed_origins: sip.map(|s| s.allowed_origins),
            callback_reset_failures: a.settings.reset_failures,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierAccountList)]
pub struct AccountList {
    pub data: Vec<AccountResponse>,
}

/// Which fields are read depends on `carrier`: Twilio takes `account_sid`
/// with `auth_token`, or with `api_key_sid` and `api_key_secret` (plus an
/// optional `auth_token` to check Twilio's callback signatures); Telnyx
/// takes `api_key`; a SIP trunk takes `termination_uri`, `username`,
/// `password` and `allowed_origins`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CarrierAccountConnect, example = json!({"carrier": "twilio", "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "your_auth_token"}))]
pub struct ConnectRequest {
    pub carrier: CarrierKind,
    #[serde(default)]
    pub account_sid: Option<String>,
    #[serde(default)]
    pub auth_token: Option<String>,
    #[serde(default)]
    pub api_key_sid: Option<String>,
    #[serde(default)]
    pub api_key_secret: Option<String>,
    /// Telnyx API key.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Telnyx: the ID of the TeXML Application (a connection) whose voice
    /// and status URLs are Switchboard's; imported numbers are pointed at it.
    #[serde(default)]
    #[schema(example = "1293384261075731499")]
    pub connection_id: Option<String>,
    /// `sip:host[:port]` or `sips:host[:port]`.
    #[serde(default)]
    #[schema(example = "sip:acme.pstn.example.com")]
    pub termination_uri: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// IPv4 or IPv6 addresses or CIDR ranges.
    #[serde(default)]
    #[schema(example = json!(["203.0.113.10", "198.51.100.0/24"]))]
    pub allowed_origins: Option<Vec<String>>,
}

impl ConnectRequest {
    fn raw(self) -> RawConnection {
        RawConnection {
            carrier: self.carrier.as_str().to_string(),
            account_sid: self.account_sid.unwrap_or_default(),
            auth_token: self.auth_token.unwrap_or_default(),
            api_key_sid: self.api_key_sid.unwrap_or_default(),
            api_key_secret: self.api_key_secret.unwrap_or_default(),
            api_key: self.api_key.unwrap_or_default(),
            connection_id: self.connection_id.unwrap_or_default(),
            termination_uri: self.termination_uri.unwrap_or_default(),
            username: self.username.unwrap_or_default(),
            password: self.password.unwrap_or_default(),
            allowed_origins: self.allowed_origins.unwrap_or_default().join("\n"),
        }
    }
}

/// The account ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountPath {
    /// Carrier account ID (`cac_…`)
    #[param(example = "cac_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub account_id: String,
}

/// A number the account holds at the carrier.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierAccountNumber)]
pub struct NumberResponse {
    #[schema(example = "+14155550100")]
    pub e164: String,
    pub friendly_name: Option<String>,
    /// `voice`, `sms`, `mms`.
    #[schema(example = json!(["voice", "sms"]))]
    pub capabilities: Vec<String>,
    pub state: ListedState,
    /// Its ID here when imported here.
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierAccountNumberList)]
pub struct NumberList {
    pub data: Vec<NumberResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CarrierAccountImport, example = json!({"phone_numbers": ["+14155550100"]}))]
pub struct ImportRequest {
    /// E.164 numbers of the account, 1–100.
    #[schema(min_items = 1, max_items = 100)]
    pub phone_numbers: Vec<String>,
}

/// `imported`, `unchanged` (already here) or `refused` (with `reason`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierImportResult)]
pub struct ImportResultResponse {
    #[schema(example = "+14155550100")]
    pub e164: String,
    #[schema(example = "imported")]
    pub result: String,
    /// The number's ID here (imported or unchanged).
    pub phone_number_id: Option<String>,
    pub status: Option<NumberStatus>,
    /// Why it was refused.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierImportResults)]
pub struct ImportResponse {
    pub data: Vec<ImportResultResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CarrierAccountDisconnected)]
pub struct DisconnectResponse {
    pub account: AccountResponse,
    /// The numbers that were disconnected here (E.164).
    pub disconnected_numbers: Vec<String>,
    /// Numbers whose callbacks could not be reset at the carrier: clear
    /// them in the carrier's console.
    pub callback_reset_failures: Vec<ResetFailure>,
}

/// The workspace's carrier accounts, connected first.
#[utoipa::path(get, path = "/api/v1/carrier-accounts", tag = "carrier-accounts",
    responses((status = 200, body = AccountList)))]
pub async fn list_carrier_accounts(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<AccountList>> {
    ctx.require(Permission::ManageSettings)?;
    let data = service::list(&state, &ctx).await?.into_iter().map(|(a, n)| AccountResponse::new(a, n)).collect();
    Ok(Json(AccountList { data }))
}

/// Connects a carrier account: the credentials are checked at the carrier
/// first (a refusal is a 422 by the field, nothing saved), then sealed.
#[utoipa::path(post, path = "/api/v1/carrier-accounts", tag = "carrier-accounts",
    request_body = ConnectRequest,
    responses((status = 201, body = AccountResponse)))]
pub async fn connect_carrier_account(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<ConnectRequest>,
) -> AppResult<(StatusCode, Json<AccountResponse>)> {
    ctx.require(Permission::ManageSettings)?;
    let conn = body.raw().parse()?;
    let account = service::connect(&state, &ctx, conn).await?;
    Ok((StatusCode::CREATED, Json(AccountResponse::new(account, 0))))
}

/// The numbers the account holds at the carrier, each marked importable,
/// imported here or in another workspace (not for SIP trunks: 422).
#[utoipa::path(get, path = "/api/v1/carrier-accounts/{account_id}/numbers", tag = "carrier-accounts",
    params(AccountPath),
    responses((status = 200, body = NumberList)))]
pub async fn list_carrier_account_numbers(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AccountPath>,
) -> AppResult<Json<NumberList>> {
    ctx.require(Permission::ManageSettings)?;
    let (_, listed) = import::account_numbers(&state, &ctx, &path.account_id).await?;
    let data = listed
        .into_iter()
        .map(|n| NumberResponse {
            capabilities: n.capabilities.to_list().split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
            e164: n.e164,
            friendly_name: n.friendly_name,
            state: n.state,
            phone_number_id: n.phone_number_id.map(|id| id.to_string()),
        })
        .collect();
    Ok(Json(NumberList { data }))
}

/// Imports numbers of the account (idempotent): each is `imported`,
/// `unchanged` (already in this workspace) or `refused` with a reason.
#[utoipa::path(post, path = "/api/v1/carrier-accounts/{account_id}/import", tag = "carrier-accounts",
    params(AccountPath), request_body = ImportRequest,
    responses((status = 200, body = ImportResponse)))]
pub async fn import_carrier_account_numbers(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AccountPath>,
    ApiJson(body): ApiJson<ImportRequest>,
) -> AppResult<Json<ImportResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let e164s = import::parse_list(&body.phone_numbers)?;
    let results = import::import(&state, &ctx, &path.account_id, &e164s).await?;
    let data = results
        .into_iter()
        .map(|r| {
            let (result, number, reason) = match r.outcome {
                Outcome::Imported(n) => ("imported", Some(n), None),
                Outcome::Unchanged(n) => ("unchanged", Some(n), None),
                Outcome::Refused(reason) => ("refused", None, Some(reason)),
            };
            ImportResultResponse {
                e164: r.e164,
                result: result.to_string(),
                phone_number_id: number.as_ref().map(|n| n.id.to_string()),
                status: number.map(|n| n.status),
                reason,
            }
        })
        .collect();
    Ok(Json(ImportResponse { data }))
}

/// Disconnects the account: its numbers become `DISCONNECTED` (unassigned),
/// their callbacks are reset at the carrier (best effort: what failed is
/// listed) and the stored credentials are erased.
#[utoipa::path(delete, path = "/api/v1/carrier-accounts/{account_id}", tag = "carrier-accounts",
    params(AccountPath),
    responses((status = 200, body = DisconnectResponse)))]
pub async fn disconnect_carrier_account(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AccountPath>,
) -> AppResult<Json<DisconnectResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let done = service::disconnect(&state, &ctx, &path.account_id).await?;
    Ok(Json(DisconnectResponse {
        disconnected_numbers: done.numbers.iter().map(|n| n.e164.clone()).collect(),
        callback_reset_failures: done.failures,
        account: AccountResponse::new(done.account, 0),
    }))
}
