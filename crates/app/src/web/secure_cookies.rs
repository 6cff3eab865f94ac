//! Behind an https public URL every cookie the server sets carries
//! `Secure`, so a browser never sends it over plain http (where anyone on
//! the path could read a toast, or a session). The session and CSRF cookies
//! set the flag where they are built; the flash cookie is built by
//! `redirect_with_flash` from some fifty handlers that have no
//! configuration at hand, and any cookie added later is covered the same
//! way: the security-headers layer runs this on every response.
use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::cookie::Cookie;

/// Adds `Secure` to each `Set-Cookie` that lacks it.
pub fn mark_secure(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for value in cookies {
        let secured = value
            .to_str()
            .ok()
            .and_then(|text| Cookie::parse(text.to_string()).ok())
            .filter(|cookie| cookie.secure() != Some(true))
            .and_then(|mut cookie| {
                cookie.set_secure(true);
                HeaderValue::from_str(&cookie.to_string()).ok()
            });
        headers.append(header::SET_COOKIE, secured.unwrap_or(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_gets_secure_once() {
        let mut headers = HeaderMap::new();
        headers.append(header::SET_COOKIE, HeaderValue::from_static("sb_flash=abc; HttpOnly; SameSite=Lax; Path=/"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("sb_session=xyz; Secure; HttpOnly; Path=/"));
        mark_secure(&mut headers);
        let values: Vec<&str> = headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
        assert_eq!(values.len(), 2);
        assert!(values[0].starts_with("sb_flash=abc") && values[0].contains("Secure"), "{values:?}");
        assert!(values[0].contains("HttpOnly") && values[0].contains("SameSite=Lax"), "{values:?}");
        assert_eq!(values[1].matches("Secure").count(), 1, "{values:?}");
    }
}
