//! Shared by the webhook end-to-end tests: a receiver that checks every
//! request with the official Standard Webhooks library
//! (`tests/webhook_receiver.py`, Python's `standardwebhooks`), real server
//! processes, and helpers that move deliveries on with the manual clock.
#![allow(dead_code)]

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard::webhooks::store::{self, AttemptRow};
use switchboard_db::{Db, fetch_all, fetch_scalar};

use crate::harness::TestApp;

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tests/webhook_receiver.py` on a free loopback port.
pub struct PyReceiver {
    _child: Killed,
    pub base: String,
    client: reqwest::Client,
}

/// One request the receiver got.
#[derive(Debug, Clone, Deserialize)]
pub struct Hit {
    pub webhook_id: Option<String>,
    pub timestamp: Option<String>,
    /// How many signatures `webhook-signature` carried.
    pub signatures: usize,
    /// Indexes of the configured secrets the library verified it with.
    pub verified_by: Vec<usize>,
    /// Why the other secrets did not verify it.
    pub errors: Vec<String>,
    /// What the receiver answered.
    pub status: u16,
    /// Unix seconds (wall clock) when it was answered.
    pub time: f64,
    pub path: String,
    pub body: String,
}

impl PyReceiver {
    pub async fn start() -> PyReceiver {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 tests/webhook_receiver.py");
        let stdout = child.stdout.take().expect("stdout");
        let child = Killed(child);
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            line
        })
        .await
        .expect("read the port");
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            panic!("webhook_receiver.py printed {line:?}, not its port (pip install standardwebhooks)")
        });
        PyReceiver { _child: child, base: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new() }
    }

    /// The URL of a webhook path on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Changes the receiver's settings (see the script's docstring).
    pub async fn configure(&self, config: Value) {
        let res = self.client.post(self.url("/_config")).json(&config).send().await.expect("configure");
        assert_eq!(res.status(), 200);
    }

    /// Sets the clock the library checks `webhook-timestamp` against.
    pub async fn set_now(&self, now: DateTime<Utc>) {
        self.configure(json!({"now": now.timestamp()})).await;
    }

    pub async fn log(&self) -> Vec<Hit> {
        let res = self.client.get(self.url("/_log")).send().await.expect("log");
        res.json().await.expect("log json")
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// An endpoint's deliveries, oldest first.
pub async fn deliveries(db: &Db, endpoint_id: &str) -> Vec<Delivery> {
    fetch_all!(
        db,
        Delivery,
        "SELECT id, message_id, status, attempts, next_attempt_at, last_error FROM webhook_deliveries
         WHERE endpoint_id = $1 ORDER BY created_at, id",
        endpoint_id
    )
    .expect("deliveries")
}

/// A delivery's attempts, through the store (scoped by the delivery's workspace).
pub async fn attempts_of(db: &Db, delivery_id: &str) -> Vec<AttemptRow> {
    let ws = fetch_scalar!(db, String, "SELECT workspace_id FROM webhook_deliveries WHERE id = $1", delivery_id)
        .expect("the delivery's workspace");
    store::attempts_of(db, &ws.parse().expect("ws"), &delivery_id.parse().expect("delivery id"))
        .await
        .expect("attempts")
}

/// The earliest time a pending delivery is due.
pub async fn next_due(db: &Db) -> Option<DateTime<Utc>> {
    let rows: Vec<(Option<DateTime<Utc>>,)> = fetch_all!(
        db,
        (Option<DateTime<Utc>>,),
        "SELECT next_attempt_at FROM webhook_deliveries WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1"
    )
    .expect("next due");
    rows.into_iter().next().and_then(|(t,)| t)
}

/// Moves the manual clock forward to `at` (never back).
pub fn advance_to(app: &TestApp, at: DateTime<Utc>) {
    let by = at - app.clock_now();
    if by > chrono::Duration::zero() {
        app.clock.advance(by);
    }
}

/// Waits (polling) until `ready` returns true, or fails the test.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real `switchboard serve` process on the test app's database and data
/// dir (so the same server key), delivering webhooks on the wall clock.
/// Its log goes to `log` (shown when a test fails).
pub fn start_server(app: &TestApp, log: &Path, extra: &[&str]) -> Killed {
    start_server_at(app, log, extra).0
}

/// [`start_server`], and the URL the server printed.
pub fn start_server_at(app: &TestApp, log: &Path, extra: &[&str]) -> (Killed, String) {
    let config = &app.state.config;
    let log_file = std::fs::File::create(log).expect("server log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .args(extra)
        .env_remove("DATABASE_URL")
        .env("SWITCHBOARD_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("spawn switchboard serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let _ = std::io::BufReader::new(stdout).read_line(&mut line);
    assert!(
        line.starts_with("Switchboard is running at "),
        "the server did not start: {line:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    let url = line.trim().trim_start_matches("Switchboard is running at ").to_string();
    (Killed(child), url)
}
