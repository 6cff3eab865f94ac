//! `Idempotency-Key` on every mutating `/api/v1` call, after Stripe's
//! idempotency keys and draft-ietf-httpapi-idempotency-key-header.
//!
//! The first POST/PUT/PATCH/DELETE with a key claims the row
//! `(scope, key)` in `idempotency_keys`, runs, and stores its status,
//! content type and body. Within 24 hours the same key with the same
//! request replays that response (with `Idempotent-Replayed: true`); with
//! another request it is a 422; while the first is still running it is a
//! 409 with `Retry-After`. Every decision is one statement on the shared
//! row, never process memory, so several processes on one PostgreSQL
//! database behave as one.
//!
//! Not stored, so a retry runs again: 5xx responses (the change rolled
//! back) and 429s. Only the status, `Content-Type` and body are replayed;
//! other response headers are not. A response marked `Cache-Control:
//! no-store` (one that shows a secret once, like a new API token) keeps
//! its key but not its body: a retry learns that the request succeeded
//! (409 `idempotency_response_not_kept`) rather than getting the secret
//! from a table that would hold it in plain text for a day.
mod store;

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use switchboard_db::{Db, execute};
use tracing::Instrument;

use self::store::{complete, find, release, take_over, try_claim};
use crate::auth::api_token;
use crate::auth::session::MaybeSession;
use crate::error::{AppError, REQUEST_ID, current_request_id};
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long a key is remembered, counted from its first use.
pub const RETENTION: Duration = Duration::hours(24);
/// How long a running request holds its key before another may take it
/// over; the request timeout is as long, so a live request never loses it.
pub const LOCK: Duration = Duration::seconds(60);
const MAX_KEY_LEN: usize = 255;
const IN_USE_RETRY_AFTER_SECS: u64 = 1;
/// Rounds of claim → look, for when the row changes between the two
/// (deleted by a failed first request, or taken over by another process).
const CLAIM_ATTEMPTS: usize = 3;

/// Middleware for the API router; see the module header.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
        return next.run(req).await;
    }
    let key = match idempotency_key(req.headers()) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(req).await,
        Err(err) => return err.into_response(),
    };
    let Some(scope) = scope(req.extensions()) else {
        // Unauthenticated: the handler answers 401 (or does not need a
        // caller); there is no one to scope the key to.
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let limit = crate::routes::MAX_BODY_BYTES;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return AppError::payload_too_large(format!("The request is larger than {} MiB.", limit / (1024 * 1024)))
            .into_response();
    };
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let claim = Claim {
        scope,
        key,
        request_hash: fingerprint(
            &state.server_key.current().subkey(FINGERPRINT_PURPOSE),
            &parts.method,
            target,
            &body,
        ),
    };
    let req = Request::from_parts(parts, Body::from(body));
    match decide(&state, claim, req, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

/// Deletes keys older than [`RETENTION`]; returns how many.
pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(db, "DELETE FROM idempotency_keys WHERE created_at < $1", now - RETENTION)
}

/// The key of a request: `Ok(None)` without the header; 400 when it is
/// not 1–255 visible ASCII characters or is sent twice.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let mut values = headers.get_all(&IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    if values.next().is_some() || bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !visible {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "The Idempotency-Key header must be one value of 1 to 255 visible ASCII characters (no spaces), \
             for example a UUID.",
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// Whose keys these are: `token:<id>` or `user:<id>`; keys of different
/// callers never meet. A session's key is not tied to its current
/// workspace: a retried `DELETE /api/v1/workspace` or workspace switch
/// must replay, not act on the workspace the session moved to.
fn scope(extensions: &Extensions) -> Option<String> {
    // The token layer runs first, and a token replaces any cookie session.
    if let Some(caller) = api_token::caller(extensions) {
        return Some(format!("token:{}", caller.token_id));
    }
    let session = extensions.get::<MaybeSession>()?.0.as_ref()?;
    Some(format!("user:{}", session.user_id))
}

