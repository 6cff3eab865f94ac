//! JSON handlers: the workspace's invoices, newest first, and one with its
//! lines (Admins). Another workspace's invoice answers 404.
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{InvoiceId, WorkspaceId};
use utoipa::{IntoParams, ToSchema};

use super::store::{self, Invoice, Kind, Line, Status};
use crate::api::{ApiQuery, ListResponse, pagination};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceResponse {
    #[schema(example = "bill_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    /// The workspace's own sequence, with a prefix.
    #[schema(example = "SB-S9T0-0007")]
    pub number: String,
    pub status: Status,
    pub kind: Kind,
    /// ISO 4217, lower case.
    #[schema(example = "usd")]
    pub currency: String,
    /// In minor units (US cents).
    #[schema(example = 4900)]
    pub total_cents: i64,
    /// The billing period it covers (subscription charges).
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    /// Why the last charge failed, as the processor said it.
    #[schema(example = "Your card was declined.")]
    pub failure_message: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<&Invoice> for InvoiceResponse {
    fn from(i: &Invoice) -> Self {
        InvoiceResponse {
            id: i.id.to_string(),
            number: i.number.clone(),
            status: i.status,
            kind: i.kind,
            currency: i.currency.clone(),
            total_cents: i.total_cents.minor(),
            period_start: i.period_start,
            period_end: i.period_end,
            failure_message: i.failure_message.clone(),
            issued_at: i.issued_at,
            paid_at: i.paid_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineResponse {
    #[schema(example = "5,000 top-up credits")]
    pub description: String,
    #[schema(example = 1)]
    pub quantity: i64,
    /// US cents.
    #[schema(example = 4900)]
    pub unit_cents: i64,
    /// `quantity × unit_cents`.
    #[schema(example = 4900)]
    pub amount_cents: i64,
}

impl From<Line> for InvoiceLineResponse {
    fn from(l: Line) -> Self {
        InvoiceLineResponse {
            description: l.description,
            quantity: l.quantity,
            unit_cents: l.unit_cents.minor(),
            amount_cents: l.amount_cents.minor(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetailResponse {
    #[serde(flatten)]
    pub invoice: InvoiceResponse,
    pub lines: Vec<InvoiceLineResponse>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct InvoicesQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 25.
    #[param(example = 25)]
    pub limit: Option<i64>,
}

/// The invoice ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvoicePath {
    /// Invoice ID
    #[param(example = "bill_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
}

/// The workspace's invoice `id` with its lines; 404 for an ID that is not
/// one (of this workspace's).
pub async fn find_with_lines(state: &AppState, ws: &WorkspaceId, id: &str) -> AppResult<(Invoice, Vec<Line>)> {
    let missing = || AppError::not_found("The invoice");
    let id: InvoiceId = id.parse().map_err(|_| missing())?;
    let invoice = store::find(&state.db, ws, &id).await?.ok_or_else(missing)?;
    let lines = store::lines(&state.db, ws, &id).await?;
    Ok((invoice, lines))
}

/// The workspace's invoices, newest first (keyset paged).
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(InvoicesQuery),
    responses((status = 200, body = ListResponse<InvoiceResponse>)))]
pub async fn list_invoices(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<InvoicesQuery>,
) -> AppResult<Json<ListResponse<InvoiceResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(q.cursor.as_deref())?;
    let after = match after {
        Some((at, id)) => {
            let id: InvoiceId =
                id.parse().map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?;
            Some((at, id))
        }
        None => None,
    };
    let rows = store::list(&state.db, &ctx.workspace.id, after.as_ref().map(|(at, id)| (*at, id)), limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |i| (i.issued_at, i.id.to_string()));
    Ok(Json(ListResponse { data: rows.iter().map(InvoiceResponse::from).collect(), next_cursor }))
}

/// One invoice with its lines.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices", params(InvoicePath),
    responses((status = 200, body = InvoiceDetailResponse)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<InvoicePath>,
) -> AppResult<Json<InvoiceDetailResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let (invoice, lines) = find_with_lines(&state, &ctx.workspace.id, &path.id).await?;
    Ok(Json(InvoiceDetailResponse {
        invoice: InvoiceResponse::from(&invoice),
        lines: lines.into_iter().map(InvoiceLineResponse::from).collect(),
    }))
}
