//! Settings → Subscription: one page, in parts each owned by its feature
//! (the plan card and comparison here, the credits and top-ups in
//! `credits`, the payment method in `payments`, invoices in `invoices`).
//! Forms post to their feature's handler, which redirects back with a
//! toast, or renders this page again through [`render`] with the form's
//! values and errors by its fields.
use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::Page;

pub const SUBSCRIPTION: &str = "/settings/subscription";

/// A refused form's values and messages by field.
#[derive(Debug, Default, Serialize)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

/// Forms by name (`top_up`, `auto_recharge`, `card`, `change_plan`).
pub type Forms = BTreeMap<&'static str, FormState>;

/// What the page shows beyond the defaults: the plan table's cycle, and a
/// dialog rendered open (the path without JavaScript).
#[derive(Debug, Default, Deserialize)]
pub struct View {
    /// `monthly` or `annual`: the cycle the plan table prices.
    pub cycle: Option<String>,
    /// A plan key: its Change plan dialog is open.
    pub change: Option<String>,
    /// `cancel` or `resume`: that confirmation is open.
    pub confirm: Option<String>,
}

pub async fn subscription_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Query(view): Query<View>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render_view(&state, &ctx, &page, Forms::new(), StatusCode::OK, &view).await
}

pub async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    forms: Forms,
    status: StatusCode,
) -> AppResult<Response> {
    render_view(state, ctx, page, forms, status, &View::default()).await
}

pub async fn render_view(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    forms: Forms,
    status: StatusCode,
    view: &View,
) -> AppResult<Response> {
    let now = state.clock.now();
    let tz = ctx.workspace.tz();
    let ws = &ctx.workspace.id;
    let sub = super::trial::load_or_start(state, ws).await?;
    let catalogue = &state.config.billing.catalogue;
    let plan = super::view::plan(catalogue, &sub, tz, now);
    let cycle = view.cycle.as_deref().and_then(|c| c.parse().ok()).unwrap_or(sub.cycle);
    let choices = super::view::choices(catalogue, &sub, cycle, view.change.as_deref(), tz, now);
    let confirm = view.confirm.as_deref().filter(|c| matches!(*c, "cancel" | "resume"));
    let credits = crate::credits::view::summary(state, ws, &sub).await?;
    let payment = crate::payments::view::method(&sub, state.payments.name());
    let invoices = crate::invoices::view::recent(state, ws, tz).await?;
    crate::settings::render(
        state,
        page,
        status,
        "subscription",
        "subscription/page.html",
        context! {
            title => "Subscription",
            ws_id => ws.to_string(),
            plan => plan,
            table_cycle => cycle.as_str(),
            choices => choices,
            confirm => confirm,
            credits => credits,
            payment => payment,
            invoices => invoices,
            forms => forms,
        },
    )
    .await
}
