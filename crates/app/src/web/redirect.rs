//! Where a redirect may send someone. Every target a request supplies —
//! `next` after sign-in, a form's `back`, the Referer a refused form is sent
//! back to — goes through [`target`], so no form field, query parameter or
//! header can send a person to another site.
//!
//! A target is taken only when, parsed against the public URL, it has the
//! same origin, and it holds no control characters or backslashes: browsers
//! drop tabs and newlines from URLs and read `\` as `/`, so
//! `/\t/evil.example` or `/\evil.example` would leave the site although
//! they look like paths here.
use url::Url;

/// The path (with query and fragment) that `raw` names on this site, or
/// `fallback` when it is empty or could lead anywhere else.
pub fn target(public_url: &str, raw: &str, fallback: &str) -> String {
    same_origin(public_url, raw).unwrap_or_else(|| fallback.to_string())
}

/// The path (with query and fragment) that `raw` names on this site, or
/// `None` when it is empty or could lead anywhere else.
pub fn same_origin(public_url: &str, raw: &str) -> Option<String> {
    if raw.is_empty() || raw.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = Url::parse(public_url).ok()?;
    let url = base.join(raw).ok()?;
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    // `/.//evil.example` normalises to the path `//evil.example`, which a
    // browser would read as another host.
    let path = url.path();
    if path.starts_with("//") {
        return None;
    }
    let mut out = path.to_string();
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = url.fragment() {
        out.push('#');
        out.push_str(fragment);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://switchboard.example.com";

    #[test]
    fn paths_and_urls_on_this_site_are_followed() {
        assert_eq!(target(PUBLIC, "/settings/general", "/"), "/settings/general");
        assert_eq!(
            target(PUBLIC, "/settings/audit-log?action=member.*#x", "/"),
            "/settings/audit-log?action=member.*#x"
        );
        assert_eq!(target(PUBLIC, "https://switchboard.example.com/profile?a=1", "/"), "/profile?a=1");
        assert_eq!(target(PUBLIC, "/invite/abc", ""), "/invite/abc");
        assert_eq!(target("http://127.0.0.1:8080", "/x/../y", "/"), "/y");
    }

    #[test]
    fn anything_that_could_leave_the_site_falls_back() {
        for bad in [
            "",
            "//evil.example",
            "https://evil.example/",
            "http://switchboard.example.com/",
            "https://switchboard.example.com:8443/",
            "https://user@switchboard.example.com/",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "\t//evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/.//evil.example",
            "/x/..//evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
        ] {
            assert_eq!(target(PUBLIC, bad, "/fallback"), "/fallback", "{bad:?}");
        }
    }
}
