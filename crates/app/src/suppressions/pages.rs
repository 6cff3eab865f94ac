//! Settings → Audiences → Suppression (Admins): search the list, page
//! through it (channel, reason, source, who, when), add an entry by hand
//! (source `MANUAL`), remove one through a confirmation (a dialog, or the
//! confirmation page without JavaScript).
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::model::{NewEntry, RawEntry, SuppressionChannel};
use super::service;
use super::store::Suppression;
use crate::api::ApiQuery;
use crate::consent::model::Source;
use crate::consent::pages::SECTION_SLUG;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash, time};

pub const SUPPRESSION: &str = "/settings/audiences/suppression";
const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListForm {
    #[serde(default)]
    search: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AddForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
struct EntryView {
    id: String,
    who: String,
    is_phone: bool,
    channel: &'static str,
    channel_label: &'static str,
    /// "every channel", "calls", "SMS": for the removal's question.
    channel_phrase: &'static str,
    reason: String,
    source: &'static str,
    created_by: String,
    created: time::TimeView,
    remove_url: String,
}

fn view(s: &Suppression, tz: chrono_tz::Tz, now: chrono::DateTime<chrono::Utc>) -> EntryView {
    EntryView {
        id: s.id.to_string(),
        who: s.subject().label(),
        is_phone: s.phone.is_some(),
        channel: s.channel.as_str(),
        channel_label: s.channel.label(),
        channel_phrase: channel_phrase(s.channel),
        reason: s.reason.clone(),
        source: s.source.label(),
        created_by: s.created_by.clone(),
        created: time::view(s.created_at, tz, now),
        remove_url: format!("{SUPPRESSION}/{}/remove", s.id),
    }
}

pub async fn suppression_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<ListForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, &form, AddForm::default(), BTreeMap::new()).await
}

async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    list: &ListForm,
    add: AddForm,
    mut errors: BTreeMap<String, String>,
) -> AppResult<Response> {
    let cursor = Some(list.cursor.as_str()).filter(|c| !c.is_empty());
    let (rows, next) = match service::list_page(state, ctx, &list.search, cursor, PAGE_SIZE).await {
        Ok(page) => page,
        Err(err) => {
            let Some(fields) = err.field_messages() else { return Err(err) };
            errors.extend(fields);
            service::list_page(state, ctx, &list.search, None, PAGE_SIZE).await?
        }
    };
    let (tz, now) = (ctx.workspace.tz(), state.clock.now());
    let entries: Vec<EntryView> = rows.iter().map(|s| view(s, tz, now)).collect();
    let search = list.search.trim();
    let next_url = next.map(|c| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("search", search)
            .append_pair("cursor", &c)
            .finish();
        format!("{SUPPRESSION}?{query}")
    });
    let channels: Vec<(&str, &str)> = SuppressionChannel::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    crate::settings::render(
        state,
        page,
        status,
        SECTION_SLUG,
        "suppressions/page.html",
        context! {
            title => "Suppression",
            tab => "suppression",
            workspace_id => ctx.workspace.id.to_string(),
            entries => entries,
            search => search,
            first_page => cursor.is_none(),
            next_url => next_url,
            channels => channels,
            values => add,
            errors => errors,
        },
    )
    .await
}

pub async fn add_suppression(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let parsed = NewEntry::parse(RawEntry {
        phone: Some(&form.phone),
        email: Some(&form.email),
        default_country: None,
        channel: Some(&form.channel),
        reason: Some(&form.reason),
    });
    let result = match parsed {
        Ok(entry) => service::add(&state, &ctx, entry, Source::Manual).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(s) => {
            let text = format!("{} added to the suppression list ({}).", s.subject().label(), s.channel.label());
            Ok(redirect_with_flash(SUPPRESSION, Flash::success(text)))
        }
        Err(err) => {
            let Some(problem) = err.problem() else { return Err(err) };
            let mut errors = err.field_messages().unwrap_or_default();
            if errors.is_empty() {
                // A duplicate: by the field that names who.
                let field = if form.phone.trim().is_empty() { "email" } else { "phone" };
                errors.insert(field.into(), problem.detail.clone());
            }
            render(&state, &ctx, &page, &ListForm::default(), form, errors).await
        }
    }
}

/// The removal's confirmation as a page of its own (without JavaScript).
pub async fn remove_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let s = service::find(&state, &ctx, &id).await?;
    Confirm {
        heading: format!("Remove {} from the suppression list?", s.subject().label()),
        message: remove_message(&s),
        action: format!("{SUPPRESSION}/{}/remove", s.id),
        button: "Remove from list".into(),
        back: SUPPRESSION.into(),
    }
    .render(&state, &ctx, &page)
    .await
}

fn remove_message(s: &Suppression) -> String {
    format!(
        "{} may be contacted again on {} (unless another entry or the consent mode still blocks it). Its consent history stays.",
        s.subject().label(),
        channel_phrase(s.channel)
    )
}

fn channel_phrase(channel: SuppressionChannel) -> &'static str {
    match channel {
        SuppressionChannel::All => "every channel",
        SuppressionChannel::Calls => "calls",
        SuppressionChannel::Sms => "SMS",
    }
}

pub async fn remove_suppression(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let s = service::remove(&state, &ctx, &id).await?;
    let text = format!("{} removed from the suppression list.", s.subject().label());
    Ok(redirect_with_flash(SUPPRESSION, Flash::success(text)))
}
