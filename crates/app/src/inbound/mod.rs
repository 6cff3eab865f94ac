//! The **inbound** route kind: callbacks from vendors (Stripe events, Twilio
//! and Telnyx voice, SMS and status callbacks). Nobody signs in to send them
//! and no browser is involved, so instead of a session, CSRF and the per-IP
//! limit, each route is guarded by the vendor's signature:
//!
//! - [`stack`] wraps a router of such routes with its own body limit and a
//!   check that runs before the handler: it reads the body (bounded), looks
//!   up the secret for this request through a [`SecretSource`], and verifies
//!   the signature ([`stripe`], [`twilio`], [`telnyx`], pure functions).
//! - A missing, unreadable, stale or wrong signature, or a route whose
//!   secret is not configured, is answered 401 problem+json and logged at
//!   warn with the vendor, the route and a reason code — never the body or
//!   the signature, which are the caller's data and a replayable credential.
//! - On success the handler gets the exact bytes that were signed (as its
//!   body: extract `Bytes`, `Form` or `Json`) and a [`Verified`] extractor
//!   naming the vendor and the account whose secret matched.
//!
//! Where to mount: `routes::router` merges inbound routers *outside* the
//! session, CSRF, rate-limit, API-token and page-error layers (a
//! `Router::merge` keeps each side's own `.layer`s) and inside the
//! request-ID, security-header and timeout layers, which every route gets.
//!
//! Timestamps are checked against the injectable clock, with a tolerance of
//! [`DEFAULT_TOLERANCE`] either side unless the route sets another.
pub mod settings;
pub mod stripe;
pub mod telnyx;
pub mod twilio;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::AppError;
use crate::secrets::Secret;
use crate::state::AppState;

/// Stripe's and Telnyx's recommended replay window.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A body limit that fits every callback these vendors send (Stripe events
/// with long invoices included); a route may choose less.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Stripe,
    Twilio,
    Telnyx,
}

impl Vendor {
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Stripe => "stripe",
            Vendor::Twilio => "twilio",
            Vendor::Telnyx => "telnyx",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Vendor::Stripe => "Stripe",
            Vendor::Twilio => "Twilio",
            Vendor::Telnyx => "Telnyx",
        }
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a callback was refused; its [`reason`](Rejection::reason) is what the
/// log line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The signature header (or Telnyx's timestamp header) is absent.
    Missing,
    /// A header is there but cannot be parsed.
    Malformed,
    /// Well-formed, but it does not match the body and secret.
    BadSignature,
    /// A genuine signature whose timestamp is outside the tolerance.
    Stale,
    /// This server has no usable secret or key for the request.
    NotConfigured,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Missing => "missing_signature",
            Rejection::Malformed => "malformed_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::Stale => "stale_timestamp",
            Rejection::NotConfigured => "not_configured",
        }
    }

    fn detail(self, vendor: Vendor) -> String {
        let vendor = vendor.label();
        match self {
            Rejection::Missing => format!("The request carries no {vendor} signature."),
            Rejection::Malformed => format!("The {vendor} signature headers could not be read."),
            Rejection::BadSignature => format!("The {vendor} signature does not match the request."),
            Rejection::Stale => format!("The {vendor} signature's timestamp is outside the allowed window."),
            // Whether a secret is configured is not the caller's business.
            Rejection::NotConfigured => format!("The {vendor} signature could not be checked."),
        }
    }
}

/// `timestamp` (unix seconds) within `tolerance` of `now`, either side.
pub(crate) fn check_timestamp(timestamp: i64, now: i64, tolerance: Duration) -> Result<(), Rejection> {
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() { Err(Rejection::Stale) } else { Ok(()) }
}

/// The secret (Stripe, Twilio) or public key (Telnyx) to check one request
/// with, and the account it belongs to when there are several.
#[derive(Debug, Clone)]
pub struct Credential {
    pub secret: Secret,
    /// E.g. a connected Twilio subaccount's `AccountSid`; `None` for the
    /// platform's own.
    pub account: Option<String>,
}

impl Credential {
    /// The platform's own secret, from configuration.
    pub fn platform(secret: Secret) -> Self {
        Credential { secret, account: None }
    }
}

/// What a [`SecretSource`] may look at to choose a secret. The body is not
/// yet verified: use it to pick a key (`AccountSid`), never to trust it.
pub struct InboundRequest<'a> {
    pub vendor: Vendor,
    pub parts: &'a Parts,
    pub body: &'a Bytes,
}

impl InboundRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A field of a urlencoded form body (Twilio's `AccountSid`, `To`…).
    pub fn form_param(&self, name: &str) -> Option<String> {
        is_form(&self.parts.headers).then(|| twilio::form_param(self.body, name)).flatten()
    }
}

