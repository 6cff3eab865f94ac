//! JSON handlers under `/api/v1/credits` (Admins): the balance and its
//! parts, the ledger (keyset paged by sequence), top-ups, auto-recharge
//! and the recomputation of the balance from the ledger.
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use switchboard_providers::payments::CardInput;
use utoipa::{IntoParams, ToSchema};

use super::auto_recharge::{self, AutoRecharge, Settings};
use super::ledger::{self, Entry, Verification};
use super::top_up::{self, TopUpCredits};
use super::view;
use crate::api::idempotency::IDEMPOTENCY_KEY;
use crate::api::{ApiJson, ApiQuery, ListResponse, pagination};
use crate::error::AppResult;
use crate::invoices::store::Invoice;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::format;

/// Amounts are milli-credits (1 credit = 1000); `display` has them as the page shows them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "balance": 9_400_000, "cycle": 7_400_000, "top_up": 2_000_000, "included": 8_000_000, "used": 600_000,
    "remaining": 7_400_000, "low_balance_threshold": 800_000,
    "display": {"balance": "9,400", "cycle": "7,400", "top_up": "2,000", "included": "8,000", "used": "600", "remaining": "7,400"}
}))]
pub struct CreditsResponse {
    /// The whole balance (cycle + top-up); negative when overdrawn.
    pub balance: i64,
    /// Cycle credits left: spent first, expire at the cycle's end.
    pub cycle: i64,
    /// Top-up credits: never expire; carry any overdraft.
    pub top_up: i64,
    /// Credits the current cycle (or trial) included.
    pub included: i64,
    /// Of the included credits, spent or expired.
    pub used: i64,
    /// Of the included credits, left.
    pub remaining: i64,
    /// `credits.low` fires when a debit crosses this (without auto-recharge).
    pub low_balance_threshold: i64,
    pub display: CreditsDisplay,
}

/// The same amounts in whole credits, formatted (`12,400`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsDisplay {
    pub balance: String,
    pub cycle: String,
    pub top_up: String,
    pub included: String,
    pub used: String,
    pub remaining: String,
}

async fn credits_response(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<CreditsResponse> {
    let sub = crate::subscription::trial::load_or_start(state, &ctx.workspace.id).await?;
    let p = view::parts(state, &ctx.workspace.id, &sub).await?;
    Ok(CreditsResponse {
        balance: p.balance.total().millis(),
        cycle: p.balance.cycle.millis(),
        top_up: p.balance.top_up.millis(),
        included: p.included.millis(),
        used: p.used.millis(),
        remaining: p.remaining.millis(),
        low_balance_threshold: p.low_balance_threshold.millis(),
        display: CreditsDisplay {
            balance: format::credits(p.balance.total()),
            cycle: format::credits(p.balance.cycle),
            top_up: format::credits(p.balance.top_up),
            included: format::credits(p.included),
            used: format::credits(p.used),
            remaining: format::credits(p.remaining),
        },
    })
}

/// The balance and its parts.
#[utoipa::path(get, path = "/api/v1/credits", tag = "credits", responses((status = 200, body = CreditsResponse)))]
pub async fn get_credits(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<CreditsResponse>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(credits_response(&state, &ctx).await?))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(example = 50)]
    pub limit: Option<i64>,
}

/// The ledger, newest entry first. Amounts are signed milli-credits.
#[utoipa::path(get, path = "/api/v1/credits/ledger", tag = "credits", params(LedgerQuery),
    responses((status = 200, body = ListResponse<Entry>)))]
