//! What the HTTP clients (the Twilio, Telnyx and ElevenLabs clients) share:
//! a client with timeouts on every request, checked base URLs, answers read
//! up to a bound, and the status rule every vendor's errors map through.
//! Messages carry the vendor, the method, the path and the status, never a
//! credential or a body; each client turns [`Refusal`] into its trait's error.
use std::time::Duration;

use reqwest::StatusCode;

/// Connecting gives up after this long; a whole request after the caller's limit.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client builder with our timeouts and user agent, for a client that
/// adds more (default headers) before [`build`].
pub(crate) fn builder(request_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(request_timeout)
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
}

pub(crate) fn build(vendor: &str, builder: reqwest::ClientBuilder) -> Result<reqwest::Client, String> {
    builder.build().map_err(|e| format!("building the HTTP client for {vendor}: {e}"))
}

pub(crate) fn client(vendor: &str, request_timeout: Duration) -> Result<reqwest::Client, String> {
    build(vendor, builder(request_timeout))
}

/// An `http(s)` base URL without a trailing slash, or why not.
pub(crate) fn base(vendor: &str, api_base: &str) -> Result<String, String> {
    let parsed =
        url::Url::parse(api_base).map_err(|e| format!("{vendor}'s API base URL {api_base:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{vendor}'s API base URL must be http(s)"));
    }
    Ok(api_base.trim_end_matches('/').to_string())
}

/// Why a request got no answer (refused connection, timeout), without the
/// URL the error itself would name.
pub(crate) fn transport(vendor: &str, err: &reqwest::Error) -> String {
    let what = if err.is_timeout() { "did not answer in time" } else { "could not be reached" };
    let detail = match std::error::Error::source(err) {
        Some(source) => format!(": {source}"),
        None => String::new(),
    };
    format!("{vendor} {what}{detail}")
}

/// An answer that is not a success, sorted the way every trait sorts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 401, 403: the credentials.
    Unauthorized,
    /// 404.
    NotFound,
    /// 408, 429, 5xx: worth retrying.
    Unavailable(String),
    /// Any other 4xx: the vendor's own message when it gave one.
    Rejected(String),
}

/// Sorts `status`; `message` is the vendor's own text from the error body.
pub(crate) fn refusal(vendor: &str, status: StatusCode, message: Option<String>) -> Refusal {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Refusal::Unauthorized,
        StatusCode::NOT_FOUND => Refusal::NotFound,
        s if s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT || s.is_server_error() => {
            Refusal::Unavailable(format!("{vendor} answered HTTP {}", s.as_u16()))
        }
        s => Refusal::Rejected(
            message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("{vendor} refused the request (HTTP {})", s.as_u16())),
        ),
    }
}

/// The whole body, refusing one longer than `limit` bytes (a vendor, or
/// something posing as one, must not make us buffer without bound).
pub(crate) async fn read_body(vendor: &str, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let too_long = || format!("{vendor}'s answer is longer than {limit} bytes");
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(vendor, &e))? {
        if body.len() + chunk.len() > limit {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_sort_into_refusals() {
        assert_eq!(refusal("X", StatusCode::FORBIDDEN, Some("no".into())), Refusal::Unauthorized);
        assert_eq!(refusal("X", StatusCode::NOT_FOUND, None), Refusal::NotFound);
        assert!(matches!(refusal("X", StatusCode::SERVICE_UNAVAILABLE, None), Refusal::Unavailable(_)));
        assert_eq!(refusal("X", StatusCode::BAD_REQUEST, Some("bad".into())), Refusal::Rejected("bad".into()));
        assert_eq!(
            refusal("X", StatusCode::CONFLICT, None),
            Refusal::Rejected("X refused the request (HTTP 409)".into())
        );
    }

    #[test]
    fn bases_must_be_http_urls() {
        assert_eq!(base("X", "http://127.0.0.1:4010/").unwrap(), "http://127.0.0.1:4010");
        assert!(base("X", "file:///etc").is_err());
        assert!(base("X", "nope").is_err());
    }
}
