//! The `imports` and `import_row_errors` tables, and nothing else. Every
//! function takes the workspace ID first.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use switchboard_core::{ImportId, WorkspaceId};
use switchboard_db::{IntoExec, Query, Tx, execute, fetch_all};

use super::model::{Counts, Import, ImportState, RowErrorRecord};
use super::parse::Separator;
use super::target::{ImportKind, OnDuplicate};
use crate::error::FieldError;

const SELECT: &str = "SELECT id, workspace_id, kind, state, file_name, file_key, size_bytes, separator, header,
        mapping, on_duplicate, default_country, rows_read, created_count, updated_count, skipped_count, failed_count, bytes_read,
        last_row, error, created_by, created_at, started_at, finished_at
     FROM imports";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    workspace_id: String,
    kind: String,
    state: String,
    file_name: String,
    file_key: String,
    size_bytes: i64,
    separator: String,
    header: String,
    mapping: String,
    on_duplicate: String,
    default_country: String,
    rows_read: i64,
    created_count: i64,
    updated_count: i64,
    skipped_count: i64,
    failed_count: i64,
    bytes_read: i64,
    last_row: i64,
    error: Option<String>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

fn decode(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("imports.{what}: {err}").into())
}

impl TryFrom<Row> for Import {
    type Error = sqlx::Error;

    fn try_from(r: Row) -> Result<Import, sqlx::Error> {
        Ok(Import {
            id: r.id.parse().map_err(|e| decode("id", e))?,
            workspace_id: r.workspace_id.parse().map_err(|e| decode("workspace_id", e))?,
            kind: ImportKind::parse(&r.kind).ok_or_else(|| decode("kind", &r.kind))?,
            state: ImportState::parse(&r.state).ok_or_else(|| decode("state", &r.state))?,
            file_name: r.file_name,
            file_key: r.file_key,
            size_bytes: r.size_bytes,
            separator: Separator::parse(&r.separator).ok_or_else(|| decode("separator", &r.separator))?,
            header: serde_json::from_str(&r.header).map_err(|e| decode("header", e))?,
            mapping: serde_json::from_str(&r.mapping).map_err(|e| decode("mapping", e))?,
            on_duplicate: OnDuplicate::from_db(&r.on_duplicate)
                .ok_or_else(|| decode("on_duplicate", &r.on_duplicate))?,
            default_country: r.default_country,
            counts: Counts {
                rows_read: r.rows_read,
                created: r.created_count,
                updated: r.updated_count,
                skipped: r.skipped_count,
                failed: r.failed_count,
            },
            bytes_read: r.bytes_read,
            last_row: r.last_row,
            error: r.error,
            created_by: r.created_by.map(|u| u.parse().map_err(|e| decode("created_by", e))).transpose()?,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

pub async fn insert<'a>(ex: impl IntoExec<'a>, import: &Import) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO imports (id, workspace_id, kind, state, file_name, file_key, size_bytes, separator, header,
            mapping, on_duplicate, default_country, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        import.id.as_str(),
        import.workspace_id.as_str(),
        import.kind.as_str(),
        import.state.as_str(),
        import.file_name.as_str(),
        import.file_key.as_str(),
        import.size_bytes,
        import.separator.as_str(),
        json(&import.header),
        json(&import.mapping),
        import.on_duplicate.as_db(),
        import.default_country.as_str(),
        import.created_by.as_ref().map(|u| u.to_string()),
        import.created_at,
    )?;
    Ok(())
}

pub async fn find<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, id: &ImportId) -> Result<Option<Import>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    q.fetch_optional::<Row>(ex).await?.map(Import::try_from).transpose()
}

/// The workspace's imports, newest first.
pub async fn list_recent<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, limit: i64) -> Result<Vec<Import>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all::<Row>(ex).await?.into_iter().map(Import::try_from).collect()
}

/// Keeps a mapping, separator and default country chosen before the
/// start (UPLOADED only).
pub async fn set_mapping<'a>(ex: impl IntoExec<'a>, import: &Import) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE imports SET separator = $3, header = $4, mapping = $5, default_country = $6
         WHERE workspace_id = $1 AND id = $2 AND state = 'UPLOADED'",
        import.workspace_id.as_str(),
        import.id.as_str(),
        import.separator.as_str(),
        json(&import.header),
        json(&import.mapping),
        import.default_country.as_str(),
    )?;
    Ok(n == 1)
}

/// UPLOADED → QUEUED with the final mapping; false when not UPLOADED
/// (started already: a second start does nothing).
pub async fn queue(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &ImportId,
    mapping: &[Option<String>],
    on_duplicate: OnDuplicate,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        "UPDATE imports SET state = 'QUEUED', mapping = $3, on_duplicate = $4
         WHERE workspace_id = $1 AND id = $2 AND state = 'UPLOADED'",
        ws.as_str(),
        id.as_str(),
        json(&mapping),
        on_duplicate.as_db(),
    )?;
    Ok(n == 1)
}

