//! Operational endpoints: liveness, readiness and Prometheus metrics (who
//! may read them: [`access`]).
mod access;

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use switchboard_db::fetch_scalar;

use crate::state::AppState;

pub use access::{MetricsArgs, MetricsConfig, metrics, metrics_router};

/// The process-wide metrics recorder (the `metrics` facade has one global
/// recorder, so every app in a process — tests start several — shares it).
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
            &buckets,
        )?
        .build_recorder();
    let handle = recorder.handle();
    // Another thread may have won the race; use whichever handle stuck.
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(handle);
    }
    HANDLE.get().cloned().ok_or_else(|| anyhow::anyhow!("a different metrics recorder is installed"))
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Prometheus text format: requests and latency by route (recorded by the
/// request middleware), database pool gauges and job queue depth, read now.
async fn render_metrics(state: &AppState) -> Response {
    let (size, idle) = state.db.pool_stats();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    match fetch_scalar!(&state.db, i64, "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')") {
        Ok(depth) => metrics::gauge!("job_queue_depth").set(depth as f64),
        Err(err) => tracing::warn!(error = %err, "could not count jobs"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}
