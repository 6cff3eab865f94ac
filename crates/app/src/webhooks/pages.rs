//! Settings → Developer → Webhooks: add an endpoint, and the endpoint page
//! (edit, send a test event, delete). The secret actions are in
//! [`super::secret_pages`]; the delivery log, resend and recover in
//! [`super::log_pages`]. Every change goes through [`super::service`],
//! which checks and audits it.
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use switchboard_core::WebhookEndpointId;

use super::log_pages::{self, LogQuery};
use super::model::{EndpointChange, NewEndpoint};
use super::service;
use super::store::{self, EndpointRow};
use crate::error::{AppError, AppResult};
use crate::events;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::flash::redirect;
use crate::web::{Flash, Page, redirect_with_flash, time};

pub const WEBHOOKS: &str = "/settings/developer/webhooks";

pub fn endpoint_path(id: &str) -> String {
    format!("{WEBHOOKS}/{id}")
}

/// One endpoint in the Developer page's Webhooks card.
#[derive(Serialize)]
pub struct EndpointSummary {
    id: String,
    url: String,
    description: String,
    events: String,
    enabled: bool,
    disabled_reason: Option<String>,
}

fn events_label(types: &[String]) -> String {
    if types.is_empty() { "All events".to_string() } else { types.join(", ") }
}

/// The workspace's endpoints, for the Developer page.
pub async fn summaries(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Vec<EndpointSummary>> {
    let rows = store::list_endpoints(&state.db, &ctx.workspace.id).await?;
    Ok(rows
        .into_iter()
        .map(|r| EndpointSummary {
            events: events_label(&r.event_types.0),
            id: r.id.into(),
            url: r.url,
            description: r.description,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
        })
        .collect())
}

/// A catalogue entry as a checkbox.
#[derive(Serialize)]
struct EventChoice {
    name: &'static str,
    description: &'static str,
    checked: bool,
}

/// The add and edit forms' fields, as sent (or as stored, before an edit).
#[derive(Debug, Clone, Default)]
pub(super) struct EndpointForm {
    url: String,
    description: String,
    /// "All events" rather than the checked types.
    all: bool,
    types: Vec<String>,
    enabled: bool,
}

impl EndpointForm {
    /// Parses a urlencoded body; checkboxes repeat `event_types`, which
    /// `axum::Form` cannot collect, so the pairs are read here.
    fn parse(body: &[u8]) -> Self {
        let mut form = EndpointForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "url" => form.url = value.into_owned(),
                "description" => form.description = value.into_owned(),
                "events" => form.all = value == "all",
                "event_types" => form.types.push(value.into_owned()),
                "enabled" => form.enabled = matches!(value.as_ref(), "on" | "true" | "1"),
                _ => {}
            }
        }
        form
    }

    fn from_row(row: &EndpointRow) -> Self {
        EndpointForm {
            url: row.url.clone(),
            description: row.description.clone(),
            all: row.event_types.0.is_empty(),
            types: row.event_types.0.clone(),
            enabled: row.enabled,
        }
    }

    /// The chosen types; empty means every type.
    fn event_types(&self) -> Result<Vec<String>, AppError> {
        if self.all {
            return Ok(Vec::new());
        }
        if self.types.is_empty() {
            return Err(AppError::field("event_types", "Choose at least one event type, or All events."));
        }
        Ok(self.types.clone())
    }

    fn view(&self) -> minijinja::Value {
        let choices: Vec<EventChoice> = events::catalogue()
            .iter()
            .filter(|e| e.subscribable)
            .map(|e| EventChoice {
                name: e.name,
                description: e.description,
                checked: !self.all && self.types.iter().any(|t| t == e.name),
            })
            .collect();
        context! {
            url => self.url,
            description => self.description,
            all => self.all,
            choices => choices,
            enabled => self.enabled,
        }
    }
}

