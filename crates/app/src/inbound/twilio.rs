//! Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the
//! account's auth token, over the full URL Twilio called followed by every
//! POST parameter, sorted by name, as `name` + `value` with nothing between.
//!
//! The URL must be the public one (scheme, host and path as configured at
//! Twilio, plus the query string exactly as sent), not what this process
//! sees behind a proxy; the stack builds it from `public_url`.
//!
//! Callbacks with a JSON body instead carry `bodySHA256=<hex sha256 of the
//! body>` in the URL's query: the signature then covers the URL alone (with
//! that parameter in it) and the body is tied to it by the hash.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Rejection;

pub const HEADER: &str = "x-twilio-signature";

/// What Twilio signed besides the URL: the POST parameters of a form body,
/// or nothing (a GET, or a JSON body covered by `bodySHA256`).
pub fn verify(
    auth_token: &str,
    url: &str,
    form_body: Option<&[u8]>,
    body: &[u8],
    signature: &str,
) -> Result<(), Rejection> {
    let signature = STANDARD.decode(signature.trim()).map_err(|_| Rejection::Malformed)?;
    let params = match body_sha256_param(url) {
        Some(expected_hex) => {
            let actual = hex::encode(Sha256::digest(body));
            if !bool::from(actual.as_bytes().ct_eq(expected_hex.to_ascii_lowercase().as_bytes())) {
                return Err(Rejection::BadSignature);
            }
            Vec::new()
        }
        None => form_body.map(sorted_params).unwrap_or_default(),
    };
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).map_err(|_| Rejection::NotConfigured)?;
    mac.update(string_to_sign(url, &params).as_bytes());
    mac.verify_slice(&signature).map_err(|_| Rejection::BadSignature)
}

/// The header Twilio would send; for tests and local tools.
pub fn sign(auth_token: &str, url: &str, form_body: Option<&[u8]>) -> String {
    let params = form_body.map(sorted_params).unwrap_or_default();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(string_to_sign(url, &params).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// One form field of a urlencoded body (decoded), e.g. `AccountSid`, for
/// choosing which account's token to check the signature with.
pub fn form_param(form_body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(form_body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Decoded `(name, value)` pairs sorted by name (then value, so repeated
/// names sort the way Twilio's own libraries do).
fn sorted_params(form_body: &[u8]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(form_body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    params.sort();
    params
}

fn string_to_sign(url: &str, params: &[(String, String)]) -> String {
    let mut out = url.to_string();
    for (name, value) in params {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

fn body_sha256_param(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "bodySHA256").map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::test_vectors::vector;

    struct Vector {
        token: String,
        url: String,
        form: String,
        string_to_sign: String,
        signature: String,
    }

    /// The vector's parameters as a urlencoded body, deliberately not in
    /// sorted order, as Twilio may send them.
    fn twilio_vector() -> Vector {
        let v = vector("twilio");
        let params = v["form_params"].as_object().expect("params");
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params.iter().rev() {
            form.append_pair(name, value.as_str().expect("value"));
        }
        Vector {
            token: v["auth_token"].as_str().expect("token").to_string(),
            url: v["url"].as_str().expect("url").to_string(),
            form: form.finish(),
            string_to_sign: v["string_to_sign"].as_str().expect("string").to_string(),
            signature: v["expected_signature"].as_str().expect("signature").to_string(),
        }
    }

    #[test]
    fn the_vector_verifies_and_its_string_to_sign_is_rebuilt_exactly() {
        let v = twilio_vector();
        let form = Some(v.form.as_bytes());
        assert_eq!(string_to_sign(&v.url, &sorted_params(v.form.as_bytes())), v.string_to_sign);
        assert_eq!(verify(&v.token, &v.url, form, v.form.as_bytes(), &v.signature), Ok(()));
        assert_eq!(sign(&v.token, &v.url, form), v.signature);
        assert_eq!(form_param(v.form.as_bytes(), "CallSid").as_deref(), Some("CA1234567890ABCDE"));
    }

    #[test]
    fn a_changed_param_url_token_or_signature_is_refused() {
        let v = twilio_vector();
        let check = |token: &str, url: &str, form: &str, sig: &str| {
            verify(token, url, Some(form.as_bytes()), form.as_bytes(), sig)
        };
        let changed = v.form.replace("Digits=1234", "Digits=9999");
        assert_eq!(check(&v.token, &v.url, &changed, &v.signature), Err(Rejection::BadSignature));
        let extra = format!("{}&Extra=1", v.form);
        assert_eq!(check(&v.token, &v.url, &extra, &v.signature), Err(Rejection::BadSignature));
        // The URL as this process sees it behind a proxy is not what Twilio signed.
        let internal = v.url.replace("https://mycompany.com", "http://10.0.0.5:8080");
        assert_eq!(check(&v.token, &internal, &v.form, &v.signature), Err(Rejection::BadSignature));
        let no_query = v.url.split('?').next().expect("path");
        assert_eq!(check(&v.token, no_query, &v.form, &v.signature), Err(Rejection::BadSignature));
        assert_eq!(check("54321", &v.url, &v.form, &v.signature), Err(Rejection::BadSignature));
        let other = STANDARD.encode([0u8; 20]);
        assert_eq!(check(&v.token, &v.url, &v.form, &other), Err(Rejection::BadSignature));
        assert_eq!(check(&v.token, &v.url, &v.form, "not base64!"), Err(Rejection::Malformed));
    }

    #[test]
    fn a_json_body_is_covered_by_the_body_sha256_parameter() {
        // Not in the shared vectors: built here from the documented rule.
        let token = "12345";
        let body = br#"{"CallSid":"CA123"}"#;
        let url = format!("https://mycompany.com/hook?bodySHA256={}", hex::encode(Sha256::digest(body)));
        let signature = sign(token, &url, None);
        assert_eq!(verify(token, &url, None, body, &signature), Ok(()));
        assert_eq!(verify(token, &url, None, br#"{"CallSid":"CA999"}"#, &signature), Err(Rejection::BadSignature));
    }
}
