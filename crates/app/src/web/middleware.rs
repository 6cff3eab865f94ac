//! Layers every request passes through: request IDs and tracing spans,
//! client metadata, security headers, metrics, and turning API-style errors
//! into HTML responses on page routes.
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use minijinja::context;
use tracing::Instrument;

use super::ClientMeta;
use super::flash::{Flash, redirect, redirect_with_flash};
use super::page::Page;
use crate::error::{Problem, REQUEST_ID};
use crate::state::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Gives every request an ID (or keeps a sane incoming `x-request-id`),
/// opens a tracing span carrying it so every log line names it, records
/// metrics by route, and echoes the ID in the response.
pub async fn request_context(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let started = Instant::now();
    let id_for_scope = request_id.clone();
    let mut response =
        REQUEST_ID.scope(id_for_scope, async move { next.run(req).await }.instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request finished");
    });
    metrics::counter!("http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.to_string(), "route" => route)
        .record(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

/// Records the client's address (the peer's, or behind a trusted proxy the
/// one it forwards) and user agent, for rate limits, throttling and audit.
pub async fn client_meta(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| {
        let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        state.config.trusted_proxies.client_ip(c.0.ip(), forwarded).to_string()
    });
    let user_agent =
        req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(512).collect());
    req.extensions_mut().insert(ClientMeta { ip, user_agent });
    next.run(req).await
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   font-src 'self'; connect-src 'self'; media-src 'self' blob:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Security headers on every response: a strict CSP with no inline script,
/// frame denial, no MIME sniffing, a same-origin referrer policy, and HSTS
/// and `Secure` on every cookie when the public URL is https.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    set_default(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set_default(headers, header::X_FRAME_OPTIONS, "DENY");
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(headers, header::REFERRER_POLICY, "same-origin");
    set_default(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set_default(headers, HeaderName::from_static("permissions-policy"), "camera=(), geolocation=(), payment=()");
    if state.config.secure_cookies() {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
        super::secure_cookies::mark_secure(headers);
    }
    response
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.entry(name).or_insert(HeaderValue::from_static(value));
}

/// On page routes, turns an error response (a [`Problem`]) into what a
/// person expects: the sign-in page, a redirect back with a toast, or an
/// HTML error page. API routes keep their problem+json.
pub async fn page_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let back = same_origin_referer(&state.public_url, req.headers()).filter(|r| r != &path);
    let response = next.run(req).await;
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    match (problem.status, problem.code) {
        (StatusCode::UNAUTHORIZED, _) => redirect("/signin"),
        (StatusCode::CONFLICT, "no_workspace") => redirect("/workspaces/new"),
        (StatusCode::FORBIDDEN, _) if method == Method::GET => {
            // Sent back where they came from, unless that is Settings too.
            let to = back.filter(|b| !b.starts_with("/settings")).unwrap_or_else(|| "/".to_string());
            redirect_with_flash(&to, Flash::error(problem.detail))
        }
        (status, _) if method != Method::GET && status.is_client_error() && status != StatusCode::NOT_FOUND => {
            redirect_with_flash(back.as_deref().unwrap_or("/"), Flash::error(problem.detail))
        }
        (status, _) => {
            let page = Page::bare(&path);
            let heading = match status {
                StatusCode::NOT_FOUND => "Page not found",
                StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
                _ => status.canonical_reason().unwrap_or("Error"),
            };
            let ctx = context! {
                title => heading,
                detail => problem.detail,
                status => status.as_u16(),
                request_id => crate::error::current_request_id(),
            };
            match page.render_status(&state, status, "errors/error.html", ctx).await {
                Ok(mut r) => {
                    // A 503 `server_busy` says when to come back.
                    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
                        r.headers_mut().insert(header::RETRY_AFTER, retry.clone());
                    }
                    r
                }
                Err(_) => response,
            }
        }
    }
}

/// The Referer as a path on this site, when it is one (see
/// [`super::redirect`]).
fn same_origin_referer(public_url: &str, headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    super::redirect::same_origin(public_url, referer)
}

/// Layer: after a request that may have changed something (any method but
/// GET/HEAD/OPTIONS) has been answered — its transaction committed — wakes
/// this process's outbox worker, so events go out at once rather than at
/// the next poll.
pub async fn wake_outbox_after_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let writes = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let response = next.run(req).await;
    if writes {
        state.webhooks_wakeup.notify_one();
    }
    response
}
