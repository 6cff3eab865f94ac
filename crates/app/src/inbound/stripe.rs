//! Stripe's `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
//! where each `v1` is HMAC-SHA256 of `"{t}.{raw body}"` keyed with the
//! endpoint's signing secret used as plain UTF-8 (not base64-decoded, unlike
//! Standard Webhooks). Stripe sends several `v1` while a secret is being
//! rolled; any one matching is enough. Other schemes (`v0`) are ignored.
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Rejection;

pub const HEADER: &str = "stripe-signature";

/// Checks `header` against `body`, then that `t` is within `tolerance` of
/// `now` (either side), so a captured request cannot be replayed later.
/// The signature is checked first so that "stale" only ever describes a
/// genuine request that arrived late.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: Duration) -> Result<(), Rejection> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else { continue };
        match key {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| Rejection::Malformed)?),
            "v1" => signatures.push(hex::decode(value).map_err(|_| Rejection::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Rejection::Malformed)?;
    if signatures.is_empty() {
        return Err(Rejection::Malformed);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| Rejection::NotConfigured)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // `verify_slice` compares in constant time; every candidate is tried so
    // the time taken does not depend on which one matched.
    let matched = signatures.iter().fold(false, |any, sig| mac.clone().verify_slice(sig).is_ok() | any);
    if !matched {
        return Err(Rejection::BadSignature);
    }
    super::check_timestamp(timestamp, now, tolerance)
}

/// The header Stripe would send for `body` at `timestamp`; for tests and
/// for sending signed test events.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::test_vectors::vector;

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    struct Vector {
        secret: String,
        timestamp: i64,
        body: String,
        header: String,
    }

    fn stripe_vector() -> Vector {
        let v = vector("stripe");
        Vector {
            secret: v["endpoint_secret"].as_str().expect("secret").to_string(),
            timestamp: v["timestamp"].as_i64().expect("timestamp"),
            body: v["raw_body"].as_str().expect("body").to_string(),
            header: v["expected_header"].as_str().expect("header").to_string(),
        }
    }

    #[test]
    fn the_vector_verifies_and_signing_reproduces_it() {
        let v = stripe_vector();
        assert_eq!(verify(&v.secret, &v.header, v.body.as_bytes(), v.timestamp, FIVE_MINUTES), Ok(()));
        assert_eq!(sign(&v.secret, v.timestamp, v.body.as_bytes()), v.header);
    }

    #[test]
    fn a_changed_body_secret_or_signature_is_refused() {
        let v = stripe_vector();
        let (t, body) = (v.timestamp, v.body.as_bytes());
        let tampered = v.body.replace("customer.created", "customer.deleted");
        assert_eq!(verify(&v.secret, &v.header, tampered.as_bytes(), t, FIVE_MINUTES), Err(Rejection::BadSignature));
        assert_eq!(verify("whsec_other", &v.header, body, t, FIVE_MINUTES), Err(Rejection::BadSignature));
        let flipped = format!("{}0", &v.header[..v.header.len() - 1]);
        assert_eq!(verify(&v.secret, &flipped, body, t, FIVE_MINUTES), Err(Rejection::BadSignature));
        // The timestamp is signed: moving it breaks the signature.
        let moved = v.header.replace("t=1700000000", "t=1700000001");
        assert_eq!(verify(&v.secret, &moved, body, t, FIVE_MINUTES), Err(Rejection::BadSignature));
    }

    #[test]
    fn any_one_of_several_v1_signatures_is_enough_and_v0_is_ignored() {
        let v = stripe_vector();
        let good = v.header.split_once(",v1=").expect("v1").1;
        let other = "0".repeat(64);
        let header = format!("t={},v1={other},v0={good},v1={good}", v.timestamp);
        assert_eq!(verify(&v.secret, &header, v.body.as_bytes(), v.timestamp, FIVE_MINUTES), Ok(()));
        // A correct signature under v0 only does not count.
        let header = format!("t={},v0={good},v1={other}", v.timestamp);
        assert_eq!(
            verify(&v.secret, &header, v.body.as_bytes(), v.timestamp, FIVE_MINUTES),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn a_timestamp_outside_the_tolerance_is_stale_on_either_side() {
        let v = stripe_vector();
        let check = |now| verify(&v.secret, &v.header, v.body.as_bytes(), now, FIVE_MINUTES);
        assert_eq!(check(v.timestamp + 300), Ok(()));
        assert_eq!(check(v.timestamp - 300), Ok(()));
        assert_eq!(check(v.timestamp + 301), Err(Rejection::Stale));
        assert_eq!(check(v.timestamp - 301), Err(Rejection::Stale));
    }

    #[test]
    fn headers_without_a_timestamp_or_v1_or_with_bad_values_are_malformed() {
        let v = stripe_vector();
        let good = v.header.split_once(",v1=").expect("v1").1.to_string();
        for header in [
            String::new(),
            format!("v1={good}"),
            format!("t={}", v.timestamp),
            format!("t=soon,v1={good}"),
            format!("t={},v1=not-hex", v.timestamp),
            "garbage".to_string(),
        ] {
            assert_eq!(
                verify(&v.secret, &header, v.body.as_bytes(), v.timestamp, FIVE_MINUTES),
                Err(Rejection::Malformed),
                "{header:?}"
            );
        }
    }
}
