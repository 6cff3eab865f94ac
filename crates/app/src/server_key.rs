//! The server key: 32 random bytes that only the server holds. Purposes
//! never use it directly; each derives its own subkey ([`ServerKey::subkey`]),
//! so a signature made for one purpose can never pass for another's.
//!
//! It lives in a file (`--server-key-file`, default `<data-dir>/server.key`),
//! written with mode 0600 on first start. Several processes sharing one
//! database must share the file too (a mounted secret, for example).
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct ServerKey([u8; KEY_BYTES]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.key_id())
    }
}

impl ServerKey {
    /// Reads the key file, or creates it with a new random key when missing.
    pub fn load_or_create(path: &Path) -> anyhow::Result<ServerKey> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut bytes = [0u8; KEY_BYTES];
        rand::fill(&mut bytes[..]);
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                writeln!(file, "{}", STANDARD.encode(bytes))
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing the server key to {}", path.display()))?;
                tracing::info!(path = %path.display(), "created a new server key");
                Ok(ServerKey(bytes))
            }
            // Present already (perhaps another process created it just now).
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(err) => Err(err).with_context(|| format!("creating the server key file {}", path.display())),
        }
    }

    fn load(path: &Path) -> anyhow::Result<ServerKey> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading the server key {}", path.display()))?;
        // A file another process is still writing reads empty; try again.
        let text = if text.trim().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::read_to_string(path).with_context(|| format!("reading the server key {}", path.display()))?
        } else {
            text
        };
        let key = Self::parse(&text).with_context(|| format!("server key file {}", path.display()))?;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the server key file is readable by other users; chmod 600 it");
        }
        Ok(key)
    }

    /// A key from its base64 text (the file's content).
    pub fn parse(text: &str) -> anyhow::Result<ServerKey> {
        let bytes = STANDARD.decode(text.trim()).context("the server key is not base64")?;
        let bytes: [u8; KEY_BYTES] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| anyhow::anyhow!("the server key must be {KEY_BYTES} bytes, not {}", b.len()))?;
        Ok(ServerKey(bytes))
    }

    /// The key for one purpose: HMAC-SHA256(server key, purpose).
    pub fn subkey(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, purpose.as_bytes())
    }

    /// Names the key without revealing it (16 hex characters), so a
    /// signature says which key made it.
    pub fn key_id(&self) -> String {
        hex::encode(&self.subkey("key-id")[..8])
    }
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // new_from_slice accepts keys of any length for HMAC; the error type
    // exists only for the trait's sake.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_with_mode_600_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/server.key");
        let first = ServerKey::load_or_create(&path).expect("created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = ServerKey::load_or_create(&path).expect("read");
        assert_eq!(first.0, again.0);
        assert_eq!(first.key_id().len(), 16);
        assert!(!format!("{first:?}").contains(&STANDARD.encode(first.0)));
    }

    #[test]
    fn subkeys_differ_by_purpose_and_bad_files_are_refused() {
        let key = ServerKey([7; KEY_BYTES]);
        assert_ne!(key.subkey("audit-checkpoint"), key.subkey("webhook-secrets"));
        assert!(ServerKey::parse("not base64!").is_err());
        assert!(ServerKey::parse(&STANDARD.encode([1u8; 16])).is_err());
        assert!(ServerKey::parse(&STANDARD.encode([1u8; 32])).is_ok());
    }
}