pub async fn list_ledger(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> AppResult<Json<ListResponse<Entry>>> {
    ctx.require(Permission::ManageSettings)?;
    let limit = pagination::limit(q.limit, 50, 200)?;
    let before: Option<i64> = pagination::decode(q.cursor.as_deref())?;
    let rows = ledger::page(&state.db, &ctx.workspace.id, before, limit + 1).await?;
    let (data, next_cursor) = pagination::page(rows, limit, |e| e.seq);
    Ok(Json(ListResponse { data, next_cursor }))
}

/// A card to attach before paying (the sandbox processor; Stripe adds cards
/// through its own page).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardRequest {
    #[schema(example = "4242 4242 4242 4242")]
    pub number: String,
    #[schema(example = 12)]
    pub exp_month: u32,
    #[schema(example = 2030)]
    pub exp_year: u32,
    #[schema(example = "123")]
    pub cvc: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credits": 1000}))]
pub struct TopUpRequest {
    /// Whole credits to buy, 100 – 1,000,000.
    #[schema(minimum = 100, maximum = 1_000_000)]
    pub credits: i64,
    /// Pay with this card (saved as the payment method first); without it,
    /// the saved payment method pays.
    pub card: Option<CardRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopUpResponse {
    /// The invoice (paid).
    pub invoice: Invoice,
    /// Milli-credits added.
    pub credits: i64,
    pub balance: CreditsResponse,
}

/// Buys credits at the plan's top-up price. Credits are added only once the
/// payment succeeded; a declined payment is `402 payment_declined` (no
/// credits, the invoice void). With an `Idempotency-Key`, a retry is
/// charged once.
#[utoipa::path(post, path = "/api/v1/credits/top-ups", tag = "credits", request_body = TopUpRequest,
    responses(
        (status = 201, body = TopUpResponse),
        (status = 402, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "The payment was declined (`payment_declined`); nothing was added."),
        (status = 503, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "The payment processor could not be reached; nothing was charged."),
    ))]
pub async fn create_top_up(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TopUpRequest>,
) -> AppResult<(StatusCode, Json<TopUpResponse>)> {
    ctx.require(Permission::ManageSettings)?;
    let credits = TopUpCredits::new("credits", body.credits)?;
    let card =
        body.card.map(|c| CardInput { number: c.number, exp_month: c.exp_month, exp_year: c.exp_year, cvc: c.cvc });
    // The idempotency middleware has checked the key's length and characters.
    let key = match headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()) {
        Some(key) => format!("api:{key}"),
        None => format!("once:{}", ulid::Ulid::new()),
    };
    let done = top_up::top_up(&state, &ctx, credits, card.as_ref(), &key).await?;
    let balance = credits_response(&state, &ctx).await?;
    Ok((StatusCode::CREATED, Json(TopUpResponse { invoice: done.invoice, credits: done.credits.millis(), balance })))
}

/// Auto-recharge's settings, in whole credits, and why it turned itself
/// off (a declined payment), if it did.
#[utoipa::path(get, path = "/api/v1/credits/auto-recharge", tag = "credits",
    responses((status = 200, body = AutoRecharge)))]
pub async fn get_auto_recharge(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<AutoRecharge>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(auto_recharge::read(&state, &ctx.workspace.id).await?))
}

/// Replaces the auto-recharge settings: `amount` 100 – 1,000,000 credits,
/// `monthly_cap` at least `amount`, `threshold` 0 or more.
#[utoipa::path(put, path = "/api/v1/credits/auto-recharge", tag = "credits", request_body = Settings,
    responses((status = 200, body = AutoRecharge)))]
pub async fn put_auto_recharge(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<Settings>,
) -> AppResult<Json<AutoRecharge>> {
    Ok(Json(auto_recharge::update(&state, &ctx, body).await?))
}

/// Recomputes the balance from the ledger and names every difference from
/// the stored balance (`differences` is empty when they agree).
#[utoipa::path(get, path = "/api/v1/credits/verify", tag = "credits", responses((status = 200, body = Verification)))]
pub async fn verify_credits(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<Verification>> {
    ctx.require(Permission::ManageSettings)?;
    let mut tx = state.db.begin().await?;
    let report = ledger::verify(&mut tx, &ctx.workspace.id).await?;
    tx.rollback().await?;
    Ok(Json(report))
}
