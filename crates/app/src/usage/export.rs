//! The CSV export of a period's usage events, oldest first, shared by the
//! page's **Export CSV** link and `GET /api/v1/usage/export`.
//!
//! Streamed row by row: a task reads the events through one sqlx fetch
//! stream and hands the response ~64 KiB chunks through a channel of four,
//! so memory stays flat however many events the period holds, and a slow
//! client slows the read instead of filling memory. A client that goes
//! away closes the channel and the read stops.
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::Db;
use tokio::sync::mpsc;

use super::UsageType;
use crate::csv_export::CsvRows;

pub const HEADER: [&str; 11] = [
    "id",
    "occurred_at",
    "occurred_at_local",
    "type",
    "quantity",
    "unit",
    "credits",
    "agent_id",
    "agent_name",
    "idempotency_key",
    "metadata",
];

/// Label of usage with no agent, and of an agent since deleted.
pub const NO_AGENT: &str = "No agent";
pub const DELETED_AGENT: &str = "Deleted agent";

const CHUNK_BYTES: usize = 64 * 1024;

const SQL: &str = "SELECT e.id, e.occurred_at, e.type, e.quantity, e.credits, e.agent_id, a.name AS agent_name, \
     e.idempotency_key, e.metadata FROM usage_events e \
     LEFT JOIN agents a ON a.id = e.agent_id AND a.workspace_id = e.workspace_id \
     WHERE e.workspace_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ORDER BY e.occurred_at, e.id";

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: String,
    occurred_at: DateTime<Utc>,
    #[sqlx(rename = "type")]
    kind: String,
    quantity: i64,
    credits: i64,
    agent_id: Option<String>,
    agent_name: Option<String>,
    idempotency_key: String,
    metadata: Option<String>,
}

/// Milli-credits as a decimal number of credits with three places (`1.500`).
pub fn decimal_credits(credits: Credits) -> String {
    let m = credits.millis();
    let sign = if m < 0 { "-" } else { "" };
    format!("{sign}{}.{:03}", m.unsigned_abs() / 1000, m.unsigned_abs() % 1000)
}

/// The name shown for an event's agent.
pub fn agent_label(agent_id: Option<&str>, name: Option<&str>) -> String {
    match (agent_id.filter(|id| !id.is_empty()), name) {
        (None, _) => NO_AGENT.to_string(),
        (Some(_), Some(name)) => name.to_string(),
        (Some(_), None) => DELETED_AGENT.to_string(),
    }
}

fn write_row(csv: &mut CsvRows, row: &ExportRow, tz: Tz) {
    let unit = UsageType::parse(&row.kind).map(UsageType::unit).unwrap_or("");
    let (quantity, credits) = (row.quantity.to_string(), decimal_credits(Credits::from_millis(row.credits)));
    let utc = row.occurred_at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let local = row.occurred_at.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let agent = agent_label(row.agent_id.as_deref(), row.agent_name.as_deref());
    csv.row([
        row.id.as_str(),
        utc.as_str(),
        local.as_str(),
        row.kind.as_str(),
        quantity.as_str(),
        unit,
        credits.as_str(),
        row.agent_id.as_deref().unwrap_or(""),
        agent.as_str(),
        row.idempotency_key.as_str(),
        row.metadata.as_deref().unwrap_or(""),
    ]);
}

/// Reads the events and sends CSV chunks until done, the client leaves, or
/// the read fails (then the body ends early and the error is logged: the
/// status line has gone already).
async fn produce(db: Db, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz, tx: mpsc::Sender<Bytes>) {
    let mut csv = CsvRows::with_capacity(CHUNK_BYTES + 1024);
    csv.row(HEADER);
    let mut rows_in_chunk = 0_usize;
    macro_rules! drain {
        ($pool:expr) => {{
            let mut rows =
                sqlx::query_as::<_, ExportRow>(SQL).bind(ws.as_str()).bind(from).bind(to).fetch($pool);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => {
                        write_row(&mut csv, &row, tz);
                        rows_in_chunk += 1;
                        // Checked every 256 rows: the writer's length is only
                        // known once flushed into the buffer.
                        if rows_in_chunk >= 256 {
                            rows_in_chunk = 0;
                            let full = std::mem::replace(&mut csv, CsvRows::with_capacity(CHUNK_BYTES + 1024));
                            if tx.send(Bytes::from(full.into_bytes())).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::error!(error = %err, "usage export stopped");
                        return;
                    }
                }
            }
        }};
    }
    match &db {
        Db::Sqlite(pool) => drain!(pool),
        Db::Postgres(pool) => drain!(pool),
    }
    let _ = tx.send(Bytes::from(csv.into_bytes())).await;
}

/// The CSV download of `ws`'s events in `[from, to)`, times also in `tz`.
pub fn response(db: &Db, ws: &WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz, filename: &str) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(produce(db.clone(), ws.clone(), from, to, tz, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<Bytes, std::io::Error>(chunk), rx))
    });
    let disposition = format!("attachment; filename=\"{}\"", filename.replace(['"', '\\', '\r', '\n'], "_"));
    (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_decimal_and_agents_are_named() {
        assert_eq!(decimal_credits(Credits::from_millis(1_500)), "1.500");
        assert_eq!(decimal_credits(Credits::from_millis(7)), "0.007");
        assert_eq!(agent_label(None, None), NO_AGENT);
        assert_eq!(agent_label(Some("agt_1"), None), DELETED_AGENT);
        assert_eq!(agent_label(Some("agt_1"), Some("Reception")), "Reception");
    }
}
