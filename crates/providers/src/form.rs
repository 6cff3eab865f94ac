//! URL pieces the HTTP clients (Stripe, Twilio, Telnyx) share.

/// `value` as one path segment: IDs come from the vendor or from stored
/// rows, and must not be able to change the path.
pub(crate) fn segment(value: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'_').remove(b'-');
    percent_encoding::utf8_percent_encode(value, SEGMENT).to_string()
}

/// `application/x-www-form-urlencoded` pairs in order (also a query string).
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}
