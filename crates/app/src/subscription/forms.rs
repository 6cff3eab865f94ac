//! The plan card's and plan table's forms: change the plan, cancel, resume.
//! Each redirects back with a toast, or renders the page again with the
//! refusal by the form (the dialog stays open).
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::change::Effect;
use super::pages::{FormState, Forms, SUBSCRIPTION, View, render_view};
use super::plans::Cycle;
use super::service;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::format::money;
use crate::web::{Flash, Page, redirect_with_flash};

#[derive(Debug, Deserialize)]
pub struct ChangePlanForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    cycle: String,
}

/// Shows `err` by the form `name` (its field messages, or its detail as the
/// form's message), or passes on an error that is not the client's.
async fn refused(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    name: &'static str,
    values: &[(&str, &str)],
    view: View,
    err: AppError,
) -> AppResult<Response> {
    let Some(problem) = err.problem() else { return Err(err) };
    let status = problem.status;
    let mut form = FormState {
        values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..FormState::default()
    };
    match err.field_messages() {
        Some(fields) if !fields.is_empty() => form.errors = fields,
        _ => {
            form.errors.insert("form".into(), problem.detail.clone());
        }
    }
    let mut forms = Forms::new();
    forms.insert(name, form);
    render_view(state, ctx, page, forms, status, &view).await
}

pub async fn change_plan(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<ChangePlanForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let values = [("plan", form.plan.as_str()), ("cycle", form.cycle.as_str())];
    let view = View { cycle: Some(form.cycle.clone()), change: Some(form.plan.clone()), confirm: None };
    let cycle = match form.cycle.parse::<Cycle>() {
        Ok(cycle) => cycle,
        Err(()) => return refused(&state, &ctx, &page, "change_plan", &values, view, super::api::bad_cycle()).await,
    };
    match service::change(&state, &ctx, &form.plan, cycle).await {
        Ok(changed) => {
            let catalogue = &state.config.billing.catalogue;
            let name = &catalogue.resolve(&form.plan).name;
            let text = match changed.decision.effect {
                Effect::Now => match &changed.invoice {
                    Some(invoice) => format!(
                        "You are on {name} ({}) now; {} was charged (invoice {}).",
                        cycle.label(),
                        money(invoice.total_cents),
                        invoice.number
                    ),
                    None => format!("You are on {name} ({}) now.", cycle.label()),
                },
                Effect::PeriodEnd => format!(
                    "{name} ({}) starts on {}; undo it any time before then.",
                    cycle.label(),
                    super::view::date(changed.sub.period_end, ctx.workspace.tz())
                ),
                Effect::Unchanged => format!("You stay on {name}; no change is scheduled."),
            };
            Ok(redirect_with_flash(SUBSCRIPTION, Flash::success(text)))
        }
        Err(err) => refused(&state, &ctx, &page, "change_plan", &values, view, err).await,
    }
}

pub async fn cancel(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    match service::cancel(&state, &ctx).await {
        Ok(sub) => {
            let catalogue = &state.config.billing.catalogue;
            let text = format!(
                "Your subscription ends on {}; the workspace moves to the {} plan then. Resume it any time before.",
                super::view::date(sub.period_end, ctx.workspace.tz()),
                catalogue.fallback().name
            );
            Ok(redirect_with_flash(SUBSCRIPTION, Flash::success(text)))
        }
        Err(err) => {
            let view = View { confirm: Some("cancel".into()), ..View::default() };
            refused(&state, &ctx, &page, "cancel", &[], view, err).await
        }
    }
}

pub async fn resume(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    match service::resume(&state, &ctx).await {
        Ok(sub) => {
            let name = &state.config.billing.catalogue.resolve(&sub.plan_key).name;
            Ok(redirect_with_flash(SUBSCRIPTION, Flash::success(format!("You stay on {name}; nothing is scheduled."))))
        }
        Err(err) => {
            let view = View { confirm: Some("resume".into()), ..View::default() };
            refused(&state, &ctx, &page, "resume", &[], view, err).await
        }
    }
}
