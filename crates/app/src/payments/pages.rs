//! Settings → Subscription's payment method form (sandbox): the card goes
//! to the processor and only brand and last four come back. A refused card
//! shows the page again with the message by its field (or, for a decline,
//! as an alert above the form) and the expiry as typed; the number and the
//! security code are never written back into the page.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{card, methods, view};
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::pages::{self as subscription_pages, FormState, Forms, SUBSCRIPTION};
use crate::web::{Flash, Page, redirect_with_flash};

pub const PAYMENT_METHOD: &str = "/settings/subscription/payment-method";

/// The form's name in [`Forms`]; its alert (a decline) is the error keyed
/// `form`.
const FORM: &str = "card";

#[derive(Deserialize)]
pub struct CardForm {
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    card_expiry: String,
    #[serde(default)]
    card_cvc: String,
}

impl std::fmt::Debug for CardForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardForm").field("card_expiry", &self.card_expiry).finish_non_exhaustive()
    }
}

pub async fn save_card(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<CardForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let refused = |errors: BTreeMap<String, String>| FormState {
        // Only the expiry is given back: the number and code are not echoed.
        values: BTreeMap::from([("card_expiry".to_string(), form.card_expiry.clone())]),
        errors,
    };
    let input = match card::parse(&form.card_number, &form.card_expiry, &form.card_cvc, now) {
        Ok(input) => input,
        Err(errors) => {
            let errors =
                errors.by_form_field().into_iter().map(|(field, message)| (field.to_string(), message)).collect();
            let forms = Forms::from([(FORM, refused(errors))]);
            return subscription_pages::render(&state, &ctx, &page, forms, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match methods::add_card(&state, &ctx, &input).await {
        Ok(row) => {
            let label = match (row.card_brand.as_deref(), row.card_last4.as_deref()) {
                (Some(brand), Some(last4)) => view::card_label(brand, last4),
                _ => "The card".to_string(),
            };
            Ok(redirect_with_flash(&format!("{SUBSCRIPTION}#payment-method"), Flash::success(format!("{label} saved"))))
        }
        Err(err) => {
            let (errors, status) = if let Some(fields) = err.field_messages() {
                (fields, StatusCode::UNPROCESSABLE_ENTITY)
            } else if let Some(problem) = err.problem().filter(|p| p.status == StatusCode::PAYMENT_REQUIRED) {
                let message =
                    format!("{} Nothing was saved; your current payment method is unchanged.", problem.detail);
                (BTreeMap::from([("form".to_string(), message)]), StatusCode::PAYMENT_REQUIRED)
            } else {
                return Err(err);
            };
            let forms = Forms::from([(FORM, refused(errors))]);
            subscription_pages::render(&state, &ctx, &page, forms, status).await
        }
    }
}