/// The server subkey the fingerprints are keyed with.
const FINGERPRINT_PURPOSE: &str = "idempotency-fingerprint";

/// HMAC-SHA-256 under a server subkey over the method, path and query, and
/// body, each length-prefixed so no two different requests share an
/// encoding. Keyed, because a body may hold a secret of little entropy (a
/// card number sent to `PUT /api/v1/payment-method`) that a plain hash kept
/// in the database would let anyone reading it recover by trying them all.
/// (A key rotation within a key's 24 hours makes its retry a mismatch, 422,
/// never a wrong replay.)
fn fingerprint(key: &[u8; 32], method: &Method, target: &str, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(body.len() + target.len() + 32);
    for part in [method.as_str().as_bytes(), target.as_bytes(), body] {
        message.extend_from_slice(&(part.len() as u64).to_be_bytes());
        message.extend_from_slice(part);
    }
    hex::encode(crate::server_key::hmac_sha256(key, &message))
}

#[derive(Debug, Clone)]
struct Claim {
    scope: String,
    key: String,
    request_hash: String,
}

#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    request_hash: String,
    state: String,
    locked_until: DateTime<Utc>,
    status_code: Option<i64>,
    content_type: Option<String>,
    response_body: Option<Vec<u8>>,
}

/// Claims the key and runs the request, or answers from the row another
/// request holds.
async fn decide(state: &AppState, claim: Claim, req: Request, next: Next) -> Result<Response, AppError> {
    for _ in 0..CLAIM_ATTEMPTS {
        let now = state.clock.now();
        let lease = now + LOCK;
        if try_claim(&state.db, &claim, now, lease).await? {
            return Ok(run(state.clone(), claim, lease, req, next).await);
        }
        let Some(row) = find(&state.db, &claim).await? else {
            continue; // the holder failed and let the key go: claim again
        };
        if row.request_hash != claim.request_hash {
            return Err(AppError::unprocessable(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request in the last 24 hours; \
                 use a new key for a new request.",
            ));
        }
        if row.state == "done" {
            return replay(row);
        }
        if row.locked_until >= now {
            return Err(in_use());
        }
        // The holder's lock ran out (its process died): the first to move
        // the lock forward owns the key.
        if take_over(&state.db, &claim, now, lease).await? {
            return Ok(run(state.clone(), claim, lease, req, next).await);
        }
    }
    Err(in_use())
}

fn in_use() -> AppError {
    AppError::conflict(
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still being processed; retry shortly to get its response.",
    )
    .with_retry_after(IN_USE_RETRY_AFTER_SECS)
}

fn replay(row: KeyRow) -> Result<Response, AppError> {
    let Some(body) = row.response_body else {
        return Err(AppError::conflict(
            "idempotency_response_not_kept",
            "The request with this Idempotency-Key succeeded, but its response showed a secret once and was not \
             kept. Find what it created in the list; to get a new secret, create another.",
        ));
    };
    let status = row
        .status_code
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| anyhow::anyhow!("stored idempotent response has status {:?}", row.status_code))?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(value) = row.content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

/// Runs the claimed request and records its outcome. Both happen in a task
/// of their own, so a client that disconnects (or the request timeout)
/// cannot stop a change between its commit and its stored response; the
/// client's retry then gets the response instead of a second change.
async fn run(state: AppState, claim: Claim, lease: DateTime<Utc>, req: Request, next: Next) -> Response {
    let handler = tokio::spawn(in_request_context(next.run(req)));
    let finish = tokio::spawn(in_request_context(async move {
        let response = match handler.await {
            Ok(response) => response,
            Err(err) => AppError::from(anyhow::anyhow!("handler task failed: {err}")).into_response(),
        };
        record(&state, &claim, lease, response).await
    }));
    match finish.await {
        Ok(response) => response,
        Err(err) => AppError::from(anyhow::anyhow!("idempotency task failed: {err}")).into_response(),
    }
}

