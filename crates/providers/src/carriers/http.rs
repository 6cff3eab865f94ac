//! The shared HTTP pieces ([`crate::http`]) as the Twilio and Telnyx clients
//! use them: a 30 s request limit, path segments that cannot change the
//! path, and the status-to-[`CarrierError`] rule. Errors and logs carry the
//! vendor, the method, the path and the status, never a credential or a body.
use std::time::Duration;

use reqwest::StatusCode;

use super::CarrierError;
use crate::http::Refusal;

/// A whole request (a carrier's number search can be slow) gives up after this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn client(vendor: &str) -> Result<reqwest::Client, CarrierError> {
    crate::http::client(vendor, REQUEST_TIMEOUT).map_err(CarrierError::Unavailable)
}

/// An `http(s)` base URL without a trailing slash.
pub(super) fn base(vendor: &str, api_base: &str) -> Result<String, CarrierError> {
    crate::http::base(vendor, api_base).map_err(CarrierError::Rejected)
}

pub(super) use crate::form::{encode, segment};

/// A request that did not get an answer (refused connection, timeout).
pub(super) fn transport(vendor: &str, err: &reqwest::Error) -> CarrierError {
    CarrierError::Unavailable(crate::http::transport(vendor, err))
}

/// An answer that is not a success. `message` is the vendor's own text
/// from the error body, if it had one.
pub(super) fn status_error(vendor: &str, status: StatusCode, message: Option<String>) -> CarrierError {
    match crate::http::refusal(vendor, status, message) {
        Refusal::Unauthorized => CarrierError::Unauthorized,
        Refusal::NotFound => CarrierError::NotFound,
        Refusal::Unavailable(m) => CarrierError::Unavailable(m),
        Refusal::Rejected(m) => CarrierError::Rejected(m),
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
