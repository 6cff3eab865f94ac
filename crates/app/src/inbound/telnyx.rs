//! Telnyx's Ed25519 signatures: `telnyx-signature-ed25519` is the base64
//! signature of `"{telnyx-timestamp}|{raw body}"`, checked with the account's
//! base64 public key (Mission Control → Keys & Credentials → Public Key).
//! There is no shared secret: the key is public, and a leaked one lets no
//! one sign.
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};

use super::Rejection;

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// A base64 Ed25519 public key (32 bytes), refusing weak and invalid points.
pub fn parse_public_key(base64: &str) -> Result<VerifyingKey, Rejection> {
    let bytes: [u8; 32] =
        STANDARD.decode(base64.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(Rejection::NotConfigured)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| Rejection::NotConfigured)?;
    if key.is_weak() {
        return Err(Rejection::NotConfigured);
    }
    Ok(key)
}

/// Checks the signature, then that the timestamp is within `tolerance` of
/// `now` (either side). `verify_strict` refuses malleable signatures, and
/// its comparison does not leak timing about the expected value.
pub fn verify(
    public_key: &str,
    signature: &str,
    timestamp: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), Rejection> {
    let key = parse_public_key(public_key)?;
    let signature: [u8; 64] =
        STANDARD.decode(signature.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(Rejection::Malformed)?;
    let signature = Signature::from_bytes(&signature);
    let seconds: i64 = timestamp.trim().parse().map_err(|_| Rejection::Malformed)?;
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    key.verify_strict(&message, &signature).map_err(|_| Rejection::BadSignature)?;
    super::check_timestamp(seconds, now, tolerance)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::inbound::test_vectors::vector;

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    struct Vector {
        seed: [u8; 32],
        key: String,
        timestamp: String,
        body: String,
        signature: String,
    }

    fn telnyx_vector() -> Vector {
        let v = vector("telnyx");
        let seed = hex::decode(v["test_private_key_seed_hex"].as_str().expect("seed")).expect("hex seed");
        Vector {
            seed: seed.try_into().expect("32-byte seed"),
            key: v["test_public_key_base64"].as_str().expect("key").to_string(),
            timestamp: v["telnyx_timestamp"].as_str().expect("timestamp").to_string(),
            body: v["raw_body"].as_str().expect("body").to_string(),
            signature: v["expected_signature_base64"].as_str().expect("signature").to_string(),
        }
    }

    fn now(v: &Vector) -> i64 {
        v.timestamp.parse().expect("number")
    }

    #[test]
    fn the_vector_verifies_and_its_seed_gives_its_key_and_signature() {
        let v = telnyx_vector();
        assert_eq!(verify(&v.key, &v.signature, &v.timestamp, v.body.as_bytes(), now(&v), FIVE_MINUTES), Ok(()));
        let signing = SigningKey::from_bytes(&v.seed);
        assert_eq!(STANDARD.encode(signing.verifying_key().as_bytes()), v.key);
        let message = format!("{}|{}", v.timestamp, v.body);
        assert_eq!(STANDARD.encode(signing.sign(message.as_bytes()).to_bytes()), v.signature);
    }

    #[test]
    fn a_changed_body_timestamp_key_or_signature_is_refused() {
        let v = telnyx_vector();
        let t = now(&v);
        let check = |key: &str, sig: &str, ts: &str, body: &str| verify(key, sig, ts, body.as_bytes(), t, FIVE_MINUTES);
        let tampered = v.body.replace("complete", "failed");
        assert_eq!(check(&v.key, &v.signature, &v.timestamp, &tampered), Err(Rejection::BadSignature));
        assert_eq!(check(&v.key, &v.signature, "1700000001", &v.body), Err(Rejection::BadSignature));
        let other_key = STANDARD.encode(SigningKey::from_bytes(&[7u8; 32]).verifying_key().as_bytes());
        assert_eq!(check(&other_key, &v.signature, &v.timestamp, &v.body), Err(Rejection::BadSignature));
        let mut flipped = STANDARD.decode(&v.signature).expect("b64");
        flipped[0] ^= 1;
        assert_eq!(check(&v.key, &STANDARD.encode(flipped), &v.timestamp, &v.body), Err(Rejection::BadSignature));
    }

    #[test]
    fn a_timestamp_outside_the_tolerance_is_stale_on_either_side() {
        let v = telnyx_vector();
        let check = |now| verify(&v.key, &v.signature, &v.timestamp, v.body.as_bytes(), now, FIVE_MINUTES);
        assert_eq!(check(now(&v) + 300), Ok(()));
        assert_eq!(check(now(&v) - 300), Ok(()));
        assert_eq!(check(now(&v) + 301), Err(Rejection::Stale));
        assert_eq!(check(now(&v) - 301), Err(Rejection::Stale));
    }

    #[test]
    fn malformed_signatures_timestamps_and_keys_are_told_apart() {
        let v = telnyx_vector();
        let t = now(&v);
        let body = v.body.as_bytes();
        assert_eq!(verify(&v.key, "not base64!", &v.timestamp, body, t, FIVE_MINUTES), Err(Rejection::Malformed));
        assert_eq!(verify(&v.key, "c2hvcnQ=", &v.timestamp, body, t, FIVE_MINUTES), Err(Rejection::Malformed));
        assert_eq!(verify(&v.key, &v.signature, "yesterday", body, t, FIVE_MINUTES), Err(Rejection::Malformed));
        // A bad key is this server's fault, not the caller's.
        assert_eq!(
            verify("c2hvcnQ=", &v.signature, &v.timestamp, body, t, FIVE_MINUTES),
            Err(Rejection::NotConfigured)
        );
        assert!(parse_public_key(&STANDARD.encode([0u8; 32])).is_err(), "the identity point is a weak key");
    }
}
