//! The `import.run` job: QUEUED → RUNNING → DONE or FAILED, through
//! [`pipeline::Run`] over the kind's target.
//!
//! Safe to retry: each batch commits its rows with the import's progress,
//! and a retried run resumes after the last committed row (see
//! `pipeline`). A run lasts at most half the job lease, then enqueues a
//! fresh job that goes on (a million rows take several); a run that finds
//! another one moved the import on stops (`RunError::Superseded`). A storage or database failure is retried on the job
//! schedule; the last attempt fails the import with the rows committed so
//! far kept. A file that cannot be read on (a row over 1 MiB…) fails at
//! once. One audit entry says the import finished, with its counts; the
//! file is removed once the import is settled (the errors CSV is built
//! from the failed rows kept in the database).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{ImportId, WorkspaceId};
use switchboard_db::Tx;

use super::model::{Import, ImportState};
use super::parse::RecordReader;
use super::pipeline::{ResumePoint, Run, RunError, RunSummary};
use super::target::ImportTarget;
use super::{service, store};
use crate::audit::{self, Changes, Origin};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::state::AppState;
use crate::with_target;

pub const RUN_JOB: &str = "import.run";

/// Who started the import: the rows' audit entries and events name them.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Actor {
    actor_type: String,
    actor_id: Option<String>,
    actor_name: String,
    ip: Option<String>,
    user_agent: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    import_id: String,
    actor: Actor,
}

fn actor_type(raw: &str) -> &'static str {
    match raw {
        "user" => "user",
        "token" => "token",
        _ => "system",
    }
}

