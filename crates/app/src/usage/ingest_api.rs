//! `POST /api/v1/usage/events`: services report usage, up to 1,000 events
//! a request (Members' and Admins' tokens and sessions; Viewers 403). A bad
//! event rejects the batch (422, one error per event and field, nothing
//! recorded); a key recorded before is a duplicate, reported and not
//! charged again. A batch is one request for the API rate limit.
//!
//! Not audited: at 50 batches a second an entry per batch would bury the
//! Audit Log, and the events and their ledger debits are their own record
//! (`switchboard usage verify` reconciles them).
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ingest::{self, EventResult};
use super::ingest_input::{self, MAX_ERRORS_LISTED};
use super::types::UsageType;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.api(Access::Editor, OpenApiRouter::new().routes(routes!(ingest_events)));
}

/// One usage event as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = UsageEventInput)]
#[allow(dead_code)] // The document's shape; the handler checks each event from its JSON.
pub struct EventInput {
    #[serde(rename = "type")]
    pub usage_type: UsageType,
    /// In the type's unit: seconds (`call_minutes`, `training`), segments
    /// (`sms`), characters (`tts_characters`), number-days
    /// (`phone_number_rental`), clones (`voice_clone`). 0 – 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000, example = 150)]
    pub quantity: i64,
    /// RFC 3339; at most 5 minutes ahead of the server's clock and 35 days ago.
    #[schema(value_type = String, format = DateTime, example = "2026-12-07T09:30:00Z")]
    pub occurred_at: String,
    /// An agent of this workspace (`agt_…`).
    #[schema(nullable, example = "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub agent_id: Option<String>,
    /// 1–255 characters, unique per workspace: a repeat is reported as a
    /// duplicate and not charged again.
    #[schema(min_length = 1, max_length = 255, example = "call:CA1234:final")]
    pub idempotency_key: String,
    /// A JSON object of at most 2,048 bytes as JSON text, stored with its keys sorted.
    #[schema(value_type = Option<Object>, nullable)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UsageIngestRequest, example = json!({"events": [{
    "type": "call_minutes", "quantity": 150, "occurred_at": "2026-12-07T09:30:00Z",
    "agent_id": "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "idempotency_key": "call:CA1234:final", "metadata": {"call_id": "CA1234"}
}]}))]
pub struct IngestRequest {
    /// 0 – 1,000 events.
    #[schema(value_type = Vec<EventInput>, max_items = 1000)]
    pub events: Vec<Value>,
}

/// What happened to one event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UsageEventResult)]
pub struct EventResultBody {
    /// Its position in the request's `events`.
    pub index: usize,
    /// The event's ID (`use_…`); for a duplicate, the event recorded first.
    pub id: String,
    /// Milli-credits the event cost (for a duplicate: when first recorded).
    pub credits: i64,
    /// The key was recorded before: nothing was charged now.
    pub duplicate: bool,
}

impl From<EventResult> for EventResultBody {
    fn from(r: EventResult) -> Self {
        EventResultBody { index: r.index, id: r.id.to_string(), credits: r.credits, duplicate: r.duplicate }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UsageIngestResponse, example = json!({
    "recorded": 1, "duplicates": 0, "credits_charged": 30_000,
    "events": [{"index": 0, "id": "use_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "credits": 30_000, "duplicate": false}]
}))]
pub struct IngestResponse {
    /// Events recorded now.
    pub recorded: usize,
    /// Events whose key was recorded before.
    pub duplicates: usize,
    /// Milli-credits debited for this request.
    pub credits_charged: i64,
    pub events: Vec<EventResultBody>,
}

fn rejected(mut errors: Vec<FieldError>) -> AppError {
    let total = errors.len();
    let events: std::collections::BTreeSet<usize> =
        errors.iter().filter_map(|e| ingest_input::error_index(&e.field)).collect();
    errors.truncate(MAX_ERRORS_LISTED);
    let mut detail = match events.len() {
        0 => errors.first().map(|e| e.message.clone()).unwrap_or_default(),
        1 => "1 event is not valid; nothing was recorded. See errors.".to_string(),
        n => format!("{n} events are not valid; nothing was recorded. See errors."),
    };
    if total > MAX_ERRORS_LISTED {
        detail.push_str(&format!(" The first {MAX_ERRORS_LISTED} of {total} errors are listed."));
    }
    AppError::Client(Problem {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code: "validation_failed",
        detail,
        fields: errors,
        retry_after_secs: None,
    })
}

/// Records usage events and debits their credits from the balance (one
/// ledger entry per type), priced by the plan's rate card per started block
/// of the type's unit. Every event is checked first: any error rejects the
/// whole batch with `422` and an error per event and field
/// (`events[3].quantity`), and nothing is recorded. A key recorded before is
/// accepted, not charged again, and reported as a duplicate with the first
/// event's ID. An empty batch is valid and records nothing.
#[utoipa::path(post, path = "/api/v1/usage/events", tag = "usage", request_body = IngestRequest,
    responses((status = 200, body = IngestResponse)))]
pub async fn ingest_events(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<IngestRequest>,
) -> AppResult<Json<IngestResponse>> {
    ctx.require(Permission::EditResources)?;
    let ws = &ctx.workspace.id;
    let events = ingest_input::check_batch(&body.events, state.clock.now()).map_err(rejected)?;
    let agents = ingest_input::agent_ids(&events);
    if !agents.is_empty() {
        let known = ingest::known_agents(&state.db, ws, &agents).await?;
        let unknown = ingest_input::unknown_agents(&events, &known);
        if !unknown.is_empty() {
            return Err(rejected(unknown));
        }
    }
    let done = ingest::record(&state, ws, &events).await?;
    Ok(Json(IngestResponse {
        recorded: done.recorded,
        duplicates: done.duplicates,
        credits_charged: done.credits,
        events: done.results.into_iter().map(EventResultBody::from).collect(),
    }))
}
