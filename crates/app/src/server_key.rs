//! The server key: 32 random bytes that only the server holds. Purposes
//! never use it directly; each derives its own subkey ([`ServerKey::subkey`]),
//! so a signature made for one purpose can never pass for another's.
//!
//! It lives in a file (`--server-key-file`, default `<data-dir>/server.key`),
//! written with mode 0600 on first start. Several processes sharing one
//! database must share the file too (a mounted secret, for example).
//!
//! ## Rotation and the keyring
//!
//! `switchboard key rotate` ([`rotate`]) makes a new current key and keeps
//! the old ones in the **keyring file** beside the key file
//! (`<key file>.previous`, e.g. `server.key.previous`), mode 0600: one
//! previous key per line, base64 of its 32 bytes like the key file, oldest
//! first; blank lines and lines starting with `#` are ignored. Its keys
//! never seal or sign anything new; they only open values sealed before
//! (see [`crate::sealed`]) and verify old audit checkpoints, each found by
//! its [`ServerKey::key_id`]. Delete a line only once nothing names its key
//! any more (the re-seal job has run; no kept checkpoint was signed by it).
//!
//! A running process keeps the keys it loaded. It reads the files again
//! when asked for a key ID it does not know (at most every few seconds)
//! and before the re-seal job runs; until then it keeps sealing with the
//! previous key, which stays openable.
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

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

/// The current server key and the previous ones (the keyring), shared by
/// every clone. The current key seals and signs; any of them opens and
/// verifies.
#[derive(Clone)]
pub struct ServerKeys {
    ring: Arc<RwLock<Ring>>,
    /// The key file, to read again after a rotation; `None` for keys made in memory.
    path: Option<PathBuf>,
    last_reload: Arc<Mutex<Option<Instant>>>,
}

#[derive(Clone)]
struct Ring {
    current: ServerKey,
    previous: Vec<ServerKey>,
}

/// How often an unknown key ID may send a process back to the key files: a
/// checkpoint handed to the API names any key ID it likes.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(5);

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ring = self.read();
        let previous: Vec<String> = ring.previous.iter().map(ServerKey::key_id).collect();
        f.debug_struct("ServerKeys").field("current", &ring.current.key_id()).field("previous", &previous).finish()
    }
}

impl ServerKeys {
    /// The key file (created when missing, see [`ServerKey::load_or_create`])
    /// and its keyring, when there is one.
    pub fn load_or_create(path: &Path) -> anyhow::Result<ServerKeys> {
        let current = ServerKey::load_or_create(path)?;
        let previous = read_keyring(&keyring_path(path))?;
        Ok(ServerKeys {
            ring: Arc::new(RwLock::new(Ring { current, previous })),
            path: Some(path.to_path_buf()),
            last_reload: Arc::new(Mutex::new(None)),
        })
    }

    /// One key and no keyring (tests, tools).
    pub fn single(key: ServerKey) -> ServerKeys {
        ServerKeys {
            ring: Arc::new(RwLock::new(Ring { current: key, previous: Vec::new() })),
            path: None,
            last_reload: Arc::new(Mutex::new(None)),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        // A panic while holding the lock cannot leave a half-written ring:
        // it is replaced whole.
        self.ring.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key that seals and signs now.
    pub fn current(&self) -> ServerKey {
        self.read().current.clone()
    }

    /// The current key's ID.
    pub fn key_id(&self) -> String {
        self.read().current.key_id()
    }

    /// The key named `key_id`, current or previous. An ID not known here
    /// reads the key files again first (another process may have rotated).
    pub fn find(&self, key_id: &str) -> Option<ServerKey> {
        let known = |ring: &Ring| {
            std::iter::once(&ring.current).chain(ring.previous.iter()).find(|k| k.key_id() == key_id).cloned()
        };
        if let Some(key) = known(&self.read()) {
            return Some(key);
        }
        let due = {
            let mut last = self.last_reload.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = last.is_none_or(|at| at.elapsed() >= RELOAD_AT_MOST_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due && let Err(err) = self.reload() {
            tracing::warn!(error = %format!("{err:#}"), "could not read the server key files again");
        }
        known(&self.read())
    }

    /// Every key, current first (for values that do not name their key).
    pub fn all(&self) -> Vec<ServerKey> {
        let ring = self.read();
        std::iter::once(ring.current.clone()).chain(ring.previous.iter().rev().cloned()).collect()
    }

    /// Reads the key file and the keyring again (after `key rotate`).
    pub fn reload(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let current = ServerKey::load(path)?;
        let previous = read_keyring(&keyring_path(path))?;
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Ring { current, previous };
        Ok(())
    }
}

/// The keyring file of the key file `key_file`.
pub fn keyring_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".previous");
    key_file.with_file_name(name)
}

fn read_keyring(path: &Path) -> anyhow::Result<Vec<ServerKey>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading the keyring {}", path.display())),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, line)| ServerKey::parse(line).with_context(|| format!("keyring {}, key {}", path.display(), i + 1)))
        .collect()
}

/// Makes a new current key: the old one is appended to the keyring first
/// (so a crash in between loses nothing; a key in both places is harmless),
/// then the new key replaces the key file atomically (a rename). Returns
/// the (old, new) key IDs. Run one rotation at a time.
pub fn rotate(key_file: &Path) -> anyhow::Result<(String, String)> {
    let old = ServerKey::load_or_create(key_file)?;
    let ring = keyring_path(key_file);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&ring)
        .with_context(|| format!("opening the keyring {}", ring.display()))?;
    writeln!(file, "{}", STANDARD.encode(old.0))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the keyring {}", ring.display()))?;

    let mut bytes = [0u8; KEY_BYTES];
    rand::fill(&mut bytes[..]);
    let new = ServerKey(bytes);
    let mut temp_name = key_file.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    temp_name.push(".new");
    let temp = key_file.with_file_name(temp_name);
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .with_context(|| format!("creating {}", temp.display()))?;
    writeln!(file, "{}", STANDARD.encode(new.0))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, key_file).with_context(|| format!("replacing {}", key_file.display()))?;
    Ok((old.key_id(), new.key_id()))
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
    fn rotation_keeps_the_old_key_in_a_0600_keyring_and_running_processes_find_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.key");
        let keys = ServerKeys::load_or_create(&path).expect("created");
        let first = keys.key_id();
        let (old, new) = rotate(&path).expect("rotate");
        assert_eq!(old, first);
        assert_ne!(old, new);
        let ring = keyring_path(&path);
        assert_eq!(ring.file_name().and_then(|n| n.to_str()), Some("server.key.previous"));
        assert_eq!(std::fs::metadata(&ring).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        // This process still seals with the old key until it reads the files again…
        assert_eq!(keys.key_id(), first);
        // …which asking for the new key's ID does.
        assert_eq!(keys.find(&new).map(|k| k.key_id()), Some(new.clone()));
        assert_eq!(keys.key_id(), new);
        assert_eq!(keys.find(&first).map(|k| k.key_id()), Some(first.clone()));
        // A fresh process sees both; a third rotation keeps both old keys.
        let (_, third) = rotate(&path).expect("rotate again");
        let fresh = ServerKeys::load_or_create(&path).expect("load");
        assert_eq!(fresh.key_id(), third);
        assert_eq!(fresh.all().iter().map(ServerKey::key_id).collect::<Vec<_>>(), vec![third, new, first]);
        assert!(fresh.find("0000000000000000").is_none());
        assert!(!format!("{fresh:?}").contains(&STANDARD.encode(fresh.current().0)));
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
