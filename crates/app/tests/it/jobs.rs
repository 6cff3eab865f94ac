//! The job queue: jobs ride the caller's transaction, run once, retry on
//! the schedule, fail for good, survive a dead worker through the lease, and
//! two workers on one database never run a job twice.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use switchboard::clock::Clock;
use switchboard::jobs::{self, Job, JobError, JobHandler, NewJob, Registry};
use switchboard::state::AppState;
use switchboard_core::JobId;
use switchboard_db::{fetch_one, fetch_scalar};

use crate::harness::{TestApp, on_postgres};

type Behaviour = dyn Fn(&Job) -> Result<(), JobError> + Send + Sync;

/// A handler that counts its runs per job and answers as told.
#[derive(Clone)]
struct Scripted {
    kind: &'static str,
    runs: Arc<Mutex<HashMap<JobId, u32>>>,
    behaviour: Arc<Behaviour>,
    /// Real time each run takes, so that concurrent workers overlap.
    pause: Duration,
}

impl Scripted {
    fn new(kind: &'static str, behaviour: impl Fn(&Job) -> Result<(), JobError> + Send + Sync + 'static) -> Self {
        Scripted { kind, runs: Arc::default(), behaviour: Arc::new(behaviour), pause: Duration::ZERO }
    }

    fn runs_of(&self, id: &JobId) -> u32 {
        self.runs.lock().expect("runs").get(id).copied().unwrap_or(0)
    }
}

#[async_trait]
impl JobHandler for Scripted {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn run(&self, _state: &AppState, job: &Job) -> Result<(), JobError> {
        *self.runs.lock().expect("runs").entry(job.id.clone()).or_default() += 1;
        if !self.pause.is_zero() {
            tokio::time::sleep(self.pause).await;
        }
        (self.behaviour)(job)
    }
}

async fn app_with(handler: &Scripted) -> TestApp {
    TestApp::spawn_with_jobs(jobs::registry().with(handler.clone())).await
}

async fn enqueue(app: &TestApp, kind: &'static str) -> JobId {
    let mut tx = app.state.db.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, new_job(kind, app.clock_now())).await.expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

fn new_job(kind: &'static str, run_at: DateTime<Utc>) -> NewJob {
    NewJob { kind, payload: json!({ "n": 1 }), workspace_id: None, run_at }
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    status: String,
    attempts: i32,
    last_error: Option<String>,
    run_at: DateTime<Utc>,
}

async fn row(app: &TestApp, id: &JobId) -> Row {
    fetch_one!(&app.state.db, Row, "SELECT status, attempts, last_error, run_at FROM jobs WHERE id = $1", id.as_str())
        .expect("job row")
}

fn advance(app: &TestApp, by: Duration) {
    app.clock.advance(TimeDelta::from_std(by).expect("delta"));
}

#[tokio::test]
async fn a_job_exists_only_if_its_transaction_commits() {
    let handler = Scripted::new("test.run", |_| Ok(()));
    let app = app_with(&handler).await;

    let mut tx = app.state.db.begin().await.expect("begin");
    jobs::enqueue(&mut tx, new_job("test.run", app.clock_now())).await.expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM jobs").expect("count"), 0);
    assert_eq!(app.run_jobs().await, 0);

    let id = enqueue(&app, "test.run").await;
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(handler.runs_of(&id), 1);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("done", 1));
}

#[tokio::test]
async fn a_job_waits_for_its_run_at() {
    let handler = Scripted::new("test.run", |_| Ok(()));
    let app = app_with(&handler).await;
    let mut tx = app.state.db.begin().await.expect("begin");
    let later = jobs::enqueue(&mut tx, new_job("test.run", app.clock_now() + TimeDelta::minutes(5))).await;
    tx.commit().await.expect("commit");
    let later = later.expect("enqueue");
    let first = enqueue(&app, "test.run").await;

    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(handler.runs_of(&first), 1);
    advance(&app, Duration::from_secs(299));
    assert_eq!(app.run_jobs().await, 0);
    advance(&app, Duration::from_secs(1));
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(handler.runs_of(&later), 1);
}

