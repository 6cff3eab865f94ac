//! `/settings/phone-numbers`: the workspace's numbers, newest first, with a
//! search (digits of the number or words of its name) and filters by status
//! and source as a GET form, keyset pages, and the way to Buy.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Deserialize;
use switchboard_core::PhoneNumberId;

use super::NUMBERS;
use super::views::{NumberView, agent_ids};
use crate::api::{ApiQuery, pagination};
use crate::error::{AppError, AppResult};
use crate::phone_numbers::model::{NumberSource, NumberStatus};
use crate::phone_numbers::store::{self, ListFilter};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::Page;

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    cursor: Option<String>,
}

impl ListForm {
    fn status(&self) -> AppResult<Option<NumberStatus>> {
        match self.status.trim() {
            "" => Ok(None),
            raw => NumberStatus::parse(raw).map(Some).ok_or_else(|| AppError::field("status", "Choose a status.")),
        }
    }

    fn source(&self) -> AppResult<Option<NumberSource>> {
        match self.source.trim().to_ascii_uppercase().as_str() {
            "" => Ok(None),
            "PLATFORM" => Ok(Some(NumberSource::Platform)),
            "IMPORTED" => Ok(Some(NumberSource::Imported)),
            _ => Err(AppError::field("source", "Choose a source.")),
        }
    }

    /// The query string of this search without the cursor.
    fn query(&self) -> String {
        let pairs = [("q", self.q.trim()), ("status", self.status.trim()), ("source", self.source.trim())];
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

pub async fn numbers_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<ListForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let mut errors = std::collections::BTreeMap::new();
    let status = form.status().unwrap_or_else(|e| {
        errors.extend(e.field_messages().unwrap_or_default());
        None
    });
    let source = form.source().unwrap_or_else(|e| {
        errors.extend(e.field_messages().unwrap_or_default());
        None
    });
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(form.cursor.as_deref())?;
    let after = match after {
        Some((at, id)) => {
            Some((at, id.parse::<PhoneNumberId>().map_err(|_| AppError::field("cursor", "Bad cursor."))?))
        }
        None => None,
    };
    let ws = &ctx.workspace.id;
    let search = form.q.trim();
    let filter = ListFilter {
        status,
        source,
        search: Some(search).filter(|s| !s.is_empty()),
        carrier_account: None,
        // Released and failed numbers stay reachable through the status filter.
        hide_ended: status.is_none(),
    };
    let rows = store::list(&state.db, ws, &filter, after.as_ref().map(|(at, id)| (*at, id)), PAGE_SIZE + 1).await?;
    let (rows, next) = pagination::page(rows, PAGE_SIZE, |n| (n.created_at, n.id.to_string()));
    let ids = agent_ids(&rows);
    let names = crate::agents::store::names(&state.db, ws, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let (tz, now) = (ctx.workspace.tz(), state.clock.now());
    let numbers: Vec<NumberView> = rows.iter().map(|n| NumberView::new(n, &names, tz, now)).collect();
    let filtered = !search.is_empty() || status.is_some() || source.is_some();
    let query = form.query();
    let next_url = next.map(|c| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("{NUMBERS}?{query}{sep}cursor={c}")
    });
    let statuses: Vec<(&str, &str)> = NumberStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let sources = [(NumberSource::Platform.as_str(), "Bought here"), (NumberSource::Imported.as_str(), "Imported")];
    let status_code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let byoc = super::super::byoc::pages::card(&state, &ctx).await?;
    crate::settings::render(
        &state,
        &page,
        status_code,
        super::super::SECTION.slug,
        "phone_numbers/list.html",
        context! {
            title => "Phone Numbers",
            workspace_id => ws.to_string(),
            numbers => numbers,
            filtered => filtered,
            first_page => form.cursor.is_none(),
            next_url => next_url,
            values => context! { q => search, status => status.map(|s| s.as_str()).unwrap_or(""), source => source.map(|s| s.as_str()).unwrap_or("") },
            errors => errors,
            statuses => statuses,
            sources => sources,
            byoc => byoc,
        },
    )
    .await
}
