//! Releasing a number (lifecycle scope: replace this stub).
use switchboard_core::PhoneNumberId;

use super::model::PhoneNumber;
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::state::AppState;

/// Releases the number (Admins): renewal stops, the carrier gets it back
/// (platform numbers) or its callbacks are reset (imported ones).
pub async fn release(_state: &AppState, _ctx: &WorkspaceCtx, _id: &PhoneNumberId) -> AppResult<PhoneNumber> {
    Err(AppError::unprocessable("not_built", "Releasing numbers is not built yet."))
}
