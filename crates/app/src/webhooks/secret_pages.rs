//! The endpoint page's signing-secret actions: reveal (audited by the
//! service) and rotate with an overlap. Both answer with the endpoint page
//! showing the secret, marked `no-store`.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::log_pages::LogQuery;
use super::pages::{Extras, find, render_endpoint};
use super::service;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Page, time};

/// Shows the signing secret on the endpoint page; each reveal is audited.
pub async fn reveal_secret(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    let secret = service::reveal_secret(&state, &ctx, row.id.as_str()).await?;
    let extras = Extras { revealed: Some(secret), ..Extras::default() };
    render_endpoint(&state, &ctx, &page, &row, &LogQuery::default(), extras, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    overlap_hours: String,
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RotateForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    let hours = match form.overlap_hours.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::field("overlap_hours", "Enter a whole number of hours between 0 and 168.")),
    };
    let rotated = match hours {
        Ok(hours) => service::rotate_secret(&state, &ctx, row.id.as_str(), hours).await,
        Err(err) => Err(err),
    };
    match rotated {
        Ok((after, secret)) => {
            let now = state.clock.now();
            let until = after.previous_secret_until.map(|at| time::view(at, ctx.workspace.tz(), now));
            let extras = Extras { rotated: Some((secret, until)), ..Extras::default() };
            render_endpoint(&state, &ctx, &page, &after, &LogQuery::default(), extras, StatusCode::OK).await
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let extras = Extras {
                errors,
                overlap_hours: Some(form.overlap_hours),
                open_dialog: Some("rotate-dialog"),
                ..Extras::default()
            };
            render_endpoint(&state, &ctx, &page, &row, &LogQuery::default(), extras, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    }
}
