//! The webhook tables' SQL: endpoints, messages, deliveries (the queue)
//! and attempts. One query text serves both databases. Every function
//! takes the workspace first and scopes its query by it, so no caller can
//! reach another workspace's rows by ID; IDs are typed, so an endpoint's ID
//! cannot be passed as a message's.
use chrono::{DateTime, Utc};
use switchboard_core::{UserId, WebhookAttemptId, WebhookDeliveryId, WebhookEndpointId, WebhookMessageId, WorkspaceId};
use switchboard_db::{Db, IntoExec, Query, execute, fetch_all, fetch_optional};

/// An endpoint as stored (the secrets still sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    #[sqlx(try_from = "String")]
    pub id: WebhookEndpointId,
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub description: String,
    pub event_types: sqlx::types::Json<Vec<String>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret_enc: String,
    pub previous_secret_enc: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointRow {
    /// Whether the endpoint wants events of this type.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        self.event_types.0.is_empty() || self.event_types.0.iter().any(|t| t == event_type)
    }
}

/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! endpoint_columns {
    () => {
        "id, workspace_id, url, description, event_types, enabled, disabled_reason, secret_enc,
     previous_secret_enc, previous_secret_until, failing_since, created_by, created_at, updated_at"
    };
}

/// Inserts `e` (whose `workspace_id` must be `ws`).
pub async fn insert_endpoint<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, e: &EndpointRow) -> Result<(), sqlx::Error> {
    debug_assert_eq!(ws, &e.workspace_id);
    execute!(
        ex,
        "INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, enabled, disabled_reason,
             secret_enc, previous_secret_enc, previous_secret_until, failing_since, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        e.id.as_str(),
        ws.as_str(),
        &e.url,
        &e.description,
        &e.event_types,
        e.enabled,
        e.disabled_reason.as_deref(),
        &e.secret_enc,
        e.previous_secret_enc.as_deref(),
        e.previous_secret_until,
        e.failing_since,
        e.created_by.as_str(),
        e.created_at,
        e.updated_at
    )?;
    Ok(())
}

/// Writes every editable column back (of `e`, in workspace `ws`).
pub async fn update_endpoint<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, e: &EndpointRow) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, enabled = $6, disabled_reason = $7,
             secret_enc = $8, previous_secret_enc = $9, previous_secret_until = $10, failing_since = $11, updated_at = $12
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        e.id.as_str(),
        &e.url,
        &e.description,
        &e.event_types,
        e.enabled,
        e.disabled_reason.as_deref(),
        &e.secret_enc,
        e.previous_secret_enc.as_deref(),
        e.previous_secret_until,
        e.failing_since,
        e.updated_at
    )?;
    Ok(())
}

pub async fn find_endpoint<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    let sql = concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2");
    fetch_optional!(ex, EndpointRow, sql, ws.as_str(), id.as_str())
}

pub async fn list_endpoints<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        endpoint_columns!(),
        " FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id"
    );
    fetch_all!(ex, EndpointRow, sql, ws.as_str())
}

/// Endpoints by ID, whatever their workspace: only for the delivery worker,
/// whose IDs come from the deliveries it claimed.
pub async fn endpoints_by_id(db: &Db, ids: &[&WebhookEndpointId]) -> Result<Vec<EndpointRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE id IN ("));
    q.bind_list(ids.iter().map(|id| id.as_str())).push(")");
    q.fetch_all(db).await
}

/// The enabled endpoints of a workspace, for enqueueing an event.
pub async fn enabled_endpoints<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let sql =
        concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE workspace_id = $1 AND enabled = TRUE");
    fetch_all!(ex, EndpointRow, sql, ws.as_str())
}

pub async fn delete_endpoint<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2", ws.as_str(), id.as_str())
}

/// An attempt failed: the endpoint's failure clock starts, unless running.
pub async fn mark_failing<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    execute!(
        ex,
        "UPDATE webhook_endpoints SET failing_since = $3 WHERE workspace_id = $1 AND id = $2 AND failing_since IS NULL",
        ws.as_str(),
        id.as_str(),
        now
    )
}

/// An attempt succeeded: the endpoint's failure clock stops.
pub async fn mark_healthy<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<u64, sqlx::Error> {
    execute!(
        ex,
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE workspace_id = $1 AND id = $2
           AND failing_since IS NOT NULL",
        ws.as_str(),
        id.as_str()
    )
}

pub async fn insert_message<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookMessageId,
    event_type: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO webhook_messages (id, workspace_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        id.as_str(),
        ws.as_str(),
        event_type,
        payload,
        now
    )?;
    Ok(())
}

/// A new delivery of a message to an endpoint, due now.
pub async fn insert_delivery<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    endpoint_id: &WebhookEndpointId,
    message_id: &WebhookMessageId,
    event_type: &str,
    now: DateTime<Utc>,
) -> Result<WebhookDeliveryId, sqlx::Error> {
    let id = WebhookDeliveryId::new();
    execute!(
        ex,
        "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, message_id, event_type, status, attempts,
             next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
        id.as_str(),
        ws.as_str(),
        endpoint_id.as_str(),
        message_id.as_str(),
        event_type,
        now
    )?;
    Ok(id)
}

