//! Settings → Subscription: one page, in parts each owned by its feature
//! (the plan card and comparison here, the credits and top-ups in
//! `credits`, the payment method in `payments`, invoices in `invoices`).
//! Forms post to their feature's handler, which redirects back with a
//! toast, or renders this page again through [`render`] with the form's
//! values and errors by its fields.
use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

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

pub async fn subscription_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, Forms::new(), StatusCode::OK).await
}

pub async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    forms: Forms,
    status: StatusCode,
) -> AppResult<Response> {
    let now = state.clock.now();
    let tz = ctx.workspace.tz();
    let ws = &ctx.workspace.id;
    let sub = super::trial::load_or_start(state, ws).await?;
    let plan = super::view::plan(&state.config.billing.catalogue, &sub, tz, now);
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
            credits => credits,
            payment => payment,
            invoices => invoices,
            forms => forms,
        },
    )
    .await
}
