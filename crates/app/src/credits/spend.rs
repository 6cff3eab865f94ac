//! Whether a new billable action may start. Usage that already happened is
//! recorded even when it overdraws (`Overdraft::Allow`); while the balance
//! is negative after that, new billable actions (a call, a number, a clone)
//! are refused until it is positive again, unless the plan allows overage.
//! Later features call [`check_can_spend`] before they start one.
use switchboard_core::WorkspaceId;
use switchboard_db::IntoExec;

use super::ledger;
use crate::error::{AppError, AppResult};
use crate::subscription::plans::Plan;
use crate::web::format;

/// `Ok` when the workspace may start a billable action on `plan`; else 402
/// `credits_negative` naming the balance and the way out.
pub async fn check_can_spend<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, plan: &Plan) -> AppResult<()> {
    let balance = ledger::read_balance(ex, ws).await?.map(|row| row.balance()).unwrap_or_default().total();
    if !balance.is_negative() || plan.limits.overage {
        return Ok(());
    }
    Err(AppError::payment_required(
        "credits_negative",
        format!(
            "The credit balance is {} credits: top up to bring it above zero before starting anything that costs \
             credits (the {} plan does not allow overage).",
            format::credits(balance),
            plan.name
        ),
    ))
}
