//! JSON handlers of the audit log (Admins): the filtered list, the
//! streamed export, and chain verification.
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::chain::{self, Report};
use super::query::{self, Cursor, Filter, decode_cursor};
use super::{AuditEntry, Change};
use crate::api::{ApiQuery, ListResponse, pagination};
use crate::csv_export::CsvRows;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's or token's ID (`usr_…`, `tok_…`), or `system`.
    pub actor: Option<String>,
    /// An action (`member.removed`) or a group (`member.*`).
    pub action: Option<String>,
    /// `workspace`, `member`, `invitation`, `api_token`, `experimental_feature`…
    pub target_type: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Text found in the target's name, ignoring case.
    pub search: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> Result<Filter, AppError> {
        Filter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            from: self.from,
            to: self.to,
            search: self.search.clone(),
        }
        .normalised()
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "aud_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "action": "workspace.updated",
    "actor": {"type": "user", "id": "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "name": "Ada Lovelace"},
    "target": {"type": "workspace", "id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "name": "Acme Voice"},
    "changes": {"name": {"before": "Acme", "after": "Acme Voice"}},
    "ip": "203.0.113.7", "user_agent": "Mozilla/5.0",
    "created_at": "2026-11-28T12:00:00.000000Z", "created_at_local": "2026-11-28T13:00:00.000000+01:00"
}))]
pub struct AuditEntryResponse {
    pub id: String,
    pub action: String,
    pub actor: AuditActor,
    pub target: AuditTarget,
    /// The changed fields, before and after; secrets appear as `[redacted]`.
    #[schema(value_type = Object)]
    pub changes: std::collections::BTreeMap<String, Change>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// In UTC.
    pub created_at: String,
    /// In the workspace's timezone.
    pub created_at_local: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `user`, `token` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

impl AuditEntryResponse {
    pub fn new(e: AuditEntry, tz: chrono_tz::Tz) -> Self {
        AuditEntryResponse {
            created_at: query::rfc3339(e.created_at, chrono_tz::UTC),
            created_at_local: query::rfc3339(e.created_at, tz),
            id: e.id,
            action: e.action,
            actor: AuditActor { kind: e.actor_type, id: e.actor_id, name: e.actor_name },
            target: AuditTarget { kind: e.target_type, id: e.target_id, name: e.target_name },
            changes: e.changes.0.0,
            ip: e.ip,
            user_agent: e.user_agent,
        }
    }
}

/// The workspace's audit log, newest first, filtered; pages by cursor.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, body = ListResponse<AuditEntryResponse>),
    ))]
