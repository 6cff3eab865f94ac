//! The layer: which budget a request spends, and the 429 when it is spent.
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::api_token;
use crate::auth::session::MaybeSession;
use crate::config::{Config, RateLimit};
use crate::state::AppState;
use crate::web::ClientMeta;

/// Paths that are never limited: probes, metrics scrapes and assets.
fn is_exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bucket {
    key: String,
    limit: RateLimit,
    /// For the refusal's message.
    who: &'static str,
}

/// An API token's requests spend its budget; a signed-in browser's spend
/// its user's (every session of one user together); anything else spends
/// its IP address's budget. `None`: no limit.
fn bucket_for(config: &Config, req: &Request) -> Option<Bucket> {
    if is_exempt(req.uri().path()) {
        return None;
    }
    if let Some(caller) = api_token::caller(req.extensions()) {
        let limit = config.rate_limits.api?;
        return Some(Bucket { key: format!("token:{}", caller.token_id), limit, who: "this token" });
    }
    if let Some(MaybeSession(Some(session))) = req.extensions().get::<MaybeSession>() {
        let limit = config.rate_limits.user?;
        return Some(Bucket { key: format!("user:{}", session.user_id), limit, who: "your account" });
    }
    let limit = config.rate_limits.ip?;
    // Without a known peer (no ConnectInfo) every caller would share one
    // bucket and could lock each other out; rather not limit.
    let ip = req.extensions().get::<ClientMeta>()?.ip.as_deref()?;
    Some(Bucket { key: ip_bucket(ip), limit, who: "this IP address" })
}

/// `ip:<address>`; an IPv6 address counts by its /64, since one host
/// usually holds a whole /64 and could otherwise rotate through it.
pub(crate) fn ip_bucket(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("ip:{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        Ok(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Err(_) => format!("ip:{ip}"),
    }
}

/// Layer for every request; it must run after the session layer and the
/// API-token layer, whose results pick the bucket. Refused requests end
/// here with a 429; allowed ones carry the `RateLimit-*` fields.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(mut bucket) = bucket_for(&state.config, &req) else {
        return next.run(req).await;
    };
    if let Some(caller) = api_token::caller(req.extensions()) {
        bucket.limit = plan_limit(&state, &caller.workspace_id, bucket.limit).await;
    }
    let decision = match state.rate_allowances.check(&state.db, &bucket.key, bucket.limit, state.clock.now()).await {
        Ok(decision) => decision,
        Err(err) => {
            // Fail open: a limiter that cannot reach its table must not take
            // the API down with it. Whatever else needs the database will
            // fail on its own; the rest keeps working, unlimited meanwhile.
            tracing::warn!(error = %err, bucket = %bucket.key, "rate limiter unavailable; request let through");
            return next.run(req).await;
        }
    };
    if !decision.allowed {
        return decision.refusal(bucket.who);
    }
    let mut response = next.run(req).await;
    decision.set_headers(response.headers_mut());
    response
}

/// A token's limit under its workspace's plan: the slower of the
/// configured `--api-rate-limit` (the server's ceiling) and the plan's
/// requests per minute (see the feature providing `api_rate`).
async fn plan_limit(state: &AppState, ws: &switchboard_core::WorkspaceId, configured: RateLimit) -> RateLimit {
    let Some(hook) = state.features.iter().find_map(|f| f.api_rate) else { return configured };
    match hook(state, ws).await {
        Some(per_minute) => slower(configured, RateLimit { requests: per_minute, period: Duration::from_secs(60) }),
        None => configured,
    }
}

/// The limit allowing fewer requests per unit of time.
fn slower(a: RateLimit, b: RateLimit) -> RateLimit {
    // a.requests / a.period < b.requests / b.period, without division.
    if u128::from(a.requests) * b.period.as_millis() <= u128::from(b.requests) * a.period.as_millis() { a } else { b }
}