/// Carries the request ID and tracing span into a spawned task.
fn in_request_context<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let request_id = current_request_id();
    async move {
        match request_id {
            Some(id) => REQUEST_ID.scope(id, fut).await,
            None => fut.await,
        }
    }
    .instrument(tracing::Span::current())
}

/// Stores the response under the key, or lets the key go when a retry
/// should run again; returns the response to send.
async fn record(state: &AppState, claim: &Claim, lease: DateTime<Utc>, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    if parts.status.is_server_error() || parts.status == StatusCode::TOO_MANY_REQUESTS {
        release(&state.db, claim, lease).await;
        return Response::from_parts(parts, body);
    }
    let bytes: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            release(&state.db, claim, lease).await;
            return AppError::from(anyhow::anyhow!("reading the response to store it: {err}")).into_response();
        }
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kept = (!is_no_store(&parts.headers)).then_some(&bytes[..]);
    match complete(&state.db, claim, lease, parts.status, content_type, kept).await {
        Ok(1) => {}
        // Ran past its lock and another request took the key over: that
        // one's response will be stored.
        Ok(_) => tracing::warn!(scope = %claim.scope, "idempotency key was taken over while running"),
        // The change is done; answer it. Until the lock runs out, retries
        // get 409; after that one may run it again.
        Err(err) => tracing::error!(error = %err, scope = %claim.scope, "could not store the idempotent response"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `Cache-Control: no-store`: the response must not be kept anywhere.
fn is_no_store(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|directive| directive.trim().eq_ignore_ascii_case("no-store")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(IDEMPOTENCY_KEY, HeaderValue::from_bytes(v).expect("header value"));
        }
        map
    }

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert_eq!(idempotency_key(&headers(&[])).ok(), Some(None));
        let uuid = "8e03978e-40d5-43e8-bc93-6894a57f9324";
        assert_eq!(idempotency_key(&headers(&[uuid.as_bytes()])).ok(), Some(Some(uuid.to_string())));
        assert!(idempotency_key(&headers(&["k".repeat(255).as_bytes()])).is_ok());
        for bad in [&b""[..], "k".repeat(256).as_bytes(), b"two words", b"caf\xc3\xa9", b"tab\there"] {
            let err = idempotency_key(&headers(&[bad])).expect_err("invalid key");
            assert_eq!(err.problem().map(|p| p.code), Some("invalid_idempotency_key"), "{bad:?}");
        }
        assert!(idempotency_key(&headers(&[b"a", b"b"])).is_err(), "sent twice");
    }

    #[test]
    fn no_store_responses_are_recognised() {
        let mut map = HeaderMap::new();
        assert!(!is_no_store(&map));
        map.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
        assert!(!is_no_store(&map));
        map.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, No-Store"));
        assert!(is_no_store(&map));
    }

    #[test]
    fn the_fingerprint_covers_method_target_and_body() {
        let key = [7u8; 32];
        let base = fingerprint(&key, &Method::POST, "/api/v1/invitations", b"{}");
        assert_eq!(base, fingerprint(&key, &Method::POST, "/api/v1/invitations", b"{}"));
        assert_ne!(base, fingerprint(&key, &Method::PUT, "/api/v1/invitations", b"{}"));
        assert_ne!(base, fingerprint(&key, &Method::POST, "/api/v1/invitations?x=1", b"{}"));
        assert_ne!(base, fingerprint(&key, &Method::POST, "/api/v1/invitations", b"{ }"));
        // Keyed: the same request under another server key is another hash.
        assert_ne!(base, fingerprint(&[8u8; 32], &Method::POST, "/api/v1/invitations", b"{}"));
        // Length prefixes: moving bytes between parts changes the hash.
        assert_ne!(fingerprint(&key, &Method::POST, "/a", b"b"), fingerprint(&key, &Method::POST, "/ab", b""));
    }
}