/// Where a route's secret comes from, per request. [`Configured`] reads the
/// platform's secrets from configuration; a feature with connected accounts
/// implements this itself, e.g. phone numbers looking up the auth token of
/// the Twilio account named by the callback's `AccountSid`:
///
/// ```ignore
/// #[async_trait]
/// impl SecretSource for TwilioAccounts {
///     async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> anyhow::Result<Option<Credential>> {
///         let Some(sid) = req.form_param("AccountSid") else { return Ok(None) };
///         let token = store::auth_token_for(&state.db, &sid).await?; // opened from its sealed column
///         Ok(token.map(|secret| Credential { secret, account: Some(sid) }))
///     }
/// }
/// ```
///
/// `Ok(None)` means "no secret for this request": a 401, logged as
/// `not_configured`. An `Err` (the database is down) is a 500, so the
/// vendor retries later.
#[async_trait]
pub trait SecretSource: Send + Sync + 'static {
    async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> anyhow::Result<Option<Credential>>;
}

/// The platform's own secrets from `config.inbound`, chosen by vendor.
pub struct Configured;

#[async_trait]
impl SecretSource for Configured {
    async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> anyhow::Result<Option<Credential>> {
        let inbound = &state.config.inbound;
        let secret = match req.vendor {
            Vendor::Stripe => inbound.stripe_webhook_secret.clone(),
            Vendor::Twilio => inbound.twilio_auth_token.clone(),
            Vendor::Telnyx => inbound.telnyx_public_key.clone().map(Secret::new),
        };
        Ok(secret.map(Credential::platform))
    }
}

/// A [`SecretSource`] from a plain function, for secrets that need no IO.
pub fn secret_fn<F>(f: F) -> SecretFn<F>
where
    F: Fn(&AppState, &InboundRequest<'_>) -> Option<Credential> + Send + Sync + 'static,
{
    SecretFn(f)
}

pub struct SecretFn<F>(F);

#[async_trait]
impl<F> SecretSource for SecretFn<F>
where
    F: Fn(&AppState, &InboundRequest<'_>) -> Option<Credential> + Send + Sync + 'static,
{
    async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> anyhow::Result<Option<Credential>> {
        Ok((self.0)(state, req))
    }
}

/// One inbound route's check: which vendor's scheme, whose secret, how
/// much clock difference to allow.
#[derive(Clone)]
pub struct Verifier {
    vendor: Vendor,
    secrets: Arc<dyn SecretSource>,
    tolerance: Duration,
}

impl Verifier {
    pub fn new(vendor: Vendor, secrets: impl SecretSource) -> Self {
        Verifier { vendor, secrets: Arc::new(secrets), tolerance: DEFAULT_TOLERANCE }
    }

    pub fn stripe(secrets: impl SecretSource) -> Self {
        Self::new(Vendor::Stripe, secrets)
    }

    pub fn twilio(secrets: impl SecretSource) -> Self {
        Self::new(Vendor::Twilio, secrets)
    }

    pub fn telnyx(secrets: impl SecretSource) -> Self {
        Self::new(Vendor::Telnyx, secrets)
    }

    /// Stripe and Telnyx timestamps (Twilio's signature has none).
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Checks one request's signature against its body. Headers are read
    /// before the secret is looked up, so unsigned noise costs no query.
    async fn check(&self, state: &AppState, parts: &Parts, body: &Bytes) -> Result<Verified, Refusal> {
        let req = InboundRequest { vendor: self.vendor, parts, body };
        let now = state.clock.now().timestamp();
        let header = |name: &str| match parts.headers.get(name) {
            None => Err(Rejection::Missing),
            Some(value) => value.to_str().map_err(|_| Rejection::Malformed),
        };
        let credential = match self.vendor {
            Vendor::Stripe => {
                let signature = header(stripe::HEADER)?;
                let credential = self.credential(state, &req).await?;
                stripe::verify(credential.secret.expose(), signature, body, now, self.tolerance)?;
                credential
            }
            Vendor::Twilio => {
                let signature = header(twilio::HEADER)?;
                let credential = self.credential(state, &req).await?;
                let url = public_request_url(state, parts);
                let form = is_form(&parts.headers).then_some(&body[..]);
                twilio::verify(credential.secret.expose(), &url, form, body, signature)?;
                credential
            }
            Vendor::Telnyx => {
                let signature = header(telnyx::SIGNATURE_HEADER)?;
                let timestamp = header(telnyx::TIMESTAMP_HEADER)?;
                let credential = self.credential(state, &req).await?;
                telnyx::verify(credential.secret.expose(), signature, timestamp, body, now, self.tolerance)?;
                credential
            }
        };
        Ok(Verified { vendor: self.vendor, account: credential.account })
    }

    async fn credential(&self, state: &AppState, req: &InboundRequest<'_>) -> Result<Credential, Refusal> {
        match self.secrets.credential(state, req).await {
            Ok(Some(credential)) => Ok(credential),
            Ok(None) => Err(Refusal::Rejected(Rejection::NotConfigured)),
            Err(err) => Err(Refusal::Internal(err)),
        }
    }
}

enum Refusal {
    Rejected(Rejection),
    Internal(anyhow::Error),
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Refusal::Rejected(rejection)
    }
}

/// The URL the vendor called: the configured public URL plus the path and
/// query as sent. Never the Host header or this process's own address,
/// which differ behind a proxy or load balancer.
fn public_request_url(state: &AppState, parts: &Parts) -> String {
    // Inside a nested router `parts.uri` has lost its prefix; the original has it.
    let uri = parts.extensions.get::<OriginalUri>().map(|o| &o.0).unwrap_or(&parts.uri);
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    format!("{}{}", state.public_url, path_and_query)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// Who sent a verified callback; handlers of inbound routes take it as an
/// extractor. A route mounted without [`stack`] has none, and answers 500
/// rather than run unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub vendor: Vendor,
    /// The account whose secret matched ([`Credential::account`]).
    pub account: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Verified>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("inbound handler reached without a signature check")))
    }
}

