//! What the Twilio and Telnyx clients share: an HTTP client with timeouts
//! on every request, path segments that cannot change the path, and the
//! status-to-[`CarrierError`] rule. Errors and logs carry the vendor, the
//! method, the path and the status, never a credential or a body.
use std::time::Duration;

use reqwest::StatusCode;

use super::CarrierError;

/// Connecting gives up after this long…
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// …and a whole request (a carrier's number search can be slow) after this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn client(vendor: &str) -> Result<reqwest::Client, CarrierError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CarrierError::Unavailable(format!("building the HTTP client for {vendor}: {e}")))
}

/// An `http(s)` base URL without a trailing slash.
pub(super) fn base(vendor: &str, api_base: &str) -> Result<String, CarrierError> {
    let parsed = url::Url::parse(api_base)
        .map_err(|e| CarrierError::Rejected(format!("{vendor}'s API base URL {api_base:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CarrierError::Rejected(format!("{vendor}'s API base URL must be http(s)")));
    }
    Ok(api_base.trim_end_matches('/').to_string())
}

pub(super) use crate::form::{encode, segment};

/// A request that did not get an answer (refused connection, timeout).
pub(super) fn transport(vendor: &str, err: &reqwest::Error) -> CarrierError {
    let what = if err.is_timeout() { "did not answer in time" } else { "could not be reached" };
    // Only the cause ("Connection refused"), not the error itself, which names the URL.
    let detail = match std::error::Error::source(err) {
        Some(source) => format!(": {source}"),
        None => String::new(),
    };
    CarrierError::Unavailable(format!("{vendor} {what}{detail}"))
}

/// An answer that is not a success. `message` is the vendor's own text
/// from the error body, if it had one.
pub(super) fn status_error(vendor: &str, status: StatusCode, message: Option<String>) -> CarrierError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CarrierError::Unauthorized,
        StatusCode::NOT_FOUND => CarrierError::NotFound,
        s if s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT || s.is_server_error() => {
            CarrierError::Unavailable(format!("{vendor} answered HTTP {}", s.as_u16()))
        }
        s => CarrierError::Rejected(
            message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("{vendor} refused the request (HTTP {})", s.as_u16())),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_onto_carrier_errors() {
        assert_eq!(status_error("Twilio", StatusCode::UNAUTHORIZED, None), CarrierError::Unauthorized);
        assert_eq!(status_error("Twilio", StatusCode::FORBIDDEN, Some("no".into())), CarrierError::Unauthorized);
        assert_eq!(status_error("Telnyx", StatusCode::NOT_FOUND, None), CarrierError::NotFound);
        assert!(matches!(status_error("Telnyx", StatusCode::BAD_GATEWAY, None), CarrierError::Unavailable(_)));
        assert!(matches!(status_error("Telnyx", StatusCode::TOO_MANY_REQUESTS, None), CarrierError::Unavailable(_)));
        assert_eq!(
            status_error("Twilio", StatusCode::BAD_REQUEST, Some("Number not available".into())),
            CarrierError::Rejected("Number not available".into())
        );
        assert_eq!(
            status_error("Twilio", StatusCode::UNPROCESSABLE_ENTITY, Some(" ".into())),
            CarrierError::Rejected("Twilio refused the request (HTTP 422)".into())
        );
    }

    #[test]
    fn segments_cannot_change_the_path_and_bases_must_be_http() {
        assert_eq!(segment("PN12/../x?y"), "PN12%2F%2E%2E%2Fx%3Fy");
        assert_eq!(segment("+14155550100"), "%2B14155550100");
        assert_eq!(base("Twilio", "https://api.twilio.com/").unwrap(), "https://api.twilio.com");
        assert!(matches!(base("Twilio", "ftp://x"), Err(CarrierError::Rejected(_))));
        assert!(matches!(base("Twilio", "not a url"), Err(CarrierError::Rejected(_))));
    }
}
