//! Signing secrets and signatures, per Standard Webhooks: a secret is
//! `whsec_` + base64 of 32 random bytes; a signature is
//! `v1,` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")),
//! and the header carries one per live secret, space-separated (both the
//! new and the previous secret during a rotation's overlap).
//!
//! At rest a secret is sealed under the server key ([`crate::sealed`]),
//! with the endpoint's ID as associated data (a sealed secret copied onto
//! another endpoint does not open).
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::sealed::{self, SecretString};
use crate::server_key::{ServerKeys, hmac_sha256};

const PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;
/// The sealing purpose of signing secrets (the subkey the first release used).
pub const PURPOSE: &str = "webhook-secrets/v1";

/// The columns that hold sealed secrets, for the re-seal job after a key
/// rotation. Each is sealed with its row's `id` as associated data.
pub const SEALED_COLUMNS: [crate::key_rotation::SealedColumn; 2] = [
    crate::key_rotation::SealedColumn { table: "webhook_endpoints", column: "secret_enc", purpose: PURPOSE },
    crate::key_rotation::SealedColumn { table: "webhook_endpoints", column: "previous_secret_enc", purpose: PURPOSE },
];

/// A new secret in the Standard Webhooks format.
pub fn generate() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::fill(&mut bytes[..]);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes behind a `whsec_…` secret.
fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(PREFIX)?).ok().filter(|b| (24..=64).contains(&b.len()))
}

/// One `v1,` signature of a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key_bytes(secret)?;
    let mut content = Vec::with_capacity(msg_id.len() + body.len() + 24);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.to_string().as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    Some(format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &content))))
}

/// The `webhook-signature` header: one signature per secret.
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().filter_map(|s| sign(s, msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Seals `secret` for storage on endpoint `endpoint_id`.
pub fn seal(keys: &ServerKeys, endpoint_id: &str, secret: &str) -> anyhow::Result<String> {
    Ok(sealed::seal(keys, PURPOSE, endpoint_id.as_bytes(), secret)?.into_string())
}

/// Opens a sealed secret of endpoint `endpoint_id`; an error means a key
/// no longer in the keyring (or a damaged row).
pub fn open(keys: &ServerKeys, endpoint_id: &str, sealed: &str) -> anyhow::Result<SecretString> {
    sealed::open(keys, PURPOSE, endpoint_id.as_bytes(), sealed)
        .map_err(|e| anyhow::anyhow!("webhook secret of {endpoint_id}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference libraries' vectors
    /// (a copy of shared/specs/standard-webhooks-test-vectors.json).
    #[test]
    fn signatures_match_the_reference_vectors() {
        let text = include_str!("../../tests/fixtures/standard-webhooks-test-vectors.json");
        let vectors: serde_json::Value = serde_json::from_str(text).expect("json");
        let valid = vectors["valid"].as_array().expect("valid");
        assert!(!valid.is_empty());
        for v in valid {
            let got = sign(
                v["secret"].as_str().expect("secret"),
                v["webhook_id"].as_str().expect("id"),
                v["webhook_timestamp"].as_i64().expect("ts"),
                v["payload"].as_str().expect("payload").as_bytes(),
            );
            assert_eq!(got.as_deref(), v["expected_signature"].as_str(), "{}", v["name"]);
        }
    }

    #[test]
    fn secrets_look_right_and_both_sign_during_a_rotation() {
        let (a, b) = (generate(), generate());
        assert!(a.starts_with("whsec_") && a != b);
        assert_eq!(key_bytes(&a).map(|k| k.len()), Some(32));
        let header = signature_header(&[&a, &b], "msg_1", 1_700_000_000, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_eq!(sign("not a secret", "msg_1", 1, b"{}"), None);
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_endpoint() {
        use crate::server_key::ServerKey;
        let key = ServerKeys::single(ServerKey::parse(&format!("{}=", "A".repeat(43))).expect("key"));
        let other = ServerKeys::single(ServerKey::parse(&format!("{}=", "Q".repeat(43))).expect("key"));
        let secret = generate();
        let sealed = seal(&key, "ep_1", &secret).expect("seal");
        assert!(!sealed.contains(&secret[6..]));
        assert_eq!(open(&key, "ep_1", &sealed).expect("open").expose(), &secret);
        // The first release's format still opens.
        let legacy = crate::sealed::seal_legacy(&key.current(), PURPOSE, b"ep_1", &secret).expect("legacy");
        assert_eq!(open(&key, "ep_1", &legacy).expect("open legacy").expose(), &secret);
        assert!(open(&key, "ep_2", &sealed).is_err());
        assert!(open(&other, "ep_1", &sealed).is_err());
        assert!(open(&key, "ep_1", "v1:AAAA").is_err());
    }
}