pub async fn new_endpoint_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let form = EndpointForm { all: true, enabled: true, ..EndpointForm::default() };
    render_new(&state, &ctx, &page, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn render_new(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    form: &EndpointForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    crate::settings::render(
        state,
        page,
        status,
        "developer",
        "webhooks/new.html",
        context! {
            title => "Add webhook endpoint",
            ws_id => ctx.workspace.id.to_string(),
            form => form.view(),
            errors => errors,
        },
    )
    .await
}

pub async fn create_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    body: Bytes,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let form = EndpointForm::parse(&body);
    let created = match form.event_types() {
        Ok(event_types) => {
            let new = NewEndpoint {
                url: form.url.clone(),
                description: form.description.clone(),
                event_types,
                enabled: true,
            };
            service::create(&state, &ctx, new).await
        }
        Err(err) => Err(err),
    };
    match created {
        Ok((row, _secret)) => Ok(redirect_with_flash(
            &endpoint_path(row.id.as_str()),
            Flash::success("Endpoint added. Reveal its signing secret below to verify the signatures."),
        )),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let form = EndpointForm { enabled: true, ..form };
            render_new(&state, &ctx, &page, &form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The endpoint, or 404 (also for another workspace's endpoint).
pub(super) async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<EndpointRow> {
    let not_found = || AppError::not_found("The webhook endpoint");
    let id: WebhookEndpointId = id.parse().map_err(|_| not_found())?;
    store::find_endpoint(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

/// What the endpoint page shows besides the endpoint itself.
#[derive(Default)]
pub(super) struct Extras {
    /// The edit form as sent, when it was refused.
    pub form: Option<EndpointForm>,
    pub errors: BTreeMap<String, String>,
    pub revealed: Option<String>,
    /// A new secret and until when the previous one signs.
    pub rotated: Option<(String, Option<time::TimeView>)>,
    pub overlap_hours: Option<String>,
    pub since: Option<String>,
    /// The dialog to show open (its form was refused).
    pub open_dialog: Option<&'static str>,
}

pub async fn endpoint_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    render_endpoint(&state, &ctx, &page, &row, &q, Extras::default(), StatusCode::OK).await
}

pub(super) async fn render_endpoint(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    row: &EndpointRow,
    q: &LogQuery,
    extras: Extras,
    status: StatusCode,
) -> AppResult<Response> {
    let now = state.clock.now();
    let tz = ctx.workspace.tz();
    let log = log_pages::log_view(state, ctx, row, q).await?;
    let form = extras.form.unwrap_or_else(|| EndpointForm::from_row(row));
    let default_since = (now - chrono::Duration::hours(24)).with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    let secret_shown = extras.revealed.is_some() || extras.rotated.is_some();
    let mut response = crate::settings::render(
        state,
        page,
        status,
        "developer",
        "webhooks/endpoint.html",
        context! {
            title => format!("Webhook endpoint {}", row.url),
                ws_id => ctx.workspace.id.to_string(),
                endpoint => context! {
                    id => row.id,
                    url => row.url,
                    description => row.description,
                    events => events_label(&row.event_types.0),
                    enabled => row.enabled,
                    disabled_reason => row.disabled_reason,
                    created => time::view(row.created_at, tz, now),
                    failing_since => row.failing_since.map(|at| time::view(at, tz, now)),
                    previous_signs_until => row.previous_secret_until.filter(|u| *u > now).map(|at| time::view(at, tz, now)),
                },
                form => form.view(),
                errors => extras.errors,
                revealed => extras.revealed,
                rotated => extras.rotated.map(|(secret, until)| context! { secret, until }),
                overlap_hours => extras.overlap_hours.unwrap_or_else(|| service::DEFAULT_ROTATION_OVERLAP_HOURS.to_string()),
                since => extras.since.unwrap_or(default_since),
                timezone => tz.name(),
                open_dialog => extras.open_dialog,
                log => log,
            },
        )
        .await?;
    if secret_shown {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

pub async fn update_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    let form = EndpointForm::parse(&body);
    let updated = match form.event_types() {
        Ok(types) => {
            let change = EndpointChange {
                url: Some(form.url.clone()),
                description: Some(form.description.clone()),
                event_types: Some(types),
                enabled: Some(form.enabled),
            };
            service::update(&state, &ctx, row.id.as_str(), change).await
        }
        Err(err) => Err(err),
    };
    match updated {
        Ok(after) => {
            let text = if after.enabled {
                "Endpoint saved."
            } else {
                "Endpoint saved. It is disabled: nothing is sent to it."
            };
            Ok(redirect_with_flash(&endpoint_path(row.id.as_str()), Flash::success(text)))
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let extras = Extras { form: Some(form), errors, ..Extras::default() };
            render_endpoint(&state, &ctx, &page, &row, &LogQuery::default(), extras, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    }
}

pub async fn delete_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    service::delete(&state, &ctx, row.id.as_str()).await?;
    Ok(redirect_with_flash(
        "/settings/developer#webhooks",
        Flash::success(format!("The endpoint {} was deleted with its delivery log.", row.url)),
    ))
}

pub async fn send_test(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = find(&state, &ctx, &id).await?;
    match service::send_test(&state, &ctx, row.id.as_str()).await {
        Ok(_) => Ok(redirect_with_flash(
            &endpoint_path(row.id.as_str()),
            Flash::success("Test event queued. Reload to see its delivery below."),
        )),
        Err(err) => log_pages::conflict_as_toast(err, row.id.as_str()),
    }
}

/// `GET /settings/developer/webhooks` has nothing of its own: the list is
/// the Developer page's Webhooks card.
pub async fn webhooks_index(ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    Ok(redirect("/settings/developer#webhooks"))
}
