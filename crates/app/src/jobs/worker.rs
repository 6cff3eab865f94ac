//! Claiming and running jobs: the background loop, and
//! [`run_pending_jobs`] which tests call instead of waiting for it.
use std::any::Any;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{Job, JobError, store};
use crate::state::AppState;

/// How long the worker sleeps when no job is due.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long done jobs are kept, and how often the worker deletes older ones.
const KEEP_DONE: TimeDelta = TimeDelta::days(7);
const CLEANUP_EVERY: TimeDelta = TimeDelta::hours(1);
/// Each retry delay is the schedule's step, moved by up to this fraction
/// either way, so jobs that failed together do not retry together.
const JITTER: f64 = 0.2;
/// `last_error` keeps this many characters.
const MAX_ERROR_CHARS: usize = 2000;

/// Leases the oldest due job to this process, or `None` when none is due.
/// The lease lasts `config.jobs.lease`; a job still `running` past it is
/// taken to belong to a dead process and is claimed again.
pub async fn claim_next(state: &AppState) -> anyhow::Result<Option<Job>> {
    let now = state.clock.now();
    let locked_until = add(now, state.config.jobs.lease);
    let mut tx = state.db.begin().await?;
    let job = store::claim(&mut tx, now, locked_until).await.context("claiming a job")?;
    tx.commit().await?;
    Ok(job)
}