/// Charges a failed token authentication to the caller's IP budget, so
/// guessing tokens is limited like any anonymous traffic; the refusal when
/// that budget is spent.
pub async fn charge_failed_auth(state: &AppState, ip: Option<&str>) -> Option<Response> {
    let (limit, ip) = (state.config.rate_limits.ip?, ip?);
    match state.rate_allowances.check(&state.db, &ip_bucket(ip), limit, state.clock.now()).await {
        Ok(decision) if !decision.allowed => Some(decision.refusal("this IP address")),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable; failed authentication not counted");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use super::*;
    use crate::auth::api_token::ApiCaller;
    use crate::auth::session::Session;
    use crate::config::CommonArgs;

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(ip_bucket("192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(ip_bucket("2001:db8:1:2:3:4:5:6"), "ip:2001:db8:1:2::/64");
        assert_eq!(ip_bucket("2001:db8:1:2:ffff::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(ip_bucket("::ffff:192.0.2.7"), "ip:192.0.2.7");
    }

    fn config() -> Config {
        Config::resolve(&CommonArgs::default()).expect("config")
    }

    fn request(path: &str, ip: Option<&str>) -> Request {
        let mut req = Request::builder().uri(path).body(axum::body::Body::empty()).expect("request");
        req.extensions_mut().insert(ClientMeta { ip: ip.map(str::to_string), user_agent: None });
        req.extensions_mut().insert(MaybeSession(None));
        req
    }

    #[test]
    fn anonymous_requests_spend_their_ip_budget_except_probes_and_assets() {
        let config = config();
        let bucket = bucket_for(&config, &request("/signin", Some("192.0.2.7"))).expect("limited");
        assert_eq!(bucket.key, "ip:192.0.2.7");
        assert_eq!(Some(bucket.limit), config.rate_limits.ip);
        for path in ["/healthz", "/readyz", "/metrics", "/static/app.css"] {
            assert_eq!(bucket_for(&config, &request(path, Some("192.0.2.7"))), None, "{path}");
        }
        assert_eq!(bucket_for(&config, &request("/signin", None)), None, "no peer address, no bucket");
        let off = Config { rate_limits: crate::config::RateLimits { ip: None, ..config.rate_limits }, ..config };
        assert_eq!(bucket_for(&off, &request("/signin", Some("192.0.2.7"))), None);
    }

    #[test]
    fn token_requests_spend_the_token_budget_and_sessions_their_users() {
        let config = config();
        let token_id = switchboard_core::ApiTokenId::new();
        let mut req = request("/api/v1/workspace", Some("192.0.2.7"));
        req.extensions_mut().insert(Arc::new(ApiCaller {
            token_id: token_id.clone(),
            token_name: "ci".into(),
            workspace_id: switchboard_core::WorkspaceId::new(),
            user_id: switchboard_core::UserId::new(),
            user_name: "Ada".into(),
            role: switchboard_core::Role::Admin,
            workspace: crate::tenancy::Workspace {
                id: switchboard_core::WorkspaceId::new(),
                name: "Acme Voice".into(),
                website: None,
                timezone: "UTC".into(),
                logo_version: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                experimental_features: Default::default(),
            },
        }));
        let bucket = bucket_for(&config, &req).expect("limited");
        assert_eq!(bucket.key, format!("token:{token_id}"));
        assert_eq!(Some(bucket.limit), config.rate_limits.api);

        let user_id = switchboard_core::UserId::new();
        let mut req = request("/api/v1/workspace", Some("192.0.2.7"));
        req.extensions_mut().insert(MaybeSession(Some(Arc::new(Session {
            id_hash: "x".into(),
            user_id: user_id.clone(),
            user_name: "Ada".into(),
            user_email: "ada@example.com".into(),
            avatar_version: None,
            current_workspace_id: None,
            csrf_token: "c".into(),
            last_seen_at: Utc::now(),
        }))));
        let bucket = bucket_for(&config, &req).expect("limited");
        assert_eq!(bucket.key, format!("user:{user_id}"));
        assert_eq!(Some(bucket.limit), config.rate_limits.user);
        let off = Config { rate_limits: crate::config::RateLimits { user: None, ..config.rate_limits }, ..config };
        assert_eq!(bucket_for(&off, &req), None);
    }
}
