//! File storage: the `FileStore` trait the app writes uploaded files
//! through (logos, avatars, voice samples, imports), with two
//! implementations chosen by configuration:
//!
//! - [`LocalFolderStore`] keeps them in a folder on disk (one server);
//! - [`S3Store`] keeps them in an S3 bucket (or an S3-compatible server),
//!   so several processes share them.
//!
//! Callers must not assume a local path exists. Small files go through
//! `put`/`get` with the whole body in memory; large ones through
//! `put_stream`/`get_stream`, which never hold more than a bounded amount.
//!
//! Keys look like `workspaces/ws_01ABC/logo/3/256.png` and are validated
//! strictly (see [`validate_key`]) so that no key can name a path outside
//! the store's root, and so that every key means the same on both stores.

mod local;
mod s3;

use std::io;

use bytes::Bytes;
use futures_util::stream::BoxStream;

pub use local::LocalFolderStore;
pub use s3::{S3Config, S3Store};

/// Longest accepted key, in bytes (S3's limit).
const MAX_KEY_LEN: usize = 1024;
/// Longest accepted segment, leaving room under the usual 255-byte file
/// name limit for the sidecar and temporary-file suffixes.
const MAX_SEGMENT_LEN: usize = 200;
/// Suffix of the local store's sidecar file holding a key's content type.
const META_SUFFIX: &str = ".meta";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    #[error("storage I/O error: {0}")]
    Io(#[from] io::Error),
    /// The stream given to `put_stream` failed (a client that went away, a
    /// size limit the caller enforces); nothing was stored.
    #[error("the upload stream failed: {0}")]
    Source(io::Error),
    #[error("object store error: {0}")]
    ObjectStore(#[from] object_store::Error),
}

/// Chunks of a file, as `put_stream` takes them and `get_stream` yields them.
pub type ByteStream = BoxStream<'static, Result<Bytes, io::Error>>;

/// A stored file's bytes and the content type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub bytes: Bytes,
    pub content_type: String,
}

/// A stored file read as a stream of chunks.
pub struct StoredStream {
    pub content_type: String,
    /// Length in bytes.
    pub size: u64,
    pub stream: ByteStream,
}

impl std::fmt::Debug for StoredStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredStream").field("content_type", &self.content_type).field("size", &self.size).finish()
    }
}

#[async_trait::async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing any file already there.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError>;
    /// Stores the chunks of `body` under `key` as they arrive, replacing any
    /// file already there, and returns the number of bytes stored. Memory
    /// use is bounded whatever the length. If `body` yields an error the
    /// write is abandoned — nothing new is visible under `key` — and the
    /// error comes back as [`StorageError::Source`].
    async fn put_stream(&self, key: &str, body: ByteStream, content_type: &str) -> Result<u64, StorageError>;
    /// Returns the file under `key`, or `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<StoredFile>, StorageError>;
    /// Returns the file under `key` as a stream, or `None` when there is none.
    async fn get_stream(&self, key: &str) -> Result<Option<StoredStream>, StorageError>;
    /// Removes the file under `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// Removes every key under `prefix/` (not a key equal to `prefix`).
    /// The prefix follows the key rules, so it has no trailing `/`.
    async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError>;
}

/// Checks that `key` is a relative path of non-empty segments made only of
/// `[A-Za-z0-9_.-]`, separated by single `/`.
///
/// Segments may not start with `.`: that refuses `.` and `..` (no escaping
/// the root) and keeps keys from naming hidden or temporary files. The last
/// segment may not end in `.meta`, the local store's sidecar suffix.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let invalid = || StorageError::InvalidKey(key.to_owned());
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.ends_with(META_SUFFIX) {
        return Err(invalid());
    }
    for segment in key.split('/') {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if segment.is_empty()
            || segment.len() > MAX_SEGMENT_LEN
            || segment.starts_with('.')
            || !segment.chars().all(allowed)
        {
            return Err(invalid());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_keys_are_valid() {
        for key in [
            "workspaces/ws_01ABC/logo/3/256.png",
            "users/usr_01J/avatar/1/32.png",
            "a",
            "a.b-c_d/E.F",
            "exports/2024-01-01.csv",
        ] {
            assert!(validate_key(key).is_ok(), "{key:?}");
        }
        assert!(validate_key(&"a".repeat(MAX_SEGMENT_LEN + 1)).is_err());
        assert!(validate_key(&["a"; MAX_KEY_LEN].join("/")).is_err());
    }
}
