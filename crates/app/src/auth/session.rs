//! Server-side sessions. The cookie holds a random token; the database
//! holds only its SHA-256, so a leaked database row cannot be replayed.
//! The session also remembers the user's current workspace, so Settings
//! stay at `/settings`.
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use switchboard_core::{UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_optional};

use crate::error::AppError;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sb_session";
/// A session ends after this long without a request.
pub const IDLE_LIFETIME_DAYS: i64 = 30;
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the cookie token; the primary key.
    pub id_hash: String,
    pub user_id: UserId,
    pub user_name: String,
    pub user_email: String,
    pub avatar_version: Option<i64>,
    pub current_workspace_id: Option<WorkspaceId>,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    #[sqlx(try_from = "String")]
    user_id: UserId,
    name: String,
    email: String,
    avatar_version: Option<i64>,
    current_workspace_id: Option<String>,
    csrf_token: String,
    last_seen_at: DateTime<Utc>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id_hash: row.id,
            user_id: row.user_id,
            user_name: row.name,
            user_email: row.email,
            avatar_version: row.avatar_version,
            current_workspace_id: row.current_workspace_id.and_then(|id| id.parse().ok()),
            csrf_token: row.csrf_token,
            last_seen_at: row.last_seen_at,
        }
    }
}

pub struct NewSession<'a> {
    pub user_id: &'a UserId,
    pub current_workspace_id: Option<&'a WorkspaceId>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Creates a session and returns the cookie token (shown to nobody else).
pub async fn create<'a>(ex: impl IntoExec<'a>, new: NewSession<'_>, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let token = random_token(32);
    execute!(
        ex,
        "INSERT INTO sessions (id, user_id, current_workspace_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        sha256_hex(&token),
        new.user_id.as_str(),
        new.current_workspace_id.map(|w| w.as_str()),
        random_token(32),
        new.ip,
        new.user_agent.map(|ua| ua.chars().take(512).collect::<String>()),
        now,
        now + Duration::days(IDLE_LIFETIME_DAYS),
    )?;
    Ok(token)
}

pub async fn load<'a>(ex: impl IntoExec<'a>, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        SessionRow,
        "SELECT s.id, s.user_id, u.name, u.email, u.avatar_version, s.current_workspace_id, s.csrf_token, s.last_seen_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.expires_at > $2",
        sha256_hex(token),
        now
    )?;
    Ok(row.map(Session::from))
}

pub async fn touch<'a>(ex: impl IntoExec<'a>, id_hash: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1",
        id_hash,
        now,
        now + Duration::days(IDLE_LIFETIME_DAYS)
    )?;
    Ok(())
}

pub async fn delete<'a>(ex: impl IntoExec<'a>, id_hash: &str) -> Result<(), sqlx::Error> {
    execute!(ex, "DELETE FROM sessions WHERE id = $1", id_hash)?;
    Ok(())
}

pub async fn set_current_workspace<'a>(
    ex: impl IntoExec<'a>,
    id_hash: &str,
    workspace_id: Option<&WorkspaceId>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE sessions SET current_workspace_id = $2 WHERE id = $1",
        id_hash,
        workspace_id.map(|w| w.as_str())
    )?;
    Ok(())
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure behind https.
pub fn cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(time_days(IDLE_LIFETIME_DAYS))
        .build()
}

pub fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").max_age(time_days(0)).build()
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// Middleware: looks the session up once per request and leaves
/// [`MaybeSession`] in the request extensions.
pub async fn load_session(State(state): State<AppState>, jar: CookieJar, mut req: Request, next: Next) -> Response {
    let mut found = None;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let now = state.clock.now();
        match load(&state.db, cookie.value(), now).await {
            Ok(Some(session)) => {
                if (now - session.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECS
                    && let Err(err) = touch(&state.db, &session.id_hash, now).await
                {
                    tracing::warn!(error = %err, "could not refresh session");
                }
                found = Some(Arc::new(session));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "session lookup failed");
                use axum::response::IntoResponse;
                return AppError::from(err).into_response();
            }
        }
    }
    req.extensions_mut().insert(MaybeSession(found));
    next.run(req).await
}

/// The request's session, if any.
#[derive(Clone, Debug, Default)]
pub struct MaybeSession(pub Option<Arc<Session>>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<MaybeSession>().cloned().unwrap_or_default())
    }
}

/// A signed-in user's session; 401 (or, on pages, the sign-in page) without one.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Arc<Session>);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<MaybeSession>() {
            Some(MaybeSession(Some(session))) => Ok(SignedIn(session.clone())),
            _ => Err(AppError::unauthenticated()),
        }
    }
}

impl std::ops::Deref for SignedIn {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}