/// Enqueues the import's run in the caller's transaction.
pub async fn enqueue(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &ImportId,
    origin: &Origin,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let actor = Actor {
        actor_type: origin.actor_type.to_owned(),
        actor_id: origin.actor_id.clone(),
        actor_name: origin.actor_name.clone(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    };
    let payload = serde_json::json!(Payload { import_id: id.to_string(), actor });
    crate::jobs::enqueue(tx, NewJob { kind: RUN_JOB, payload, workspace_id: Some(ws.clone()), run_at: at }).await?;
    Ok(())
}

/// Runs `import` over `target`, resuming after its last committed row.
/// (The outer `AppResult` is the shape [`with_target!`] needs.)
pub async fn run_with<T: ImportTarget>(
    state: &AppState,
    target: &T,
    import: &Import,
    origin: &Origin,
) -> crate::error::AppResult<Result<RunSummary, RunError>> {
    let ctx = target.prepare(state, &import.workspace_id, &import.options()).await?;
    Ok(run_target(state, target, &ctx, import, origin).await)
}

async fn run_target<T: ImportTarget>(
    state: &AppState,
    target: &T,
    ctx: &T::Context,
    import: &Import,
    origin: &Origin,
) -> Result<RunSummary, RunError> {
    let stream = service::open(state, &import.file_key).await.map_err(|e| RunError::Transient(format!("{e:?}")))?;
    let mut reader = RecordReader::new(stream, import.separator);
    let run = Run {
        target,
        ctx,
        origin,
        mapping: &import.mapping,
        workspace_id: &import.workspace_id,
        import_id: &import.id,
    };
    let resume = ResumePoint { last_row: u64::try_from(import.last_row).unwrap_or(1) };
    // A run may not outlast its job's lease (the worker stops it there and
    // counts a failure): past half the lease, it stops after the batch and
    // hands over to a fresh job (see `RunImport::run`).
    let budget = state.config.jobs.lease / 2;
    let started = std::time::Instant::now();
    run.run(&state.db, &mut reader, resume, |_| started.elapsed() < budget).await
}

/// Settles the import (DONE, or FAILED with `error`) with its audit entry,
/// then removes its file.
async fn settle(state: &AppState, import: &Import, origin: &Origin, error: Option<&str>) -> Result<(), JobError> {
    let now = state.clock.now();
    let ws = &import.workspace_id;
    let settled = ImportState::from_error(error);
    let work = async {
        let mut tx = state.db.begin().await?;
        if store::finish(&mut tx, ws, &import.id, settled, error, now).await? {
            let totals = store::find(&mut tx, ws, &import.id).await?.map(|i| i.counts).unwrap_or_default();
            let changes = Changes::new()
                .field("state", ImportState::Running.as_str(), settled.as_str())
                .field("rows_read", (), totals.rows_read)
                .field("created", (), totals.created)
                .field("updated", (), totals.updated)
                .field("skipped", (), totals.skipped)
                .field("failed", (), totals.failed)
                .field("error", (), error);
            audit::record(&mut tx, origin, &super::FINISHED, &service::target_of(import), &changes, now).await?;
        }
        tx.commit().await?;
        Ok::<(), anyhow::Error>(())
    };
    work.await.map_err(|e| JobError::Retry(format!("settling the import: {e:#}")))?;
    service::discard_file(state, &import.file_key).await;
    Ok(())
}

impl ImportState {
    fn from_error(error: Option<&str>) -> ImportState {
        if error.is_some() { ImportState::Failed } else { ImportState::Done }
    }
}

pub struct RunImport;

#[async_trait]
impl JobHandler for RunImport {
    fn kind(&self) -> &'static str {
        RUN_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: Payload = job.payload_as()?;
        let ws = job.workspace_id.clone().ok_or_else(|| JobError::Permanent("no workspace".into()))?;
        let id: ImportId =
            payload.import_id.parse().map_err(|_| JobError::Permanent("the import ID does not parse".into()))?;
        let origin = Origin {
            workspace_id: ws.clone(),
            actor_type: actor_type(&payload.actor.actor_type),
            actor_id: payload.actor.actor_id,
            actor_name: payload.actor.actor_name,
            ip: payload.actor.ip,
            user_agent: payload.actor.user_agent,
        };
        let db_error = |e: sqlx::Error| JobError::Retry(format!("database: {e}"));
        let Some(import) = store::find(&state.db, &ws, &id).await.map_err(db_error)? else { return Ok(()) };
        if !store::mark_running(&state.db, &ws, &id, state.clock.now()).await.map_err(db_error)? {
            return Ok(());
        }
        let max_attempts = state.config.jobs.retry_schedule.len() + 1;
        let last_attempt = job.attempts as usize >= max_attempts;
        let result = with_target!(import.kind, |target| run_with(state, target, &import, &origin).await);
        let result = match result {
            Ok(result) => result,
            // The target refused to prepare (a default country it cannot
            // read, say): nothing can run.
            Err(err) if err.problem().is_some() || last_attempt => {
                let message =
                    err.problem().map(|p| p.detail.clone()).unwrap_or_else(|| "The import cannot run.".into());
                return settle(state, &import, &origin, Some(&message)).await;
            }
            // The database or storage failed while preparing: later.
            Err(err) => return Err(JobError::Retry(format!("preparing the import: {err:?}"))),
        };
        match result {
            Ok(summary) if summary.finished => settle(state, &import, &origin, None).await,
            // The run's time is up (its lease would expire): a fresh job
            // goes on after the last committed batch.
            Ok(_) => {
                let handover = async {
                    let mut tx = state.db.begin().await?;
                    enqueue(&mut tx, &ws, &id, &origin, state.clock.now()).await?;
                    tx.commit().await?;
                    Ok::<(), anyhow::Error>(())
                };
                handover.await.map_err(|e| JobError::Retry(format!("handing over to the next run: {e:#}")))
            }
            Err(RunError::Superseded) => Ok(()),
            Err(RunError::File(err)) => settle(state, &import, &origin, Some(&err.to_string())).await,
            Err(RunError::Transient(detail)) if last_attempt => {
                tracing::warn!(import = %id, detail = %detail, "import still failing; giving up");
                let message = "The import stopped on a server error; the rows counted so far were imported.";
                settle(state, &import, &origin, Some(message)).await
            }
            Err(RunError::Transient(detail)) => Err(JobError::Retry(detail)),
        }
    }
}
