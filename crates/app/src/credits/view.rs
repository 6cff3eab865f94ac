//! What Settings → Subscription shows of the credits: the balance, the
//! cycle's included, used and remaining credits, and top-ups apart.
use serde::Serialize;
use switchboard_core::{Credits, WorkspaceId};

use super::ledger;
use crate::error::AppResult;
use crate::state::AppState;
use crate::subscription::store::SubscriptionRow;
use crate::web::format::credits;

#[derive(Debug, Serialize)]
pub struct CreditsView {
    pub balance: String,
    pub negative: bool,
    pub included: String,
    pub used: String,
    pub remaining: String,
    /// 0–100: how much of the cycle's credits is used, for the progress bar.
    pub used_percent: i64,
    pub top_up: String,
}

pub async fn summary(state: &AppState, ws: &WorkspaceId, sub: &SubscriptionRow) -> AppResult<CreditsView> {
    let balance = ledger::read_balance(&state.db, ws).await?.map(|row| row.balance()).unwrap_or_default();
    let catalogue = &state.config.billing.catalogue;
    let plan = catalogue.resolve(&sub.plan_key);
    let included = if sub.status == crate::subscription::store::Status::Trialing {
        catalogue.trial_credits
    } else {
        plan.credits(sub.cycle)
    };
    let remaining = if balance.cycle.is_negative() { Credits::ZERO } else { balance.cycle };
    let used = included.checked_sub(remaining).filter(|u| !u.is_negative()).unwrap_or(Credits::ZERO);
    let used_percent = match included.millis() {
        0 => 0,
        total => (i128::from(used.millis()) * 100 / i128::from(total)).clamp(0, 100) as i64,
    };
    Ok(CreditsView {
        balance: credits(balance.total()),
        negative: balance.total().is_negative(),
        included: credits(included),
        used: credits(used),
        remaining: credits(remaining),
        used_percent,
        top_up: credits(balance.top_up),
    })
}
