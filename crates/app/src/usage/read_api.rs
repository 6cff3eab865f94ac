//! Reading usage through the API (Admins, like Settings):
//! `GET /api/v1/usage/summary`, `GET /api/v1/usage/events` (keyset paged,
//! newest first) and `GET /api/v1/usage/export` (CSV, streamed).
//!
//! `from` and `to` take either a date (`2026-12-07`, a whole day in the
//! workspace's timezone; `to` includes its day) or an RFC 3339 instant
//! (`to` excluded). Summaries are summed from hourly totals, so an instant
//! there must fall on a whole hour. Without them: the current billing cycle.
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use switchboard_db::Query;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::summary::{self, MAX_RANGE_DAYS, Range};
use super::{UsageType, export};
use crate::api::{ApiQuery, ListResponse, pagination};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(usage_summary))
            .routes(routes!(list_usage_events))
            .routes(routes!(export_usage)),
    );
}

/// One end of a range as typed: a local date or an instant.
fn bound(field: &str, raw: &str, tz: Tz, end: bool) -> AppResult<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end { date.succ_opt().unwrap_or(date) } else { date };
        return Ok(summary::local_midnight(day, tz));
    }
    DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        AppError::field(
            field,
            format!("{field} must be a date (2026-12-07) or an RFC 3339 time (2026-12-07T09:30:00Z)."),
        )
    })
}

/// The range `from`/`to` name, or the current cycle when both are absent.
async fn range_of(
    state: &AppState,
    ctx: &WorkspaceCtx,
    from: Option<&str>,
    to: Option<&str>,
    whole_hours: bool,
) -> AppResult<Range> {
    let tz = ctx.workspace.tz();
    let (from, to) = match (from.filter(|s| !s.is_empty()), to.filter(|s| !s.is_empty())) {
        (None, None) => {
            let sub = crate::subscription::trial::load_or_start(state, &ctx.workspace.id).await?;
            return Ok(summary::Period::ThisCycle.range(&sub, tz));
        }
        (Some(f), Some(t)) => (bound("from", f, tz, false)?, bound("to", t, tz, true)?),
        (None, Some(_)) => return Err(AppError::field("from", "Give from with to.")),
        (Some(_), None) => return Err(AppError::field("to", "Give to with from.")),
    };
    if whole_hours {
        for (field, t) in [("from", from), ("to", to)] {
            if t.minute() != 0 || t.second() != 0 || t.nanosecond() != 0 {
                return Err(AppError::field(field, format!("{field} must fall on a whole hour: totals are hourly.")));
            }
        }
    }
    if to <= from {
        return Err(AppError::field("to", "to must be after from."));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::field("to", format!("The range may span at most {MAX_RANGE_DAYS} days.")));
    }
    Ok(Range::between(from, to, tz))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// A date in the workspace's timezone or an RFC 3339 instant on the hour.
    #[param(example = "2026-12-01")]
    pub from: Option<String>,
    /// A date (included) or an RFC 3339 instant on the hour (excluded).
    #[param(example = "2026-12-07")]
    pub to: Option<String>,
    /// `day` (default), `type` or `agent`.
    #[param(pattern = "^(day|type|agent)$", example = "day")]
    pub group_by: Option<String>,
}

/// One group of a summary: a day, a type or an agent. Credits are milli-credits.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UsageSummaryGroup)]
pub struct SummaryGroup {
    /// `group_by=day`: the local date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `group_by=type`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<UsageType>,
    /// `group_by=type`: quantity in `unit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    /// `group_by=agent`: `null` for usage without an agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Option<String>>,
    /// `group_by=agent`: the agent's name, "No agent" or "Deleted agent".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    pub events: i64,
    pub credits: i64,
    /// `group_by=day` and `agent`: milli-credits by type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_type: Option<BTreeMap<&'static str, i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UsageSummaryResponse, example = json!({
    "from": "2026-11-30T23:00:00Z", "to": "2026-12-07T23:00:00Z", "timezone": "Europe/Paris", "group_by": "day",
    "events": 3, "credits": 4500,
    "data": [{"date": "2026-12-07", "events": 3, "credits": 4500, "by_type": {"call_minutes": 4000, "sms": 500}}]
}))]
pub struct SummaryResponse {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub timezone: String,
    pub group_by: String,
    pub events: i64,
    /// Milli-credits in the range.
    pub credits: i64,
    pub data: Vec<SummaryGroup>,
}

