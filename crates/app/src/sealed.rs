//! Secrets stored encrypted under the server key: webhook signing secrets
//! today, BYOC credentials and provider API keys next. [`seal`] encrypts
//! with XChaCha20-Poly1305 under the current key's subkey for `purpose`,
//! binding `associated_data` (the owning row's ID, so a value copied onto
//! another row does not open); [`open`] finds the key the value names.
//!
//! Stored form: `v2.<key id>.<base64url(24-byte nonce ‖ ciphertext)>`. The
//! key ID ([`ServerKey::key_id`]) lets several keys coexist after a
//! rotation. The webhooks' first format, `v1:<base64(nonce ‖ ciphertext)>`,
//! names no key: it opens by trying every key, current first, and the
//! re-seal job ([`crate::key_rotation`]) rewrites it in this form.
//!
//! What comes out is a [`Secret`], whose `Debug` and `Display` print
//! `<redacted>`: reaching the value takes an explicit [`Secret::expose`].
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::server_key::{ServerKey, ServerKeys};

const VERSION: &str = "v2";
const LEGACY_PREFIX: &str = "v1:";
const NONCE_BYTES: usize = 24;

/// A value that must not reach a log: printing it shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

pub type SecretString = Secret<String>;

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself; every use is a place to review.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A sealed value as stored (a TEXT column).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    /// A value read from storage (not checked until [`open`]).
    pub fn from_stored(text: impl Into<String>) -> Sealed {
        Sealed(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The ID of the key that sealed it; `None` for the legacy format.
    pub fn key_id(&self) -> Option<&str> {
        key_id_of(&self.0)
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({})", self.key_id().unwrap_or("legacy"))
    }
}

fn key_id_of(text: &str) -> Option<&str> {
    let mut parts = text.splitn(3, '.');
    (parts.next() == Some(VERSION)).then(|| parts.next()).flatten()
}

/// Why a value did not seal or open. None of them carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed value is not in a known format")]
    Malformed,
    #[error("the sealed value names server key {0}, which is neither the current key nor in the keyring")]
    UnknownKey(String),
    #[error("the sealed value does not open (another purpose or row, or it was changed)")]
    Rejected,
    #[error("the value is too long to seal")]
    TooLong,
}

fn cipher(key: &ServerKey, purpose: &str) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&key.subkey(purpose).into())
}

/// Seals `plaintext` under the current server key's subkey for `purpose`.
/// `purpose` names what the value is (`"webhook-secrets/v1"`); changing it
/// makes every stored value unreadable.
pub fn seal(keys: &ServerKeys, purpose: &str, associated_data: &[u8], plaintext: &str) -> Result<Sealed, SealError> {
    let key = keys.current();
    let mut nonce = [0u8; NONCE_BYTES];
    rand::fill(&mut nonce[..]);
    let body = cipher(&key, purpose)
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: associated_data })
        .map_err(|_| SealError::TooLong)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    Ok(Sealed(format!("{VERSION}.{}.{}", key.key_id(), URL_SAFE_NO_PAD.encode(out))))
}

/// Opens a value [`seal`] made (with any key still in the keyring).
pub fn open(keys: &ServerKeys, purpose: &str, associated_data: &[u8], sealed: &str) -> Result<SecretString, SealError> {
    if let Some(legacy) = sealed.strip_prefix(LEGACY_PREFIX) {
        let bytes = STANDARD.decode(legacy).map_err(|_| SealError::Malformed)?;
        return keys
            .all()
            .iter()
            .find_map(|key| decrypt(key, purpose, associated_data, &bytes).ok())
            .ok_or(SealError::Rejected);
    }
    let mut parts = sealed.splitn(3, '.');
    let (Some(VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SealError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Malformed)?;
    let key = keys.find(key_id).ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
    decrypt(&key, purpose, associated_data, &bytes)
}

fn decrypt(key: &ServerKey, purpose: &str, aad: &[u8], bytes: &[u8]) -> Result<SecretString, SealError> {
    if bytes.len() < NONCE_BYTES {
        return Err(SealError::Malformed);
    }
    let (nonce, body) = bytes.split_at(NONCE_BYTES);
    let plain = cipher(key, purpose)
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| SealError::Rejected)?;
    String::from_utf8(plain).map(Secret).map_err(|_| SealError::Rejected)
}

/// True when `sealed` is not sealed with the current key (the re-seal job's
/// question).
pub fn needs_reseal(keys: &ServerKeys, sealed: &str) -> bool {
    key_id_of(sealed) != Some(keys.key_id().as_str())
}

