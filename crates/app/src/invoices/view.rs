//! Invoices as the Subscription page's table lists them.
use chrono_tz::Tz;
use serde::Serialize;
use switchboard_core::WorkspaceId;

use super::store;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::format::money;

#[derive(Debug, Serialize)]
pub struct InvoiceRowView {
    pub id: String,
    pub number: String,
    pub date: String,
    pub total: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub failure_message: Option<String>,
}

pub fn row(invoice: &store::Invoice, tz: Tz) -> InvoiceRowView {
    InvoiceRowView {
        id: invoice.id.to_string(),
        number: invoice.number.clone(),
        date: crate::subscription::view::date(invoice.issued_at, tz),
        total: money(invoice.total_cents),
        status: invoice.status.as_str(),
        status_label: invoice.status.label(),
        failure_message: invoice.failure_message.clone(),
    }
}

/// The newest invoices (the page shows a screenful; the API pages through all).
pub async fn recent(state: &AppState, ws: &WorkspaceId, tz: Tz) -> AppResult<Vec<InvoiceRowView>> {
    let invoices = store::list(&state.db, ws, None, 24).await?;
    Ok(invoices.iter().map(|i| row(i, tz)).collect())
}
