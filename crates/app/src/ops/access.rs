//! Who may read `/metrics`. The scrape names every route, its traffic and
//! latency, the pool and the job queue: operators' data, not the public's.
//! By default the public listener answers it `404`, like any unknown path.
//! Two ways in, either or both:
//!
//! - `--metrics-listen ADDR`: a second listener that serves `GET /metrics`
//!   and nothing else, for an address only the scraper reaches (loopback,
//!   a private network);
//! - `--metrics-token TOKEN`: the public listener answers `GET /metrics`
//!   to `Authorization: Bearer TOKEN` (Prometheus `authorization` /
//!   `bearer_token_file`), and `401` to anything else.
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::AppError;
use crate::secrets::{Secret, constant_time_eq, sha256_hex};
use crate::state::AppState;

/// Long enough that guessing is hopeless even unthrottled.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The metrics settings: `--metrics-listen`, `--metrics-token`, their
/// environment variables and the TOML `[metrics]` table (`listen`, `token`).
#[derive(Debug, Clone, Default, clap::Args, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsArgs {
    /// Serve `GET /metrics` (and nothing else) on this address, e.g.
    /// `127.0.0.1:9464`; the public listener then need not serve it at all.
    #[arg(
        id = "metrics_listen",
        value_name = "ADDR",
        long = "metrics-listen",
        env = "SWITCHBOARD_METRICS_LISTEN",
        global = true
    )]
    pub listen: Option<SocketAddr>,
    /// Let the public listener answer `GET /metrics` to `Authorization:
    /// Bearer <token>` (at least 16 characters; prefer the environment
    /// variable to the flag). Without it, the public `/metrics` is a 404.
    #[arg(
        id = "metrics_token",
        value_name = "TOKEN",
        long = "metrics-token",
        env = "SWITCHBOARD_METRICS_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,
}

/// The resolved settings; `Debug` never prints the token.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    pub listen: Option<SocketAddr>,
    pub token: Option<Secret>,
}

impl MetricsArgs {
    pub fn resolve(&self) -> anyhow::Result<MetricsConfig> {
        let token = self.token.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(token) = token {
            anyhow::ensure!(
                token.chars().count() >= MIN_TOKEN_CHARS,
                "--metrics-token must be at least {MIN_TOKEN_CHARS} characters (e.g. `openssl rand -hex 32`)"
            );
        }
        Ok(MetricsConfig { listen: self.listen, token: token.map(|t| Secret::new(t.to_string())) })
    }
}

/// `GET /metrics` on the public listener: only with the configured bearer
/// token; a 404 page when none is configured.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics.token else {
        return AppError::not_found("This page").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // Hashed first, so the comparison's time says nothing about the length.
    match given {
        Some(given) if constant_time_eq(&sha256_hex(given), &sha256_hex(token.expose())) => {
            super::render_metrics(&state).await
        }
        // A bare 401, not a problem: the page layer would turn that into a
        // redirect to the sign-in page.
        _ => (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")], "").into_response(),
    }
}

/// The `--metrics-listen` server: `GET /metrics`, and 404 for anything else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { super::render_metrics(&state).await }))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tokens_stop_start_up_and_debug_hides_the_token() {
        let short = MetricsArgs { token: Some("secret".into()), ..Default::default() };
        let err = short.resolve().expect_err("too short");
        assert!(format!("{err:#}").contains("--metrics-token"), "{err:#}");
        let args = MetricsArgs {
            listen: Some("127.0.0.1:9464".parse().expect("addr")),
            token: Some(" from-the-flag-0123456789 ".into()),
        };
        let config = args.resolve().expect("resolves");
        assert_eq!(config.listen, args.listen);
        assert_eq!(config.token.as_ref().map(|t| t.expose().as_str()), Some("from-the-flag-0123456789"));
        assert!(!format!("{config:?}").contains("from-the-flag"), "Debug hides the token");
        let none = MetricsArgs::default().resolve().expect("defaults");
        assert!(none.listen.is_none() && none.token.is_none());
    }
}