/// The legacy format, for tests that store a value as the first webhook
/// release did.
#[doc(hidden)]
pub fn seal_legacy(
    key: &ServerKey,
    purpose: &str,
    associated_data: &[u8],
    plaintext: &str,
) -> Result<String, SealError> {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::fill(&mut nonce[..]);
    let body = cipher(key, purpose)
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: associated_data })
        .map_err(|_| SealError::TooLong)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    Ok(format!("{LEGACY_PREFIX}{}", STANDARD.encode(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> ServerKey {
        ServerKey::parse(&format!("{}=", c.to_string().repeat(43))).expect("key")
    }

    #[test]
    fn a_sealed_value_names_its_key_and_opens_only_for_its_purpose_and_row() {
        let keys = ServerKeys::single(key('A'));
        let sealed = seal(&keys, "test/v1", b"row_1", "s3cret value").expect("seal");
        assert!(sealed.as_str().starts_with(&format!("v2.{}.", keys.key_id())), "{}", sealed.as_str());
        assert_eq!(sealed.key_id(), Some(keys.key_id().as_str()));
        assert!(!sealed.as_str().contains("s3cret"));
        assert_eq!(open(&keys, "test/v1", b"row_1", sealed.as_str()).expect("open").expose(), "s3cret value");
        assert_eq!(open(&keys, "test/v1", b"row_2", sealed.as_str()), Err(SealError::Rejected));
        assert_eq!(open(&keys, "other/v1", b"row_1", sealed.as_str()), Err(SealError::Rejected));
        assert!(!needs_reseal(&keys, sealed.as_str()));
        // Two seals of one value differ (a fresh nonce each).
        assert_ne!(seal(&keys, "test/v1", b"row_1", "s3cret value").expect("seal"), sealed);
    }

    #[test]
    fn another_key_or_a_changed_byte_does_not_open() {
        let keys = ServerKeys::single(key('A'));
        let other = ServerKeys::single(key('Q'));
        let sealed = seal(&keys, "test/v1", b"row_1", "secret").expect("seal").into_string();
        assert_eq!(open(&other, "test/v1", b"row_1", &sealed), Err(SealError::UnknownKey(keys.key_id())));
        // The other key under this key's name: the tag does not verify.
        let renamed = sealed.replace(&keys.key_id(), &other.key_id());
        assert_eq!(open(&other, "test/v1", b"row_1", &renamed), Err(SealError::Rejected));
        // Change one character of the ciphertext (well inside it: the last
        // one also carries padding bits).
        let at = sealed.len() - 10;
        let swap = if &sealed[at..=at] == "A" { "B" } else { "A" };
        let flipped = format!("{}{swap}{}", &sealed[..at], &sealed[at + 1..]);
        assert_eq!(open(&keys, "test/v1", b"row_1", &flipped), Err(SealError::Rejected));
        for bad in ["", "v2.", "v2.abc", "v2.abc.!!!", "v3.x.AAAA", "v1:!!", "plain text"] {
            assert!(open(&keys, "test/v1", b"row_1", bad).is_err(), "{bad}");
        }
        assert_eq!(open(&keys, "test/v1", b"row_1", &format!("v2.{}.AAAA", keys.key_id())), Err(SealError::Malformed));
    }

    #[test]
    fn legacy_values_open_with_any_key_in_the_ring_and_need_resealing() {
        let old = key('A');
        let legacy = seal_legacy(&old, "webhook-secrets/v1", b"whe_1", "whsec_x").expect("seal");
        assert!(legacy.starts_with("v1:"));
        let keys = ServerKeys::single(old);
        assert_eq!(open(&keys, "webhook-secrets/v1", b"whe_1", &legacy).expect("open").expose(), "whsec_x");
        assert!(needs_reseal(&keys, &legacy));
        assert_eq!(
            open(&ServerKeys::single(key('Q')), "webhook-secrets/v1", b"whe_1", &legacy),
            Err(SealError::Rejected)
        );
    }

    #[test]
    fn secrets_print_redacted() {
        let secret = Secret::new("whsec_abc".to_string());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
        assert_eq!(secret.expose(), "whsec_abc");
        let keys = ServerKeys::single(key('A'));
        let sealed = seal(&keys, "test/v1", b"r", "whsec_abc").expect("seal");
        assert_eq!(format!("{sealed:?}"), format!("Sealed({})", keys.key_id()));
    }
}
