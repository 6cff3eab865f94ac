//! JSON handlers: the subscription, its changes and the plan table (Admins).
//! Money is in US cents, credits in milli-credits.
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::change::{Decision, Effect};
use super::plans::{Catalogue, Cycle, Limits, Plan};
use super::service::{self, Preview};
use super::store::{Status, SubscriptionRow};
use crate::api::{ApiJson, ApiQuery, ListResponse};
use crate::error::{AppError, AppResult};
use crate::invoices::store::Invoice;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledChange {
    #[schema(example = "basic")]
    pub plan: String,
    pub cycle: Cycle,
    /// When it applies: the end of the current period (or trial).
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionResponse {
    #[schema(example = "pro")]
    pub plan: String,
    #[schema(example = "Pro")]
    pub plan_name: String,
    pub cycle: Cycle,
    pub status: Status,
    /// The current cycle's price, in cents.
    #[schema(example = 9900)]
    pub price_cents: i64,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    /// At the period's end the workspace falls to the fallback plan.
    pub cancel_at_period_end: bool,
    pub scheduled_change: Option<ScheduledChange>,
    pub has_payment_method: bool,
}

impl SubscriptionResponse {
    pub fn new(catalogue: &Catalogue, sub: &SubscriptionRow) -> Self {
        let plan = catalogue.resolve(&sub.plan_key);
        let scheduled = sub.scheduled_plan_key.as_ref().map(|key| ScheduledChange {
            plan: key.clone(),
            cycle: sub.scheduled_cycle().unwrap_or(sub.cycle),
            at: sub.period_end,
        });
        SubscriptionResponse {
            plan: plan.key.clone(),
            plan_name: plan.name.clone(),
            cycle: sub.cycle,
            status: sub.status,
            price_cents: plan.price(sub.cycle).minor(),
            trial_ends_at: sub.trial_ends_at.filter(|_| sub.status == Status::Trialing),
            current_period_start: sub.period_start,
            current_period_end: sub.period_end,
            cancel_at_period_end: sub.cancel_at_period_end,
            scheduled_change: scheduled,
            has_payment_method: sub.has_payment_method(),
        }
    }
}

/// The workspace's plan, cycle, status and period.
#[utoipa::path(get, path = "/api/v1/subscription", tag = "subscription",
    responses((status = 200, body = SubscriptionResponse)))]
pub async fn get_subscription(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<SubscriptionResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = super::trial::load_or_start(&state, &ctx.workspace.id).await?;
    Ok(Json(SubscriptionResponse::new(&state.config.billing.catalogue, &sub)))
}

#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plan": "business", "cycle": "annual"}))]
pub struct ChangeRequest {
    /// A plan key from `GET /api/v1/plans`.
    pub plan: String,
    /// `monthly` or `annual`; the current cycle when left out.
    pub cycle: Option<Cycle>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePreview {
    /// `now` (charged and applied at once), `period_end` (scheduled, nothing
    /// charged now) or `unchanged`.
    pub effect: Effect,
    /// Charged now, in cents (prorated).
    #[schema(example = 4742)]
    pub charge_cents: i64,
    /// Cycle credits granted now, in milli-credits (prorated).
    #[schema(example = 4064516)]
    pub credits: i64,
    /// The plan and cycle in force right after the change.
    pub plan: String,
    pub cycle: Cycle,
    pub current_period_end: DateTime<Utc>,
    /// What applies at the period's end, if anything.
    pub scheduled_change: Option<ScheduledChange>,
    /// The change needs a payment method the workspace has not saved.
    pub payment_method_required: bool,
}

impl ChangePreview {
    fn new(decision: &Decision, needs_payment_method: bool) -> Self {
        ChangePreview {
            effect: decision.effect,
            charge_cents: decision.charge.minor(),
            credits: decision.credits.millis(),
            plan: decision.plan_now.clone(),
            cycle: decision.cycle_now,
            current_period_end: decision.period.1,
            scheduled_change: decision.scheduled.as_ref().map(|(plan, cycle)| ScheduledChange {
                plan: plan.clone(),
                cycle: *cycle,
                at: decision.period.1,
            }),
            payment_method_required: needs_payment_method,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    pub subscription: SubscriptionResponse,
    pub change: ChangePreview,
    /// The paid proration invoice of an upgrade that cost something.
    pub invoice: Option<Invoice>,
}

fn cycle_or_current(preview_cycle: Option<Cycle>, sub: &SubscriptionRow) -> Cycle {
    preview_cycle.unwrap_or(sub.cycle)
}

/// What changing to `plan` and `cycle` would charge and grant, and whether
/// it applies now or at the period's end. Changes nothing.
#[utoipa::path(get, path = "/api/v1/subscription/preview", tag = "subscription",
    params(ChangeRequest),
    responses((status = 200, body = ChangePreview)))]
pub async fn preview_subscription(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(query): ApiQuery<ChangeRequest>,
) -> AppResult<Json<ChangePreview>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = super::trial::load_or_start(&state, &ctx.workspace.id).await?;
    let Preview { decision, needs_payment_method, .. } =
        service::preview(&state, &ctx, &query.plan, cycle_or_current(query.cycle, &sub)).await?;
    Ok(Json(ChangePreview::new(&decision, needs_payment_method)))
}