/// Runs a claimed job's handler and records the outcome: `done`, back to
/// `pending` for a retry, or `failed`. A handler that panics or outruns its
/// lease counts as a failure to retry. If the lease was lost meanwhile
/// (another worker claimed the job again), the outcome is dropped.
pub async fn run_claimed(state: &AppState, job: Job) -> anyhow::Result<()> {
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    async {
        let max_attempts = state.config.jobs.retry_schedule.len() + 1;
        let outcome = if job.attempts as usize > max_attempts {
            // Only expired leases get here: the process died during each of
            // the last runs, so this job may be what kills it.
            Err(JobError::Permanent(format!("gave up after {} attempts", job.attempts - 1)))
        } else {
            run_handler(state, &job).await
        };
        let now = state.clock.now();
        let recorded = match &outcome {
            Ok(()) => {
                tracing::info!("job done");
                store::mark_done(&state.db, &job, now).await?
            }
            Err(JobError::Retry(msg)) => match retry_delay(&state.config.jobs.retry_schedule, job.attempts, jitter()) {
                Some(delay) => {
                    let run_at = add(now, delay);
                    tracing::warn!(error = %msg, %run_at, "job failed; will retry");
                    store::mark_retry(&state.db, &job, run_at, &truncate(msg)).await?
                }
                None => {
                    tracing::error!(error = %msg, "job failed; no retries left");
                    store::mark_failed(&state.db, &job, &truncate(msg), now).await?
                }
            },
            Err(JobError::Permanent(msg)) => {
                tracing::error!(error = %msg, "job failed permanently");
                store::mark_failed(&state.db, &job, &truncate(msg), now).await?
            }
        };
        if !recorded {
            tracing::warn!("job lease lost before the run ended; its outcome is dropped");
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// The handler's result, with panics, timeouts and unknown kinds turned
/// into errors. The handler runs in its own task so that a panic stays there.
async fn run_handler(state: &AppState, job: &Job) -> Result<(), JobError> {
    let Some(handler) = state.jobs.get(&job.kind) else {
        return Err(JobError::Permanent(format!("no handler for the job kind {:?}", job.kind)));
    };
    let task = tokio::spawn({
        let (state, job) = (state.clone(), job.clone());
        async move { handler.run(&state, &job).await }.in_current_span()
    });
    let abort = task.abort_handle();
    // Past its lease another worker may claim the job, so a run may not last longer.
    match tokio::time::timeout(state.config.jobs.lease, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(err)) if err.is_panic() => {
            Err(JobError::Retry(format!("the handler panicked: {}", panic_message(err.into_panic().as_ref()))))
        }
        Ok(Err(_)) => Err(JobError::Retry("the handler was cancelled".into())),
        Err(_) => {
            abort.abort();
            Err(JobError::Retry(format!("the handler ran longer than the lease ({:?})", state.config.jobs.lease)))
        }
    }
}

/// Runs every job that is due now, oldest first, until none is due
/// (including jobs that came due while the earlier ones ran). Returns how
/// many ran. Tests call it instead of waiting for the worker.
pub async fn run_pending_jobs(state: &AppState) -> anyhow::Result<usize> {
    let mut ran = 0;
    while let Some(job) = claim_next(state).await? {
        run_claimed(state, job).await?;
        ran += 1;
    }
    Ok(ran)
}

/// Deletes done jobs that finished more than 7 days ago.
pub async fn cleanup_done_jobs(state: &AppState) -> anyhow::Result<u64> {
    let deleted = store::delete_done_before(&state.db, state.clock.now() - KEEP_DONE).await?;
    if deleted > 0 {
        tracing::info!(deleted, "deleted old done jobs");
    }
    Ok(deleted)
}

/// What the worker does once an hour: deletes finished jobs, idle
/// rate-limit buckets (same as no row), idempotency keys past their 24
/// hours, and audit entries past `--audit-retention`. Failures are logged;
/// the next hour tries again.
pub async fn hourly_cleanup(state: &AppState) {
    if let Err(err) = cleanup_done_jobs(state).await {
        tracing::warn!(error = %format!("{err:#}"), "could not delete old jobs");
    }
    // The API's shared state: idle rate-limit buckets (same as
    // no row) and idempotency keys past their 24 hours.
    if let Err(err) = crate::ratelimit::delete_idle(&state.db, state.clock.now()).await {
        tracing::warn!(error = %err, "could not delete idle rate-limit buckets");
    }
    if let Err(err) = crate::api::idempotency::delete_expired(&state.db, state.clock.now()).await {
        tracing::warn!(error = %err, "could not delete expired idempotency keys");
    }
    // Each feature's periodic work (retention, expired history).
    for feature in state.features.iter() {
        if let Some(maintenance) = feature.maintenance
            && let Err(err) = maintenance(state).await
        {
            tracing::warn!(feature = feature.name, error = %format!("{err:#}"), "periodic maintenance failed");
        }
    }
}

/// The background worker: runs due jobs, sleeps [`POLL_INTERVAL`] when
/// there are none, and stops when `shutdown` turns true (after the job in
/// hand, if any). Errors are logged and the loop goes on.
pub fn spawn_worker(state: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(
        async move {
            tracing::info!(kinds = ?state.jobs.kinds(), "job worker started");
            let mut next_cleanup = state.clock.now();
            while !*shutdown.borrow() {
                if state.clock.now() >= next_cleanup {
                    hourly_cleanup(&state).await;
                    next_cleanup = state.clock.now() + CLEANUP_EVERY;
                }
                while !*shutdown.borrow() {
                    match claim_next(&state).await {
                        Ok(Some(job)) => {
                            if let Err(err) = run_claimed(&state, job).await {
                                tracing::warn!(error = %format!("{err:#}"), "could not record a job's outcome");
                            }
                        }
                        Ok(None) => break,
                        Err(err) => {
                            tracing::warn!(error = %format!("{err:#}"), "could not claim a job");
                            break;
                        }
                    }
                }
                tokio::select! {
                    changed = shutdown.changed() => if changed.is_err() { break },
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    () = state.jobs_wakeup.notified() => {}
                }
            }
            tracing::info!("job worker stopped");
        }
        .instrument(tracing::info_span!("job_worker")),
    )
}

/// The delay before retrying a job whose run number `attempts` (1-based)
/// failed, or `None` once the schedule is exhausted. `jitter` is the
/// fraction to move the step by, in `[-JITTER, JITTER]`.
fn retry_delay(schedule: &[Duration], attempts: u32, jitter: f64) -> Option<Duration> {
    let step = *schedule.get((attempts as usize).checked_sub(1)?)?;
    Some(Duration::try_from_secs_f64(step.as_secs_f64() * (1.0 + jitter)).unwrap_or(step))
}

fn jitter() -> f64 {
    rand::rng().random_range(-JITTER..=JITTER)
}

fn add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(by).ok().and_then(|by| at.checked_add_signed(by)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn truncate(msg: &str) -> String {
    msg.chars().take(MAX_ERROR_CHARS).collect()
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: [Duration; 3] = [Duration::from_secs(10), Duration::from_secs(60), Duration::from_secs(300)];

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        assert_eq!(retry_delay(&SCHEDULE, 1, 0.0), Some(Duration::from_secs(10)));
        assert_eq!(retry_delay(&SCHEDULE, 2, 0.0), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(&SCHEDULE, 3, 0.0), Some(Duration::from_secs(300)));
        assert_eq!(retry_delay(&SCHEDULE, 4, 0.0), None);
        assert_eq!(retry_delay(&SCHEDULE, 0, 0.0), None);
        assert_eq!(retry_delay(&[], 1, 0.0), None);
    }

    #[test]
    fn jitter_moves_a_step_by_at_most_a_fifth() {
        let millis = |jitter| retry_delay(&SCHEDULE, 1, jitter).map(|d| d.as_millis());
        assert_eq!(millis(JITTER), Some(12_000));
        assert_eq!(millis(-JITTER), Some(8_000));
        for _ in 0..1000 {
            let delay = retry_delay(&SCHEDULE, 2, jitter()).expect("a step");
            assert!(delay >= Duration::from_secs(48) && delay <= Duration::from_secs(72), "{delay:?}");
        }
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(truncate(&"é".repeat(5000)).chars().count(), MAX_ERROR_CHARS);
    }
}
