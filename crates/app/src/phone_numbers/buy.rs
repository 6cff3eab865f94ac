//! Searching the platform carrier's numbers and buying one (lifecycle
//! scope: replace these stubs; keep the signatures or tell the pages scope).
use switchboard_core::Credits;
use switchboard_providers::carriers::{AvailableNumber, SearchQuery};

use super::model::PhoneNumber;
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::state::AppState;

/// A number on offer with what it costs this workspace a month.
#[derive(Debug, Clone)]
pub struct Offer {
    pub number: AvailableNumber,
    pub monthly_price: Credits,
}

fn not_built() -> AppError {
    AppError::unprocessable("not_built", "Buying numbers is not built yet.")
}

/// The platform carrier's numbers matching `query`, priced for the workspace (Admins).
pub async fn search(_state: &AppState, _ctx: &WorkspaceCtx, _query: &SearchQuery) -> AppResult<Vec<Offer>> {
    Err(not_built())
}

/// What one number costs the workspace a month (its plan's rate card).
pub async fn monthly_price(_state: &AppState, _ctx: &WorkspaceCtx) -> AppResult<Credits> {
    Err(not_built())
}

/// Buys `e164` (Admins): checks the plan's limit and the balance, charges
/// the first month, orders at the carrier; a failed order refunds.
pub async fn buy(_state: &AppState, _ctx: &WorkspaceCtx, _e164: &str) -> AppResult<PhoneNumber> {
    Err(not_built())
}