#[tokio::test]
async fn a_retried_job_waits_for_its_schedule_step() {
    let handler = Scripted::new("test.flaky", |job| {
        if job.attempts == 1 { Err(JobError::Retry("the line was busy".into())) } else { Ok(()) }
    });
    let app = app_with(&handler).await;
    let id = enqueue(&app, "test.flaky").await;
    let start = app.clock_now();

    assert_eq!(app.run_jobs().await, 1);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("pending", 1));
    assert_eq!(job.last_error.as_deref(), Some("the line was busy"));
    // The first step is 10 s, ±20 %.
    let delay = job.run_at - start;
    assert!(delay >= TimeDelta::seconds(8) && delay <= TimeDelta::seconds(12), "{delay}");

    advance(&app, Duration::from_secs(7));
    assert_eq!(app.run_jobs().await, 0);
    advance(&app, Duration::from_secs(6));
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(handler.runs_of(&id), 2);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts, job.last_error.as_deref()), ("done", 2, None));
}

#[tokio::test]
async fn a_job_that_keeps_failing_fails_once_the_schedule_is_exhausted() {
    let handler = Scripted::new("test.broken", |job| Err(JobError::Retry(format!("attempt {} failed", job.attempts))));
    let app = app_with(&handler).await;
    let id = enqueue(&app, "test.broken").await;
    let schedule = app.state.config.jobs.retry_schedule.clone();
    assert_eq!(schedule.len(), 7, "the default schedule");

    for step in &schedule {
        assert_eq!(app.run_jobs().await, 1);
        assert_eq!(row(&app, &id).await.status, "pending");
        advance(&app, step.mul_f64(1.21));
    }
    assert_eq!(app.run_jobs().await, 1);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 8));
    assert_eq!(job.last_error.as_deref(), Some("attempt 8 failed"));
    advance(&app, Duration::from_secs(86_400));
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(handler.runs_of(&id), 8);
}

#[tokio::test]
async fn a_permanent_error_fails_the_job_at_once() {
    let handler = Scripted::new("test.refused", |_| Err(JobError::Permanent("no such mailbox".into())));
    let app = app_with(&handler).await;
    let id = enqueue(&app, "test.refused").await;

    assert_eq!(app.run_jobs().await, 1);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert_eq!(job.last_error.as_deref(), Some("no such mailbox"));
    advance(&app, Duration::from_secs(86_400));
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(handler.runs_of(&id), 1);
}

#[tokio::test]
async fn a_job_of_an_unknown_kind_fails() {
    let app = TestApp::spawn_with_jobs(Registry::new()).await;
    let id = enqueue(&app, "nobody.home").await;
    assert_eq!(app.run_jobs().await, 1);
    let job = row(&app, &id).await;
    assert_eq!(job.status, "failed");
    assert!(job.last_error.as_deref().is_some_and(|e| e.contains("no handler")), "{job:?}");
}

#[tokio::test]
async fn a_panicking_handler_is_retried_and_the_queue_goes_on() {
    let handler = Scripted::new("test.panics", |job| {
        if job.payload["panic"] == true {
            panic!("handler bug");
        }
        Ok(())
    });
    let app = app_with(&handler).await;
    let mut tx = app.state.db.begin().await.expect("begin");
    let now = app.clock_now();
    let bad = jobs::enqueue(&mut tx, NewJob { payload: json!({ "panic": true }), ..new_job("test.panics", now) })
        .await
        .expect("enqueue");
    let good = jobs::enqueue(&mut tx, new_job("test.panics", now)).await.expect("enqueue");
    tx.commit().await.expect("commit");

    assert_eq!(app.run_jobs().await, 2);
    let job = row(&app, &bad).await;
    assert_eq!(job.status, "pending");
    assert!(job.last_error.as_deref().is_some_and(|e| e.contains("panicked: handler bug")), "{job:?}");
    assert_eq!(row(&app, &good).await.status, "done");
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again_after_its_lease() {
    // The first run "crashes" (its outcome arrives too late to count).
    let handler = Scripted::new("test.crash", |job| {
        if job.attempts == 1 { Err(JobError::Permanent("too late to matter".into())) } else { Ok(()) }
    });
    let app = app_with(&handler).await;
    let id = enqueue(&app, "test.crash").await;
    let lease = app.state.config.jobs.lease;

    // A worker claims the job and dies before finishing it.
    let stale = jobs::claim_next(&app.state).await.expect("claim").expect("a due job");
    assert_eq!((&stale.id, stale.attempts), (&id, 1));
    assert_eq!(row(&app, &id).await.status, "running");
    assert_eq!(app.run_jobs().await, 0, "the lease still holds");
    advance(&app, lease - Duration::from_secs(1));
    assert_eq!(app.run_jobs().await, 0, "the lease still holds");

    advance(&app, Duration::from_secs(2));
    assert_eq!(app.run_jobs().await, 1);
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));

    // The first worker was only slow: its late outcome is dropped.
    jobs::run_claimed(&app.state, stale).await.expect("late outcome");
    let job = row(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts, job.last_error.as_deref()), ("done", 2, None));
}

