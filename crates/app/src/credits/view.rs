//! What Settings → Subscription and the API show of the credits: the
//! balance, the cycle's included, used and remaining credits, top-ups
//! apart, and the top-up and auto-recharge forms.
use serde::Serialize;
use switchboard_core::{Cents, Credits, WorkspaceId};

use super::auto_recharge::AutoRecharge;
use super::ledger::{self, Balance, BalanceRow};
use super::top_up::{self, MAX_CREDITS, MIN_CREDITS, TopUpCredits};
use crate::error::AppResult;
use crate::state::AppState;
use crate::subscription::plans::Plan;
use crate::subscription::store::{Status, SubscriptionRow};
use crate::web::format::{credits, money};

/// The balance and its parts.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub balance: Balance,
    /// Credits the cycle (or the trial) granted.
    pub included: Credits,
    /// Of those, spent or expired.
    pub used: Credits,
    /// Of those, left.
    pub remaining: Credits,
    pub low_balance_threshold: Credits,
}

pub async fn parts(state: &AppState, ws: &WorkspaceId, sub: &SubscriptionRow) -> AppResult<Parts> {
    let row = ledger::read_balance(&state.db, ws).await?;
    Ok(parts_of(state, sub, row.as_ref()))
}

/// [`parts`] from a balance row already read (none: a workspace without one yet).
fn parts_of(state: &AppState, sub: &SubscriptionRow, row: Option<&BalanceRow>) -> Parts {
    let balance = row.map(|row| row.balance()).unwrap_or_default();
    let catalogue = &state.config.billing.catalogue;
    let plan = catalogue.resolve(&sub.plan_key);
    let included = if sub.status == Status::Trialing { catalogue.trial_credits } else { plan.credits(sub.cycle) };
    let remaining = if balance.cycle.is_negative() { Credits::ZERO } else { balance.cycle };
    let used = included.checked_sub(remaining).filter(|u| !u.is_negative()).unwrap_or(Credits::ZERO);
    let low_balance_threshold = Credits::from_millis(row.map(|r| r.low_balance_threshold).unwrap_or(0));
    Parts { balance, included, used, remaining, low_balance_threshold }
}

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
    pub top_up_form: TopUpFormView,
    pub auto_recharge: AutoRechargeView,
}

/// The top-up form: its bounds, the price per 1,000 for the live price, and
/// the confirm button's words for the default amount.
#[derive(Debug, Serialize)]
pub struct TopUpFormView {
    pub min: i64,
    pub max: i64,
    pub step: i64,
    pub default: i64,
    /// Cents per 1,000 credits (the script's price: ceil(credits × this / 1000)).
    pub cents_per_1000: i64,
    pub price_per_1000: String,
    /// The default amount's price (`$10.00`).
    pub price: String,
    pub confirm: String,
    /// One-time key: a double-submitted form is charged once.
    pub nonce: String,
    /// Whether card fields are offered (the sandbox takes a card typed here).
    pub card_fields: bool,
    pub saved_card: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AutoRechargeView {
    pub enabled: bool,
    pub threshold: i64,
    pub amount: i64,
    pub monthly_cap: i64,
    pub disabled_reason: Option<String>,
}

pub const DEFAULT_TOP_UP: i64 = 1_000;

fn top_up_form(plan: &Plan, card_fields: bool, card: Option<String>) -> TopUpFormView {
    let default = TopUpCredits::new("credits", DEFAULT_TOP_UP).ok();
    let price = default.and_then(|c| top_up::price(plan, c).ok()).unwrap_or(Cents::ZERO);
    TopUpFormView {
        min: MIN_CREDITS,
        max: MAX_CREDITS,
        step: MIN_CREDITS,
        default: DEFAULT_TOP_UP,
        cents_per_1000: plan.top_up_price_per_1000.minor(),
        price_per_1000: money(plan.top_up_price_per_1000),
        price: money(price),
        confirm: top_up::confirm_label(default.map(|c| c.credits()).unwrap_or(Credits::ZERO), price),
        nonce: ulid::Ulid::new().to_string(),
        card_fields,
        saved_card: card,
    }
}

/// `part` as a whole percentage of `whole`, 0–100 (0 of nothing), for progress bars.
pub fn percent(part: Credits, whole: Credits) -> i64 {
    match whole.millis() {
        0 => 0,
        total => (i128::from(part.millis()) * 100 / i128::from(total)).clamp(0, 100) as i64,
    }
}

pub async fn summary(state: &AppState, ws: &WorkspaceId, sub: &SubscriptionRow) -> AppResult<CreditsView> {
    // One read of the balance row serves the balance and the auto-recharge settings.
    let row = ledger::read_balance(&state.db, ws).await?;
    let p = parts_of(state, sub, row.as_ref());
    let used_percent = percent(p.used, p.included);
    let plan = state.config.billing.catalogue.resolve(&sub.plan_key);
    let card = crate::payments::view::method(sub, state.payments.name()).card;
    let auto = match row {
        Some(row) => AutoRecharge::from_row(row),
        None => super::auto_recharge::read(state, ws).await?,
    };
    let (settings, disabled_reason) = (auto.settings(), auto.disabled_reason);
    Ok(CreditsView {
        balance: credits(p.balance.total()),
        negative: p.balance.total().is_negative(),
        included: credits(p.included),
        used: credits(p.used),
        remaining: credits(p.remaining),
        used_percent,
        top_up: credits(p.balance.top_up),
        top_up_form: top_up_form(plan, state.payments.name() == "sandbox", card),
        auto_recharge: AutoRechargeView {
            enabled: settings.enabled,
            threshold: settings.threshold,
            amount: if settings.amount == 0 { DEFAULT_TOP_UP } else { settings.amount },
            monthly_cap: if settings.monthly_cap == 0 { DEFAULT_TOP_UP * 5 } else { settings.monthly_cap },
            disabled_reason,
        },
    })
}
