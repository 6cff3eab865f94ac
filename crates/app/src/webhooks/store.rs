//! The webhook tables' SQL: endpoints, messages, deliveries (the queue)
//! and attempts. One query text serves both databases.
use chrono::{DateTime, Utc};
use switchboard_db::{IntoExec, execute, fetch_all, fetch_optional};

/// An endpoint as stored (the secrets still sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub workspace_id: String,
    pub url: String,
    pub description: String,
    pub event_types: sqlx::types::Json<Vec<String>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret_enc: String,
    pub previous_secret_enc: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: String,
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

pub async fn insert_endpoint<'a>(ex: impl IntoExec<'a>, e: &EndpointRow) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, enabled, disabled_reason,
             secret_enc, previous_secret_enc, previous_secret_until, failing_since, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &e.id,
        &e.workspace_id,
        &e.url,
        &e.description,
        &e.event_types,
        e.enabled,
        e.disabled_reason.as_deref(),
        &e.secret_enc,
        e.previous_secret_enc.as_deref(),
        e.previous_secret_until,
        e.failing_since,
        &e.created_by,
        e.created_at,
        e.updated_at
    )?;
    Ok(())
}

/// Writes every editable column back.
pub async fn update_endpoint<'a>(ex: impl IntoExec<'a>, e: &EndpointRow) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, enabled = $6, disabled_reason = $7,
             secret_enc = $8, previous_secret_enc = $9, previous_secret_until = $10, failing_since = $11, updated_at = $12
         WHERE workspace_id = $1 AND id = $2",
        &e.workspace_id,
        &e.id,
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

pub async fn find_endpoint<'a>(ex: impl IntoExec<'a>, ws: &str, id: &str) -> Result<Option<EndpointRow>, sqlx::Error> {
    let sql = concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2");
    fetch_optional!(ex, EndpointRow, sql, ws, id)
}

pub async fn list_endpoints<'a>(ex: impl IntoExec<'a>, ws: &str) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        endpoint_columns!(),
        " FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id"
    );
    fetch_all!(ex, EndpointRow, sql, ws)
}

/// The enabled endpoints of a workspace, for enqueueing an event.
pub async fn enabled_endpoints<'a>(ex: impl IntoExec<'a>, ws: &str) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let sql =
        concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE workspace_id = $1 AND enabled = TRUE");
    fetch_all!(ex, EndpointRow, sql, ws)
}

pub async fn delete_endpoint<'a>(ex: impl IntoExec<'a>, ws: &str, id: &str) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2", ws, id)
}

pub async fn insert_message<'a>(
    ex: impl IntoExec<'a>,
    id: &str,
    ws: &str,
    event_type: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO webhook_messages (id, workspace_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        id,
        ws,
        event_type,
        payload,
        now
    )?;
    Ok(())
}

/// A new delivery of a message to an endpoint, due now.
pub async fn insert_delivery<'a>(
    ex: impl IntoExec<'a>,
    ws: &str,
    endpoint_id: &str,
    message_id: &str,
    event_type: &str,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let id = switchboard_core::WebhookDeliveryId::new().to_string();
    execute!(
        ex,
        "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, message_id, event_type, status, attempts,
             next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
        &id,
        ws,
        endpoint_id,
        message_id,
        event_type,
        now
    )?;
    Ok(id)
}

/// A delivery for the page and the API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub message_id: String,
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
    ws: &str,
    endpoint_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let sql = concat!(
        delivery_select!(),
        " WHERE d.workspace_id = $1 AND d.endpoint_id = $2 AND ($3 IS NULL OR d.id < $3)
         ORDER BY d.id DESC LIMIT $4"
    );
    fetch_all!(ex, DeliveryRow, sql, ws, endpoint_id, before, limit)
}

pub async fn find_delivery<'a>(ex: impl IntoExec<'a>, ws: &str, id: &str) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let sql = concat!(delivery_select!(), " WHERE d.workspace_id = $1 AND d.id = $2");
    fetch_optional!(ex, DeliveryRow, sql, ws, id)
}

/// One attempt as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: String,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub latency_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub request: String,
    pub response_body: Option<String>,
}

pub async fn attempts_of<'a>(ex: impl IntoExec<'a>, delivery_id: &str) -> Result<Vec<AttemptRow>, sqlx::Error> {
    fetch_all!(
        ex,
        AttemptRow,
        "SELECT id, attempt, started_at, latency_ms, status_code, error, request, response_body
         FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
        delivery_id
    )
}

pub async fn message_payload<'a>(ex: impl IntoExec<'a>, message_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        fetch_optional!(ex, (String,), "SELECT payload FROM webhook_messages WHERE id = $1", message_id)?;
    Ok(row.map(|(p,)| p))
}
