//! The `jobs` table's SQL, and nothing else.
//!
//! Every update that ends a run is fenced by `attempts`: each claim bumps it,
//! so a worker whose lease expired (and whose job another worker claimed
//! since) finds no row to update and cannot overwrite the newer outcome.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use switchboard_core::{JobId, WorkspaceId};
use switchboard_db::{IntoExec, Query, Tx, dialect, execute};

use super::{Job, NewJob};

/// A row as the claim returns it.
#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: String,
    workspace_id: Option<String>,
    kind: String,
    payload: Json<Value>,
    attempts: i32,
    run_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for Job {
    type Error = sqlx::Error;

    fn try_from(row: JobRow) -> Result<Job, sqlx::Error> {
        let decode = |e: switchboard_core::IdParseError| sqlx::Error::Decode(Box::new(e));
        Ok(Job {
            id: row.id.parse().map_err(decode)?,
            workspace_id: row.workspace_id.map(|id| id.parse::<WorkspaceId>()).transpose().map_err(decode)?,
            kind: row.kind,
            payload: row.payload.0,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            run_at: row.run_at,
            created_at: row.created_at,
        })
    }
}

pub(super) async fn insert(tx: &mut Tx, job: &NewJob) -> Result<JobId, sqlx::Error> {
    let id = JobId::new();
    execute!(
        tx,
        "INSERT INTO jobs (id, workspace_id, kind, payload, status, attempts, run_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        id.as_str(),
        job.workspace_id.as_ref().map(WorkspaceId::as_str),
        job.kind,
        Json(&job.payload),
        job.run_at
    )?;
    Ok(id)
}

/// The oldest due job — pending and due, or running with an expired lease —
/// is leased to the caller in one statement.
pub(super) async fn claim(
    tx: &mut Tx,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
) -> Result<Option<Job>, sqlx::Error> {
    // $1 is now, $2 the lease's end.
    let mut q = Query::new(
        "UPDATE jobs SET status = 'running', locked_until = $2, attempts = attempts + 1
         WHERE id = (
             SELECT id FROM jobs
             WHERE (status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)
             ORDER BY run_at, id
             LIMIT 1 ",
    );
    q.push(dialect::skip_locked(tx.backend()))
        .push(") RETURNING id, workspace_id, kind, payload, attempts, run_at, created_at");
    q.param(now);
    q.param(locked_until);
    let row: Option<JobRow> = q.fetch_optional(&mut *tx).await?;
    row.map(Job::try_from).transpose()
}

/// Returns false when the lease was lost (the row was not updated).
pub(super) async fn mark_done<'a>(ex: impl IntoExec<'a>, job: &Job, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let updated = execute!(
        ex,
        "UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, finished_at = $3
         WHERE id = $1 AND status = 'running' AND attempts = $2",
        job.id.as_str(),
        attempts(job),
        now
    )?;
    Ok(updated == 1)
}

pub(super) async fn mark_retry<'a>(
    ex: impl IntoExec<'a>,
    job: &Job,
    run_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let updated = execute!(
        ex,
        "UPDATE jobs SET status = 'pending', locked_until = NULL, run_at = $3, last_error = $4
         WHERE id = $1 AND status = 'running' AND attempts = $2",
        job.id.as_str(),
        attempts(job),
        run_at,
        error
    )?;
    Ok(updated == 1)
}

pub(super) async fn mark_failed<'a>(
    ex: impl IntoExec<'a>,
    job: &Job,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let updated = execute!(
        ex,
        "UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $3, finished_at = $4
         WHERE id = $1 AND status = 'running' AND attempts = $2",
        job.id.as_str(),
        attempts(job),
        error,
        now
    )?;
    Ok(updated == 1)
}

/// Deletes done jobs that finished before `before`; failed ones stay for inspection.
pub(super) async fn delete_done_before<'a>(ex: impl IntoExec<'a>, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM jobs WHERE status = 'done' AND finished_at < $1", before)
}

fn attempts(job: &Job) -> i32 {
    i32::try_from(job.attempts).unwrap_or(i32::MAX)
}
