//! The printable invoice (Settings → Subscription → an invoice number): the
//! workspace, number, dates, status, lines and total, with a Print button.
//! The app's print stylesheet hides everything but the invoice.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::api::find_with_lines;
use super::view::{InvoiceRowView, row};
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::view::date;
use crate::web::Page;
use crate::web::format::money;

pub const INVOICE: &str = "/settings/subscription/invoices/{id}";

#[derive(Debug, Serialize)]
struct LineView {
    description: String,
    quantity: i64,
    unit: String,
    amount: String,
}

pub async fn invoice_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let tz = ctx.workspace.tz();
    let (invoice, lines) = find_with_lines(&state, &ctx.workspace.id, &id).await?;
    let summary: InvoiceRowView = row(&invoice, tz);
    let lines: Vec<LineView> = lines
        .into_iter()
        .map(|l| LineView {
            description: l.description,
            quantity: l.quantity,
            unit: money(l.unit_cents),
            amount: money(l.amount_cents),
        })
        .collect();
    let period = match (invoice.period_start, invoice.period_end) {
        (Some(start), Some(end)) => Some(format!("{} – {}", date(start, tz), date(end, tz))),
        _ => None,
    };
    crate::settings::render(
        &state,
        &page,
        StatusCode::OK,
        "subscription",
        "subscription/invoice.html",
        context! {
            title => format!("Invoice {}", invoice.number),
            ws_id => ctx.workspace.id.to_string(),
            workspace_name => ctx.workspace.name.clone(),
            invoice => summary,
            paid_on => invoice.paid_at.map(|at| date(at, tz)),
            period => period,
            currency => invoice.currency.to_uppercase(),
            lines => lines,
        },
    )
    .await
}
