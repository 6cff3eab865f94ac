//! JSON handlers: the workspace's payment method (Admins). With the sandbox
//! processor a card can be set here; with Stripe a card number never
//! reaches this server, so `PUT` answers how to add one instead.
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use switchboard_providers::payments::CardInput;

use super::{card, methods};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::settings::ProcessorConfig;
use crate::subscription::store::SubscriptionRow;
use crate::subscription::trial;

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodResponse {
    /// The processor that charges this workspace: `sandbox` or `stripe`.
    #[schema(example = "sandbox")]
    pub processor: String,
    /// `visa`, `mastercard`, `amex`, …; `null` when no payment method is saved.
    #[schema(example = "visa")]
    pub brand: Option<String>,
    /// The card's last four digits; `null` when none is saved.
    #[schema(example = "4242")]
    pub last4: Option<String>,
}

impl PaymentMethodResponse {
    fn new(row: &SubscriptionRow, processor: &str) -> Self {
        PaymentMethodResponse {
            processor: processor.to_string(),
            brand: row.card_brand.clone(),
            last4: row.card_last4.clone(),
        }
    }
}

/// A card for the sandbox processor (Stripe's test card numbers).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}))]
pub struct SetPaymentMethodRequest {
    /// The card number; spaces and dashes are ignored. It is passed to the
    /// processor and never stored or logged.
    pub number: String,
    /// 1–12.
    pub exp_month: u32,
    /// Four digits (`2034`) or two (`34`).
    pub exp_year: u32,
    /// The 3 or 4 digit security code.
    pub cvc: String,
}

impl std::fmt::Debug for SetPaymentMethodRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetPaymentMethodRequest")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .finish_non_exhaustive()
    }
}

/// The request body, parsed like `ApiJson` but with an error that never
/// quotes the body: serde's messages repeat a mistyped value, which here
/// could be a card number sent as a JSON number.
pub struct CardJson(SetPaymentMethodRequest);

impl<S: Send + Sync> FromRequest<S> for CardJson {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<SetPaymentMethodRequest>::from_request(req, state).await {
            Ok(Json(body)) => Ok(CardJson(body)),
            Err(JsonRejection::MissingJsonContentType(rejection)) => {
                Err(AppError::bad_request("invalid_json", rejection.body_text()))
            }
            Err(_) => Err(AppError::bad_request(
                "invalid_json",
                "The body must be a JSON object with the card's number and cvc as strings and exp_month and \
                 exp_year as numbers (what was sent is not repeated here).",
            )),
        }
    }
}

/// The saved payment method: only its brand and last four digits.
#[utoipa::path(get, path = "/api/v1/payment-method", tag = "subscription",
    responses((status = 200, body = PaymentMethodResponse)))]
pub async fn get_payment_method(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<PaymentMethodResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = trial::load_or_start(&state, &ctx.workspace.id).await?;
    Ok(Json(PaymentMethodResponse::new(&sub, state.payments.name())))
}

/// Saves a card as the workspace's payment method (sandbox processor only).
/// A declined card answers 402 `payment_declined` and a card that cannot
/// work 422 by its field; either way the saved method is unchanged. With
/// Stripe this answers 409 `payment_method_setup_redirect`: add a card in
/// Settings → Subscription, which sends you to Stripe's own page.
#[utoipa::path(put, path = "/api/v1/payment-method", tag = "subscription",
    request_body = SetPaymentMethodRequest,
    responses(
        (status = 200, body = PaymentMethodResponse),
        (status = 402, description = "The card was declined (`payment_declined`)", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The processor takes cards on its own page (`payment_method_setup_redirect`)", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn set_payment_method(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    CardJson(body): CardJson,
) -> AppResult<Json<PaymentMethodResponse>> {
    ctx.require(Permission::ManageSettings)?;
    if !matches!(state.config.billing.processor, ProcessorConfig::Sandbox) {
        return Err(AppError::conflict(
            "payment_method_setup_redirect",
            "This server charges through Stripe, which takes card numbers only on its own page: add a payment \
             method in Settings → Subscription.",
        ));
    }
    let input = parse_card(&body, state.clock.now())?;
    let row = methods::add_card(&state, &ctx, &input).await.map_err(|err| match err.field_message("card_number") {
        Some(message) => AppError::field("number", message),
        None => err,
    })?;
    Ok(Json(PaymentMethodResponse::new(&row, state.payments.name())))
}

/// The request's card, or 422 naming each field that cannot work.
fn parse_card(body: &SetPaymentMethodRequest, now: chrono::DateTime<chrono::Utc>) -> AppResult<CardInput> {
    let mut fields = Vec::new();
    let number = card::number_digits(&body.number).map_err(|m| fields.push(FieldError::new("number", m))).ok();
    let expiry = if (1..=12).contains(&body.exp_month) {
        let year = if body.exp_year < 100 { body.exp_year + 2000 } else { body.exp_year };
        card::parse_expiry(&format!("{:02}/{year:04}", body.exp_month), now)
            .map_err(|m| fields.push(FieldError::new("exp_year", m)))
            .ok()
    } else {
        fields.push(FieldError::new("exp_month", "The month must be 1 to 12."));
        None
    };
    let cvc = card::parse_cvc(&body.cvc).map_err(|m| fields.push(FieldError::new("cvc", m))).ok();
    match (number, expiry, cvc) {
        (Some(number), Some((exp_month, exp_year)), Some(cvc)) if fields.is_empty() => {
            Ok(CardInput { number, exp_month, exp_year, cvc })
        }
        _ => Err(AppError::validation(fields)),
    }
}
