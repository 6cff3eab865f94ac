//! Requests authenticated by an API token instead of a session.
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use switchboard_core::{ApiTokenId, Role, UserId, WorkspaceId};

use super::session::MaybeSession;
use super::token_facts::TokenStatus;
use super::token_format;
use super::token_store as store;
use crate::error::AppError;
use crate::secrets::sha256_hex;
use crate::state::AppState;
use crate::tenancy::Workspace;
use crate::web::ClientMeta;

/// The token behind a request, left in the request extensions as
/// `Arc<ApiCaller>` by the authentication layer. A token acts for the
/// member who created it, inside its one workspace, with `role`: the
/// lower of the token's own role and its creator's current role.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_id: ApiTokenId,
    pub token_name: String,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub user_name: String,
    pub role: Role,
    /// The token's workspace as it was read with the token.
    pub workspace: Workspace,
}

/// The token caller of a request, if it was authenticated by one.
pub fn caller(extensions: &axum::http::Extensions) -> Option<Arc<ApiCaller>> {
    extensions.get::<Arc<ApiCaller>>().cloned()
}

/// The header pair of the seed platform's public API: the token, and the
/// workspace it must belong to.
pub const TOKEN_HEADER: &str = "x-api-token";
pub const TEAM_HEADER: &str = "team_id";
/// A token's `last_used_at` is written at most this often.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a request presented, before it is checked.
#[derive(Debug, PartialEq)]
struct Presented {
    token: String,
    team_id: Option<String>,
}

/// Reads `Authorization: Bearer …` or `x-api-token` (+ `team_id`).
/// `Ok(None)`: no token at all (the session, if any, applies).
fn presented(headers: &HeaderMap) -> Result<Option<Presented>, AppError> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().map(str::trim));
    let bearer = match text(header::AUTHORIZATION.as_str()) {
        None => None,
        Some(Ok(value)) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Some(token.trim().to_string()),
            _ => return Err(invalid("The Authorization header must be `Bearer <token>`.")),
        },
        Some(Err(_)) => return Err(invalid("The Authorization header is not valid text.")),
    };
    let api_token = match text(TOKEN_HEADER) {
        None => None,
        Some(Ok(value)) => Some(value.to_string()),
        Some(Err(_)) => return Err(invalid("The x-api-token header is not valid text.")),
    };
    let team_id = match text(TEAM_HEADER) {
        None => None,
        Some(Ok(value)) => Some(value.to_string()),
        Some(Err(_)) => return Err(invalid("The team_id header is not valid text.")),
    };
    let token = match (bearer, api_token) {
        (None, None) => return Ok(None),
        (Some(a), Some(b)) if a != b => {
            return Err(invalid("The Authorization and x-api-token headers carry different tokens; send one."));
        }
        (Some(t), _) => t,
        (None, Some(t)) => {
            if team_id.is_none() {
                return Err(invalid(
                    "The x-api-token header needs the team_id header with your workspace ID (ws_…), shown on Settings → Developer.",
                ));
            }
            t
        }
    };
    Ok(Some(Presented { token, team_id }))
}

fn invalid(detail: &str) -> AppError {
    AppError::unauthorized_code("invalid_token", detail.to_string())
}

/// Checks a presented token: shape and checksum first (no database), then
/// its row by its SHA-256 (from [`super::token_cache`] when read less than
/// a second ago, else one indexed lookup), then revocation, expiry, the
/// creator's membership and the `team_id`.
async fn check(state: &AppState, presented: &Presented, ip: Option<&str>) -> Result<ApiCaller, AppError> {
    if !token_format::is_well_formed(&presented.token) {
        return Err(invalid(
            "This is not a Switchboard API token (they start with sbk_); check for a copy-paste error.",
        ));
    }
    let now = state.clock.now();
    let hash = sha256_hex(&presented.token);
    let row = match state.tokens.get(&hash) {
        Some(row) => row,
        None => {
            let generation = state.tokens.generation();
            let Some(row) = store::find_by_hash(&state.db, &hash).await? else {
                return Err(invalid("This API token is not valid."));
            };
            let row = Arc::new(row);
            state.tokens.put(&hash, row.clone(), generation);
            row
        }
    };
    let facts = row.facts();
    let Some(role) = facts.effective_role(now) else {
        let detail = match facts.status(now) {
            TokenStatus::Expired => "This API token has expired; create a new one on Settings → Developer.",
            TokenStatus::CreatorRemoved => {
                "This API token stopped working because its creator was removed from the workspace."
            }
            TokenStatus::CreatorLeft => "This API token stopped working because its creator left the workspace.",
            TokenStatus::Revoked | TokenStatus::Active => "This API token was revoked.",
        };
        return Err(AppError::unauthorized_code("token_inactive", detail));
    };
    if let Some(team) = &presented.team_id
        && team != row.ws_id.as_str()
    {
        return Err(invalid("The team_id header does not match this API token's workspace."));
    }
    if row.last_used_at.is_none_or(|at| (now - at).num_seconds() >= TOUCH_INTERVAL_SECS) {
        match store::touch(&state.db, &row.id, ip, now, TOUCH_INTERVAL_SECS).await {
            Ok(()) => state.tokens.touched(&hash, now),
            Err(err) => tracing::warn!(error = %err, token_id = %row.id, "could not record the token's last use"),
        }
    }
    Ok(ApiCaller {
        workspace: row.workspace(),
        token_id: row.id.clone(),
        token_name: row.name.clone(),
        workspace_id: row.ws_id.clone(),
        user_id: row.created_by.clone(),
        user_name: row.creator_name.clone(),
        role,
    })
}

/// Layer on every request: on `/api/` paths, a presented token either
/// authenticates the request (as [`ApiCaller`], replacing any cookie
/// session, so CSRF does not apply) or ends it with 401. A bad token never
/// falls back to the session.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let presented = match presented(req.headers()) {
        Ok(Some(p)) => p,
        Ok(None) => return next.run(req).await,
        Err(err) => return err.into_response(),
    };
    let ip = req.extensions().get::<ClientMeta>().and_then(|m| m.ip.clone());
    match check(&state, &presented, ip.as_deref()).await {
        Ok(caller) => {
            req.extensions_mut().insert(Arc::new(caller));
            req.extensions_mut().insert(MaybeSession(None));
            next.run(req).await
        }
        Err(err) => match crate::ratelimit::charge_failed_auth(&state, ip.as_deref()).await {
            Some(refusal) => refusal,
            None => err.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn tokens_come_from_bearer_or_the_header_pair() {
        assert_eq!(presented(&headers(&[])).expect("ok"), None);
        let bearer = presented(&headers(&[("authorization", "Bearer sbk_x")])).expect("ok").expect("some");
        assert_eq!(bearer, Presented { token: "sbk_x".into(), team_id: None });
        let lower = presented(&headers(&[("authorization", "bearer  sbk_x ")])).expect("ok").expect("some");
        assert_eq!(lower.token, "sbk_x");
        let pair = presented(&headers(&[("x-api-token", "sbk_y"), ("team_id", "ws_1")])).expect("ok").expect("some");
        assert_eq!(pair, Presented { token: "sbk_y".into(), team_id: Some("ws_1".into()) });
    }

    #[test]
    fn ambiguous_or_incomplete_headers_are_refused() {
        assert!(presented(&headers(&[("x-api-token", "sbk_y")])).is_err(), "team_id is required");
        assert!(presented(&headers(&[("authorization", "Basic abc")])).is_err());
        assert!(presented(&headers(&[("authorization", "Bearer a"), ("x-api-token", "b"), ("team_id", "w")])).is_err());
    }
}