#[tokio::test]
async fn done_jobs_are_deleted_after_a_week() {
    let handler = Scripted::new("test.run", |_| Ok(()));
    let app = app_with(&handler).await;
    let done = enqueue(&app, "test.run").await;
    assert_eq!(app.run_jobs().await, 1);
    let failed = enqueue(&app, "nobody.home").await;
    assert_eq!(app.run_jobs().await, 1);

    advance(&app, Duration::from_secs(6 * 86_400));
    assert_eq!(jobs::cleanup_done_jobs(&app.state).await.expect("cleanup"), 0);
    advance(&app, Duration::from_secs(2 * 86_400));
    assert_eq!(jobs::cleanup_done_jobs(&app.state).await.expect("cleanup"), 1);
    let left = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM jobs WHERE id = $1", done.as_str());
    assert_eq!(left.expect("count"), 0);
    assert_eq!(row(&app, &failed).await.status, "failed", "failed jobs stay");
}

#[tokio::test]
async fn the_worker_runs_due_jobs_and_stops_on_shutdown() {
    let handler = Scripted::new("test.run", |_| Ok(()));
    let app = app_with(&handler).await;
    let id = enqueue(&app, "test.run").await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let worker = jobs::spawn_worker(app.state.clone(), shutdown);
    for _ in 0..200 {
        if handler.runs_of(&id) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(handler.runs_of(&id), 1);
    stop.send(true).expect("worker listens");
    tokio::time::timeout(Duration::from_secs(5), worker).await.expect("stops promptly").expect("no panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_database_never_run_a_job_twice() {
    let mut handler = Scripted::new("test.once", |_| Ok(()));
    handler.pause = Duration::from_millis(2);
    let app = app_with(&handler).await;
    // A second process: its own pool on the same database.
    let other = switchboard::server::build_state_with_jobs(
        app.state.config.clone(),
        app.url.clone(),
        app.clock.clone(),
        jobs::registry().with(handler.clone()),
    )
    .await
    .expect("second state");

    let mut tx = app.state.db.begin().await.expect("begin");
    let now = app.clock.now();
    for _ in 0..200 {
        jobs::enqueue(&mut tx, new_job("test.once", now)).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");

    let first = tokio::spawn({
        let state = app.state.clone();
        async move { jobs::run_pending_jobs(&state).await }
    });
    let second = tokio::spawn(async move { jobs::run_pending_jobs(&other).await });
    let first = first.await.expect("task").expect("first worker");
    let second = second.await.expect("task").expect("second worker");

    assert_eq!(first + second, 200, "first ran {first}, second ran {second}");
    if on_postgres() {
        assert!(first > 0 && second > 0, "both claimed: first ran {first}, second ran {second}");
    }
    let runs = handler.runs.lock().expect("runs").clone();
    assert_eq!(runs.len(), 200);
    assert!(runs.values().all(|&n| n == 1), "a job ran twice");
    let done = fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").expect("count");
    assert_eq!(done, 200);
}

#[tokio::test]
async fn an_email_job_is_sent_through_the_configured_sender() {
    let app = TestApp::spawn().await;
    let message = switchboard_providers::email::EmailMessage {
        to: "bob@example.com".into(),
        subject: "Hello from the queue".into(),
        text: "Plain body".into(),
        html: "<p>HTML body</p>".into(),
        message_id: "test.1@switchboard.localhost".into(),
    };
    let mut tx = app.state.db.begin().await.expect("begin");
    let id = jobs::email::enqueue_email(&mut tx, None, &message, app.clock_now()).await.expect("enqueue");
    tx.commit().await.expect("commit");
    assert!(app.outbox().is_empty(), "nothing is sent before the job runs");

    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(row(&app, &id).await.status, "done");
    let outbox = app.outbox();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].contains("Hello from the queue"));
}