fn group(events: i64, credits: i64) -> SummaryGroup {
    SummaryGroup {
        date: None,
        kind: None,
        quantity: None,
        unit: None,
        agent_id: None,
        agent_name: None,
        events,
        credits,
        by_type: None,
    }
}

/// Usage in a range summed by day (in the workspace's timezone), by type
/// or by agent. Read from hourly totals: fast at any volume.
#[utoipa::path(get, path = "/api/v1/usage/summary", tag = "usage", params(SummaryQuery),
    responses((status = 200, body = SummaryResponse),
        (status = 422, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "A bad range or group_by.")))]
pub async fn usage_summary(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> AppResult<Json<SummaryResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let group_by = q.group_by.as_deref().unwrap_or("day");
    if !matches!(group_by, "day" | "type" | "agent") {
        return Err(AppError::field("group_by", "group_by must be day, type or agent."));
    }
    let range = range_of(&state, &ctx, q.from.as_deref(), q.to.as_deref(), true).await?;
    let tz = ctx.workspace.tz();
    let s = summary::summarise(&state.db, &ctx.workspace.id, tz, range).await?;
    let by_type = |types: &[(UsageType, summary::Totals)]| {
        Some(types.iter().map(|(k, t)| (k.as_str(), t.credits.millis())).collect::<BTreeMap<_, _>>())
    };
    let data = match group_by {
        "day" => s
            .days
            .iter()
            .map(|d| SummaryGroup {
                date: Some(d.date.to_string()),
                by_type: by_type(&d.by_type),
                ..group(d.total.events, d.total.credits.millis())
            })
            .collect(),
        "type" => s
            .by_type
            .iter()
            .map(|(k, t)| SummaryGroup {
                kind: Some(*k),
                quantity: Some(t.quantity),
                unit: Some(k.unit()),
                ..group(t.events, t.credits.millis())
            })
            .collect(),
        _ => {
            let names = summary::agent_names(&state.db, &ctx.workspace.id, &s).await?;
            s.by_agent
                .iter()
                .map(|(id, t)| {
                    let types: Vec<_> =
                        s.by_agent_type.iter().filter(|(a, _, _)| a == id).map(|(_, k, t)| (*k, *t)).collect();
                    SummaryGroup {
                        agent_name: Some(export::agent_label(
                            id.as_deref(),
                            id.as_ref().and_then(|i| names.get(i)).map(String::as_str),
                        )),
                        agent_id: Some(id.clone()),
                        by_type: by_type(&types),
                        ..group(t.events, t.credits.millis())
                    }
                })
                .collect()
        }
    };
    Ok(Json(SummaryResponse {
        from: range.from,
        to: range.to,
        timezone: tz.name().to_string(),
        group_by: group_by.to_string(),
        events: s.total.events,
        credits: s.total.credits.millis(),
        data,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Only this agent's events.
    pub agent_id: Option<String>,
    /// A date in the workspace's timezone or an RFC 3339 instant.
    pub from: Option<String>,
    /// A date (included) or an RFC 3339 instant (excluded).
    pub to: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500, example = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[schema(as = UsageEvent, example = json!({
    "id": "use_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "type": "call_minutes", "quantity": 90, "credits": 2000,
    "occurred_at": "2026-12-07T09:30:00Z", "agent_id": "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "idempotency_key": "call-1", "metadata": {"call_id": "c-881"}, "recorded_at": "2026-12-07T09:30:02Z"
}))]
pub struct UsageEventView {
    pub id: String,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    #[schema(value_type = UsageType)]
    pub kind: String,
    /// In the type's unit.
    pub quantity: i64,
    /// Milli-credits charged.
    pub credits: i64,
    pub occurred_at: DateTime<Utc>,
    pub agent_id: Option<String>,
    pub idempotency_key: String,
    /// The metadata object as sent.
    #[sqlx(try_from = "MetadataText")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    pub recorded_at: DateTime<Utc>,
}

/// `metadata` as stored (JSON text, or NULL), read back as JSON.
#[derive(Debug, sqlx::Type)]
#[sqlx(transparent)]
pub struct MetadataText(Option<String>);

impl TryFrom<MetadataText> for Option<serde_json::Value> {
    type Error = serde_json::Error;
    fn try_from(text: MetadataText) -> Result<Self, Self::Error> {
        text.0.map(|t| serde_json::from_str(&t)).transpose()
    }
}

/// Usage events, newest first, keyset paged.
#[utoipa::path(get, path = "/api/v1/usage/events", tag = "usage", params(EventsQuery),
    responses((status = 200, body = ListResponse<UsageEventView>),
        (status = 422, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "A bad filter, range or cursor.")))]
pub async fn list_usage_events(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> AppResult<Json<ListResponse<UsageEventView>>> {
    ctx.require(Permission::ManageSettings)?;
    let limit = pagination::limit(q.limit, 100, 500)?;
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(q.cursor.as_deref())?;
    let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(UsageType::parse(raw).ok_or_else(|| {
            AppError::field(
                "type",
                "type must be one of call_minutes, sms, tts_characters, phone_number_rental, voice_clone, training.",
            )
        })?),
        None => None,
    };
    let tz = ctx.workspace.tz();
    let from = q.from.as_deref().filter(|s| !s.is_empty()).map(|f| bound("from", f, tz, false)).transpose()?;
    let to = q.to.as_deref().filter(|s| !s.is_empty()).map(|t| bound("to", t, tz, true)).transpose()?;
    let mut query = Query::new(
        "SELECT id, type, quantity, credits, occurred_at, agent_id, idempotency_key, metadata, recorded_at \
         FROM usage_events WHERE workspace_id = ",
    );
    query.bind(ctx.workspace.id.as_str());
    if let Some(kind) = kind {
        query.push(" AND type = ").bind(kind.as_str());
    }
    if let Some(agent) = q.agent_id.as_deref().filter(|s| !s.is_empty()) {
        query.push(" AND agent_id = ").bind(agent);
    }
    if let Some(from) = from {
        query.push(" AND occurred_at >= ").bind(from);
    }
    if let Some(to) = to {
        query.push(" AND occurred_at < ").bind(to);
    }
    if let Some((t, id)) = after {
        let t = query.param(t);
        query.push(" AND occurred_at <= ").push_param(t).push(" AND (occurred_at < ").push_param(t);
        query.push(" OR id < ").bind(id).push(")");
    }
    query.push(" ORDER BY occurred_at DESC, id DESC LIMIT ").bind(limit + 1);
    let rows: Vec<UsageEventView> = query.fetch_all(&state.db).await?;
    let (data, next_cursor) = pagination::page(rows, limit, |e| (e.occurred_at, e.id.clone()));
    Ok(Json(ListResponse { data, next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// A date in the workspace's timezone or an RFC 3339 instant.
    pub from: Option<String>,
    /// A date (included) or an RFC 3339 instant (excluded).
    pub to: Option<String>,
}

/// The range's events as CSV, oldest first, streamed. Columns: id,
/// occurred_at (UTC), occurred_at_local, type, quantity, unit, credits
/// (decimal credits), agent_id, agent_name, idempotency_key, metadata.
#[utoipa::path(get, path = "/api/v1/usage/export", tag = "usage", params(ExportQuery),
    responses((status = 200, description = "The events, streamed",
            content((String = "text/csv", example = json!(
                "id,occurred_at,occurred_at_local,type,quantity,unit,credits,agent_id,agent_name,idempotency_key,metadata\n\
                 use_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0,2026-12-07T09:30:00Z,2026-12-07T10:30:00+01:00,call_minutes,90,seconds,2.000,\
                 agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0,Reception,call-1,\"{\"\"call_id\"\":\"\"c-881\"\"}\"\n")))),
        (status = 422, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "A bad range.")))]
pub async fn export_usage(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let range = range_of(&state, &ctx, q.from.as_deref(), q.to.as_deref(), false).await?;
    let name = format!("usage-{}-{}-{}.csv", ctx.workspace.id, range.first_day, range.last_day);
    Ok(export::response(&state.db, &ctx.workspace.id, range.from, range.to, ctx.workspace.tz(), &name))
}