/// Changes the plan and/or cycle. An upgrade (a higher plan, or monthly to
/// annual) is charged the prorated difference and applies at once; a
/// downgrade or a cheaper cycle is scheduled for the period's end; during
/// the trial the choice applies when the trial ends. A declined charge
/// changes nothing (402 `payment_declined`).
#[utoipa::path(patch, path = "/api/v1/subscription", tag = "subscription",
    request_body = ChangeRequest,
    responses((status = 200, body = ChangeResponse)))]
pub async fn update_subscription(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<ChangeRequest>,
) -> AppResult<Json<ChangeResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = super::trial::load_or_start(&state, &ctx.workspace.id).await?;
    let changed = service::change(&state, &ctx, &body.plan, cycle_or_current(body.cycle, &sub)).await?;
    let catalogue = &state.config.billing.catalogue;
    Ok(Json(ChangeResponse {
        subscription: SubscriptionResponse::new(catalogue, &changed.sub),
        change: ChangePreview::new(&changed.decision, false),
        invoice: changed.invoice,
    }))
}

/// Cancels at the period's end: the workspace then falls to the free plan.
/// Undo with `POST /api/v1/subscription/resume` before then.
#[utoipa::path(post, path = "/api/v1/subscription/cancel", tag = "subscription",
    responses((status = 200, body = SubscriptionResponse)))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<SubscriptionResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = service::cancel(&state, &ctx).await?;
    Ok(Json(SubscriptionResponse::new(&state.config.billing.catalogue, &sub)))
}

/// Undoes a scheduled change or cancellation.
#[utoipa::path(post, path = "/api/v1/subscription/resume", tag = "subscription",
    responses((status = 200, body = SubscriptionResponse)))]
pub async fn resume_subscription(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<SubscriptionResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = service::resume(&state, &ctx).await?;
    Ok(Json(SubscriptionResponse::new(&state.config.billing.catalogue, &sub)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    #[schema(example = "pro")]
    pub key: String,
    #[schema(example = "Pro")]
    pub name: String,
    /// Cents.
    #[schema(example = 9900)]
    pub monthly_price_cents: i64,
    #[schema(example = 99000)]
    pub annual_price_cents: i64,
    /// Twelve monthly payments less the annual price, in cents.
    #[schema(example = 19800)]
    pub annual_saving_cents: i64,
    /// Credits included per cycle, in milli-credits.
    #[schema(example = 8000000)]
    pub monthly_credits: i64,
    #[schema(example = 96000000)]
    pub annual_credits: i64,
    /// Cents per 1,000 top-up credits.
    #[schema(example = 1000)]
    pub top_up_price_per_1000_cents: i64,
    /// `null` is "no limit".
    pub limits: Limits,
    /// Whether the workspace is on it.
    pub current: bool,
}

impl PlanResponse {
    fn new(plan: &Plan, current: bool) -> Self {
        PlanResponse {
            key: plan.key.clone(),
            name: plan.name.clone(),
            monthly_price_cents: plan.monthly_price.minor(),
            annual_price_cents: plan.annual_price.minor(),
            annual_saving_cents: plan.annual_saving().minor(),
            monthly_credits: plan.monthly_credits.millis(),
            annual_credits: plan.annual_credits.millis(),
            top_up_price_per_1000_cents: plan.top_up_price_per_1000.minor(),
            limits: plan.limits.clone(),
            current,
        }
    }
}

/// The plan table, cheapest first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "subscription",
    responses((status = 200, body = ListResponse<PlanResponse>)))]
pub async fn list_plans(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<ListResponse<PlanResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let sub = super::trial::load_or_start(&state, &ctx.workspace.id).await?;
    let data =
        state.config.billing.catalogue.all().iter().map(|p| PlanResponse::new(p, p.key == sub.plan_key)).collect();
    Ok(Json(ListResponse { data, next_cursor: None }))
}

/// An unknown cycle in a form or query.
pub fn bad_cycle() -> AppError {
    AppError::field("cycle", "Choose monthly or annual.")
}