/// A delivery for the page and the API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    #[sqlx(try_from = "String")]
    pub id: WebhookDeliveryId,
    #[sqlx(try_from = "String")]
    pub endpoint_id: WebhookEndpointId,
    #[sqlx(try_from = "String")]
    pub message_id: WebhookMessageId,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The latest attempt's time to answer.
    pub last_latency_ms: Option<i64>,
}

/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! delivery_select {
    () => {
        "SELECT d.id, d.endpoint_id, d.message_id, d.event_type, d.status, d.attempts,
        d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at,
        (SELECT a.latency_ms FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1)
            AS last_latency_ms
     FROM webhook_deliveries d"
    };
}

/// An endpoint's deliveries, newest first, before `before` (a delivery ID).
pub async fn list_deliveries<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    endpoint_id: &WebhookEndpointId,
    before: Option<&WebhookDeliveryId>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let sql = concat!(
        delivery_select!(),
        " WHERE d.workspace_id = $1 AND d.endpoint_id = $2 AND ($3 IS NULL OR d.id < $3)
         ORDER BY d.id DESC LIMIT $4"
    );
    let before = before.map(WebhookDeliveryId::as_str);
    fetch_all!(ex, DeliveryRow, sql, ws.as_str(), endpoint_id.as_str(), before, limit)
}

pub async fn find_delivery<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookDeliveryId,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let sql = concat!(delivery_select!(), " WHERE d.workspace_id = $1 AND d.id = $2");
    fetch_optional!(ex, DeliveryRow, sql, ws.as_str(), id.as_str())
}

/// Whether the delivery still exists (its endpoint may have been deleted
/// while an attempt was out).
pub async fn delivery_exists<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookDeliveryId,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = fetch_optional!(
        ex,
        (String,),
        "SELECT id FROM webhook_deliveries WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str()
    )?;
    Ok(row.is_some())
}

/// Messages whose deliveries to this endpoint failed since `since` and
/// that no other delivery has since delivered or is delivering, each once.
pub async fn failed_messages_since<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    endpoint_id: &WebhookEndpointId,
    since: DateTime<Utc>,
) -> Result<Vec<(WebhookMessageId, String)>, sqlx::Error> {
    let rows: Vec<(String, String)> = fetch_all!(
        ex,
        (String, String),
        "SELECT DISTINCT d.message_id, d.event_type FROM webhook_deliveries d
         WHERE d.workspace_id = $1 AND d.endpoint_id = $2 AND d.status = 'failed' AND d.created_at >= $3
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.workspace_id = d.workspace_id
                           AND o.endpoint_id = d.endpoint_id AND o.message_id = d.message_id
                           AND o.status IN ('succeeded', 'pending', 'sending'))",
        ws.as_str(),
        endpoint_id.as_str(),
        since
    )?;
    rows.into_iter()
        .map(|(id, event_type)| Ok((id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?, event_type)))
        .collect()
}

/// One attempt, as the delivery worker records it.
pub struct NewAttempt<'a> {
    pub delivery_id: &'a WebhookDeliveryId,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub latency_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub request: String,
    pub response_body: Option<&'a str>,
}

pub async fn insert_attempt<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    a: &NewAttempt<'_>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO webhook_attempts (id, workspace_id, delivery_id, attempt, started_at, latency_ms, status_code,
             error, request, response_body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        WebhookAttemptId::new().as_str(),
        ws.as_str(),
        a.delivery_id.as_str(),
        a.attempt,
        a.started_at,
        a.latency_ms,
        a.status_code,
        a.error,
        &a.request,
        a.response_body
    )?;
    Ok(())
}

/// Where a claimed delivery goes after its attempt.
pub struct DeliveryUpdate<'a> {
    pub status: &'a str,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<&'a str>,
}

/// Moves a delivery on after attempt number `attempts`, only if it is still
/// that attempt's (`sending` with that count: a worker whose lease ran out
/// changes nothing). Returns whether it did.
pub async fn finish_attempt<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &WebhookDeliveryId,
    attempts: i32,
    update: &DeliveryUpdate<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let changed = execute!(
        ex,
        "UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, last_status = $6, last_error = $7,
             updated_at = $8
         WHERE workspace_id = $1 AND id = $2 AND status = 'sending' AND attempts = $3",
        ws.as_str(),
        id.as_str(),
        attempts,
        update.status,
        update.next_attempt_at,
        update.last_status,
        update.last_error,
        now
    )?;
    Ok(changed == 1)
}

/// One attempt as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    #[sqlx(try_from = "String")]
    pub id: WebhookAttemptId,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub latency_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub request: String,
    pub response_body: Option<String>,
}

pub async fn attempts_of<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    delivery_id: &WebhookDeliveryId,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    fetch_all!(
        ex,
        AttemptRow,
        "SELECT id, attempt, started_at, latency_ms, status_code, error, request, response_body
         FROM webhook_attempts WHERE workspace_id = $1 AND delivery_id = $2 ORDER BY attempt",
        ws.as_str(),
        delivery_id.as_str()
    )
}

pub async fn message_payload<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    message_id: &WebhookMessageId,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = fetch_optional!(
        ex,
        (String,),
        "SELECT payload FROM webhook_messages WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        message_id.as_str()
    )?;
    Ok(row.map(|(p,)| p))
}
