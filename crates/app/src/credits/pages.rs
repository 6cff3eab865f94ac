//! The credits part of Settings → Subscription: the top-up form and the
//! auto-recharge form. Each posts here and comes back to the page with a
//! toast, or renders the page again with the form's values and errors by
//! field (`subscription::pages::render`).
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::auto_recharge::{self, Settings};
use super::top_up::{self, CardFields, TopUpCredits};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::pages::{FormState, Forms, SUBSCRIPTION, render};
use crate::web::format;
use crate::web::{Flash, Page, redirect_with_flash};

pub const TOP_UP: &str = "/settings/subscription/top-up";
pub const AUTO_RECHARGE: &str = "/settings/subscription/auto-recharge";

#[derive(Deserialize)]
pub struct TopUpForm {
    #[serde(default)]
    credits: String,
    /// The form's one-time key (see `view::TopUpFormView::nonce`).
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    card_expiry: String,
    #[serde(default)]
    card_cvc: String,
}

/// A nonce as the page writes it (a ULID); anything else gets a fresh key.
fn form_key(nonce: &str) -> String {
    match nonce.trim().parse::<ulid::Ulid>() {
        Ok(nonce) => format!("form:{nonce}"),
        Err(_) => format!("once:{}", ulid::Ulid::new()),
    }
}

/// Re-renders the page with `form` refused: field errors by their field; a
/// declined payment (or card) by the card number, where the person fixes it.
async fn refused(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    name: &'static str,
    values: Vec<(&str, String)>,
    err: AppError,
) -> AppResult<Response> {
    let (errors, status) = match (err.field_messages(), err.problem()) {
        (Some(errors), _) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        (None, Some(p)) if p.code == "payment_declined" => {
            ([("card_number".to_string(), p.detail.clone())].into(), StatusCode::PAYMENT_REQUIRED)
        }
        _ => return Err(err),
    };
    let values = values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut forms = Forms::new();
    forms.insert(name, FormState { values, errors });
    render(state, ctx, page, forms, status).await
}

pub async fn top_up(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<TopUpForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let card = CardFields { number: form.card_number, expiry: form.card_expiry, cvc: form.card_cvc };
    let result = async {
        let credits = TopUpCredits::parse("credits", &form.credits)?;
        let card = if card.is_blank() { None } else { Some(card.parse(state.clock.now())?) };
        top_up::top_up(&state, &ctx, credits, card.as_ref(), &form_key(&form.nonce)).await
    }
    .await;
    match result {
        Ok(done) => Ok(redirect_with_flash(
            &format!("{SUBSCRIPTION}#credits"),
            Flash::success(format!(
                "{} credits added for {}; the balance is now {}.",
                format::credits(done.credits),
                format::money(done.invoice.total_cents),
                format::credits(done.balance.total())
            )),
        )),
        // The card number and code are never sent back into the page.
        Err(err) => {
            let values = vec![("credits", form.credits), ("card_expiry", card.expiry)];
            refused(&state, &ctx, &page, "top_up", values, err).await
        }
    }
}

#[derive(Deserialize)]
pub struct AutoRechargeForm {
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    monthly_cap: String,
}

fn whole(field: &str, raw: &str) -> Result<i64, crate::error::FieldError> {
    let cleaned: String = raw.trim().chars().filter(|c| !matches!(c, ',' | ' ' | '_')).collect();
    cleaned
        .parse::<i64>()
        .map_err(|_| crate::error::FieldError::new(field, "Enter a whole number of credits, such as 1000."))
}

pub async fn auto_recharge(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<AutoRechargeForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let enabled = matches!(form.enabled.as_str(), "true" | "on" | "1");
    let parsed =
        (whole("threshold", &form.threshold), whole("amount", &form.amount), whole("monthly_cap", &form.monthly_cap));
    let result = match parsed {
        (Ok(threshold), Ok(amount), Ok(monthly_cap)) => {
            auto_recharge::update(&state, &ctx, Settings { enabled, threshold, amount, monthly_cap }).await
        }
        (a, b, c) => Err(AppError::validation([a.err(), b.err(), c.err()].into_iter().flatten().collect())),
    };
    match result {
        Ok(saved) => {
            let text = if saved.enabled {
                format!(
                    "Auto-recharge is on: {} credits whenever the balance drops below {}, at most {} a month.",
                    group(saved.amount),
                    group(saved.threshold),
                    group(saved.monthly_cap)
                )
            } else {
                "Auto-recharge is off.".to_string()
            };
            Ok(redirect_with_flash(&format!("{SUBSCRIPTION}#auto-recharge"), Flash::success(text)))
        }
        Err(err) => {
            let values = vec![
                ("enabled", if enabled { "on".to_string() } else { String::new() }),
                ("threshold", form.threshold),
                ("amount", form.amount),
                ("monthly_cap", form.monthly_cap),
            ];
            refused(&state, &ctx, &page, "auto_recharge", values, err).await
        }
    }
}

fn group(whole: i64) -> String {
    format::credits(switchboard_core::Credits::from_millis(whole.saturating_mul(1_000)))
}
