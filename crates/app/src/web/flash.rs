//! One-shot messages carried across a redirect in a short-lived cookie and
//! shown as a toast on the next page.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const FLASH_COOKIE: &str = "sb_flash";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    /// `success` (role=status) or `error` (role=alert).
    pub kind: String,
    pub text: String,
}

impl Flash {
    pub fn success(text: impl Into<String>) -> Self {
        Self { kind: "success".into(), text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self { kind: "error".into(), text: text.into() }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Anything unreadable is dropped: the cookie is a convenience.
    pub fn decode(value: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        let flash: Flash = serde_json::from_slice(&bytes).ok()?;
        matches!(flash.kind.as_str(), "success" | "error").then_some(flash)
    }

    pub fn cookie(&self) -> Cookie<'static> {
        Cookie::build((FLASH_COOKIE, self.encode())).path("/").http_only(true).same_site(SameSite::Lax).build()
    }
}

/// 303 See Other to `to`, with a toast for the next page.
pub fn redirect_with_flash(to: &str, flash: Flash) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Ok(value) = HeaderValue::from_str(&flash.cookie().to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// 303 See Other with no message.
pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_round_trip_and_reject_garbage() {
        let flash = Flash::error("You don't have permission to open Settings.");
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
        assert_eq!(Flash::decode("not base64!"), None);
        let odd = URL_SAFE_NO_PAD.encode(br#"{"kind":"script","text":"x"}"#);
        assert_eq!(Flash::decode(&odd), None);
    }
}