#[derive(Clone)]
struct Guard {
    state: AppState,
    verifier: Verifier,
    body_limit: usize,
}

/// Wraps `router`'s routes (all of one vendor) in the inbound kind: a body
/// limit of `body_limit` bytes and `verifier`'s signature check before any
/// handler. Merge the result outside the session, CSRF and rate-limit
/// layers (see the module header).
pub fn stack(router: Router<AppState>, verifier: Verifier, body_limit: usize, state: &AppState) -> Router<AppState> {
    let guard = Guard { state: state.clone(), verifier, body_limit };
    router
        .route_layer(from_fn_with_state(guard, check_signature))
        // Lets the handler's own `Bytes`/`Form`/`Json` take the same amount
        // (axum's default is 2 MiB).
        .route_layer(DefaultBodyLimit::max(body_limit))
}

async fn check_signature(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let vendor = guard.verifier.vendor;
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let too_large = || {
        AppError::payload_too_large(format!("The request is larger than {} bytes.", guard.body_limit)).into_response()
    };
    // Refuse a declared oversize body before reading any of it.
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > guard.body_limit as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, guard.body_limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Err(_) => {
            return AppError::bad_request("body_unreadable", "The request body could not be read.").into_response();
        }
    };
    match guard.verifier.check(&guard.state, &parts, &body).await {
        Ok(verified) => {
            let mut req = Request::from_parts(parts, Body::from(body));
            req.extensions_mut().insert(verified);
            next.run(req).await
        }
        Err(Refusal::Rejected(rejection)) => {
            // Deliberately no body and no signature here: the first is the
            // caller's data, the second could be replayed by whoever reads logs.
            if rejection == Rejection::NotConfigured {
                tracing::warn!(%vendor, %route, reason = rejection.reason(),
                    "inbound callback refused: no secret or key is configured for this route");
            } else {
                tracing::warn!(%vendor, %route, reason = rejection.reason(), "inbound callback refused");
            }
            AppError::unauthorized_code("invalid_signature", rejection.detail(vendor)).into_response()
        }
        Err(Refusal::Internal(err)) => AppError::Internal(err.context("looking up an inbound secret")).into_response(),
    }
}

/// The shared vector file, one object per provider. Every provider in the
/// file must have a test here, so a vector added later is not silently
/// skipped.
#[cfg(test)]
pub(crate) mod test_vectors {
    use serde_json::Value;

    const FILE: &str = include_str!("../../tests/fixtures/inbound-webhook-signature-vectors.json");

    pub fn all() -> Vec<Value> {
        let parsed: Value = serde_json::from_str(FILE).expect("vector file is JSON");
        parsed["vectors"].as_array().expect("vectors").clone()
    }

    pub fn vector(provider: &str) -> Value {
        let mut matching: Vec<Value> = all().into_iter().filter(|v| v["provider"] == provider).collect();
        assert_eq!(matching.len(), 1, "one {provider} vector (add a test when there are more)");
        matching.remove(0)
    }

    #[test]
    fn every_vector_in_the_file_has_a_test() {
        let mut providers: Vec<String> =
            all().iter().map(|v| v["provider"].as_str().expect("provider").to_string()).collect();
        providers.sort();
        assert_eq!(providers, ["stripe", "telnyx", "twilio"], "a new vector needs a test in inbound/<provider>.rs");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_checked_on_both_sides_inclusively() {
        let five = Duration::from_secs(300);
        assert_eq!(check_timestamp(1000, 1300, five), Ok(()));
        assert_eq!(check_timestamp(1300, 1000, five), Ok(()));
        assert_eq!(check_timestamp(1000, 1301, five), Err(Rejection::Stale));
        assert_eq!(check_timestamp(1301, 1000, five), Err(Rejection::Stale));
        assert_eq!(check_timestamp(i64::MIN, i64::MAX, five), Err(Rejection::Stale), "no overflow");
    }

    #[test]
    fn the_public_detail_never_says_whether_a_secret_is_configured() {
        let not_configured = Rejection::NotConfigured.detail(Vendor::Stripe);
        assert!(!not_configured.to_lowercase().contains("configur"), "{not_configured}");
    }
}