pub async fn list_entries(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<ListResponse<AuditEntryResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let limit = pagination::limit(q.limit, 50, 200)?;
    let filter = q.filter()?;
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let rows = query::page(&state.db, &ctx.workspace.id, &filter, cursor.as_ref(), limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, query::cursor_key);
    let tz = ctx.workspace.tz();
    Ok(Json(ListResponse { data: rows.into_iter().map(|e| AuditEntryResponse::new(e, tz)).collect(), next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` or `jsonl`.
    pub format: String,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub search: Option<String>,
}

const EXPORT_PAGE: i64 = 1_000;
const CSV_HEADER: [&str; 13] = [
    "time_utc",
    "time_local",
    "action",
    "actor_type",
    "actor_id",
    "actor_name",
    "target_type",
    "target_id",
    "target_name",
    "changes",
    "ip",
    "user_agent",
    "id",
];

/// Every entry matching the filter, newest first, as CSV or JSON Lines.
/// Streamed a page at a time: the server never holds the whole result.
#[utoipa::path(get, path = "/api/v1/audit-log/export", tag = "audit", params(ExportQuery),
    responses((status = 200, description = "The entries, streamed",
        content(
            (String = "text/csv", example = json!(
                "time_utc,time_local,action,actor_type,actor_id,actor_name,target_type,target_id,target_name,changes,ip,user_agent,id\n\
                 2026-11-28T12:00:00.000000Z,2026-11-28T13:00:00.000000+01:00,workspace.updated,user,usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0,Ada,workspace,ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0,Acme Voice,\"{\"\"name\"\":{\"\"before\"\":\"\"Acme\"\",\"\"after\"\":\"\"Acme Voice\"\"}}\",203.0.113.7,Mozilla/5.0,aud_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0\n")),
            (String = "application/x-ndjson", example = json!(
                "{\"id\":\"aud_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0\",\"action\":\"workspace.updated\",\"created_at\":\"2026-11-28T12:00:00.000000Z\"}\n"))
        )),
    ))]
pub async fn export_entries(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let csv = match q.format.as_str() {
        "csv" => true,
        "jsonl" => false,
        _ => return Err(AppError::field("format", "format must be csv or jsonl.")),
    };
    let filter = Filter {
        actor: q.actor,
        action: q.action,
        target_type: q.target_type,
        from: q.from,
        to: q.to,
        search: q.search,
    }
    .normalised()?;
    let tz = ctx.workspace.tz();
    let workspace_id = ctx.workspace.id.clone();
    // Decided once for every page, not once a page.
    let from_index = query::search_start(&state.db, &filter).await?;
    // State of the stream: where the next page starts; `None` when done.
    let start = Some((None::<Cursor>, true));
    let stream = futures_util::stream::unfold(start, move |at| {
        let (state, filter, workspace_id) = (state.clone(), filter.clone(), workspace_id.clone());
        let from_index = from_index.clone();
        async move {
            let (cursor, first) = at?;
            let page = query::page_from(&state.db, &workspace_id, &filter, cursor.as_ref(), EXPORT_PAGE, from_index);
            let rows = match page.await {
                Ok(rows) => rows,
                Err(err) => {
                    // The status line is gone already; end the body early
                    // (the client sees a truncated download) and log why.
                    tracing::error!(error = %err, "audit export stopped");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            };
            let next = (rows.len() as i64 == EXPORT_PAGE)
                .then(|| rows.last().map(|e| (Some((e.created_at, e.id.clone())), false)))
                .flatten();
            if rows.is_empty() && !first {
                return None;
            }
            let chunk = if csv { csv_chunk(rows, tz, first) } else { jsonl_chunk(rows, tz) };
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), next))
        }
    });
    let (content_type, extension) =
        if csv { ("text/csv; charset=utf-8", "csv") } else { ("application/x-ndjson", "jsonl") };
    let filename = format!("attachment; filename=\"audit-log-{}.{extension}\"", ctx.workspace.id);
    Ok((
        [(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, filename)],
        Body::from_stream(stream),
    )
        .into_response())
}

fn csv_chunk(rows: Vec<AuditEntry>, tz: chrono_tz::Tz, with_header: bool) -> Vec<u8> {
    let mut csv = CsvRows::with_capacity(rows.len() * 256);
    if with_header {
        csv.row(CSV_HEADER);
    }
    for e in rows {
        let r = AuditEntryResponse::new(e, tz);
        let changes = serde_json::to_string(&r.changes).unwrap_or_default();
        csv.row([
            r.created_at.as_str(),
            r.created_at_local.as_str(),
            r.action.as_str(),
            r.actor.kind.as_str(),
            r.actor.id.as_deref().unwrap_or(""),
            r.actor.name.as_str(),
            r.target.kind.as_str(),
            r.target.id.as_str(),
            r.target.name.as_str(),
            changes.as_str(),
            r.ip.as_deref().unwrap_or(""),
            r.user_agent.as_deref().unwrap_or(""),
            r.id.as_str(),
        ]);
    }
    csv.into_bytes()
}

fn jsonl_chunk(rows: Vec<AuditEntry>, tz: chrono_tz::Tz) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 256);
    for e in rows {
        if serde_json::to_writer(&mut out, &AuditEntryResponse::new(e, tz)).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

/// Recomputes the workspace's audit hash chain and names the first entry
/// that does not match (`first_break`), or `null` when all match.
#[utoipa::path(get, path = "/api/v1/audit-log/verify", tag = "audit",
    responses((status = 200, body = Report)))]
pub async fn verify_chain(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<Report>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(chain::verify(&state.db, &state.server_key, &ctx.workspace.id).await?))
}