/// QUEUED (or RUNNING, on a retry) → RUNNING; false when settled.
pub async fn mark_running<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &ImportId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE imports SET state = 'RUNNING', started_at = COALESCE(started_at, $3)
         WHERE workspace_id = $1 AND id = $2 AND state IN ('QUEUED', 'RUNNING')",
        ws.as_str(),
        id.as_str(),
        now,
    )?;
    Ok(n == 1)
}

/// Adds a committed batch's counts and moves the resume point, in the
/// batch's transaction; false when the resume point was not
/// `prev_last_row` (another run of the import moved on: this one stops).
pub async fn add_progress(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &ImportId,
    delta: &Counts,
    bytes_read: u64,
    (prev_last_row, last_row): (u64, u64),
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        "UPDATE imports SET rows_read = rows_read + $3, created_count = created_count + $4,
            updated_count = updated_count + $5, skipped_count = skipped_count + $6,
            failed_count = failed_count + $7, bytes_read = $8, last_row = $9
         WHERE workspace_id = $1 AND id = $2 AND last_row = $10",
        ws.as_str(),
        id.as_str(),
        delta.rows_read,
        delta.created,
        delta.updated,
        delta.skipped,
        delta.failed,
        i64::try_from(bytes_read).unwrap_or(i64::MAX),
        i64::try_from(last_row).unwrap_or(i64::MAX),
        i64::try_from(prev_last_row).unwrap_or(i64::MAX),
    )?;
    Ok(n == 1)
}

/// Uploads never started and older than `before` (drafts left on the
/// mapping page): their workspace and file keys.
pub async fn abandoned<'a>(
    ex: impl IntoExec<'a>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    fetch_all!(
        ex,
        (String, String, String),
        "SELECT workspace_id, id, file_key FROM imports WHERE state = 'UPLOADED' AND created_at < $1
         ORDER BY created_at LIMIT $2",
        before,
        limit
    )
}

/// Deletes one draft (still UPLOADED); false when it was started meanwhile.
pub async fn delete_draft<'a>(ex: impl IntoExec<'a>, ws: &str, id: &str) -> Result<bool, sqlx::Error> {
    let n = execute!(ex, "DELETE FROM imports WHERE workspace_id = $1 AND id = $2 AND state = 'UPLOADED'", ws, id)?;
    Ok(n == 1)
}

/// RUNNING/QUEUED → DONE or FAILED (with the reason).
pub async fn finish(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &ImportId,
    state: ImportState,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        "UPDATE imports SET state = $3, error = $4, finished_at = $5
         WHERE workspace_id = $1 AND id = $2 AND state IN ('QUEUED', 'RUNNING')",
        ws.as_str(),
        id.as_str(),
        state.as_str(),
        error,
        now,
    )?;
    Ok(n == 1)
}

/// Keeps a failed row (a retried batch writing it again changes nothing).
pub async fn insert_row_error(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &ImportId,
    row: u64,
    cells: &[String],
    errors: &[FieldError],
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        "INSERT INTO import_row_errors (import_id, workspace_id, row_number, cells, errors)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (import_id, row_number) DO NOTHING",
        id.as_str(),
        ws.as_str(),
        i64::try_from(row).unwrap_or(i64::MAX),
        json(&cells),
        json(&errors),
    )?;
    Ok(())
}

/// Row numbers of the failed rows (to rebuild the duplicates set on a resume).
pub async fn failed_rows<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &ImportId,
) -> Result<HashSet<u64>, sqlx::Error> {
    let rows: Vec<(i64,)> = fetch_all!(
        ex,
        (i64,),
        "SELECT row_number FROM import_row_errors WHERE workspace_id = $1 AND import_id = $2",
        ws.as_str(),
        id.as_str(),
    )?;
    Ok(rows.into_iter().map(|(n,)| n.max(0) as u64).collect())
}

#[derive(sqlx::FromRow)]
struct ErrorRow {
    row_number: i64,
    cells: String,
    errors: String,
}

/// Failed rows after `after_row`, in row order, at most `limit`.
pub async fn row_errors<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &ImportId,
    after_row: i64,
    limit: i64,
) -> Result<Vec<RowErrorRecord>, sqlx::Error> {
    let rows = fetch_all!(
        ex,
        ErrorRow,
        "SELECT row_number, cells, errors FROM import_row_errors
         WHERE workspace_id = $1 AND import_id = $2 AND row_number > $3 ORDER BY row_number LIMIT $4",
        ws.as_str(),
        id.as_str(),
        after_row,
        limit,
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(RowErrorRecord {
                row_number: r.row_number,
                cells: serde_json::from_str(&r.cells).map_err(|e| decode("cells", e))?,
                errors: serde_json::from_str::<Vec<StoredFieldError>>(&r.errors)
                    .map_err(|e| decode("errors", e))?
                    .into_iter()
                    .map(|e| FieldError::new(e.field, e.message))
                    .collect(),
            })
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct StoredFieldError {
    field: String,
    message: String,
}
