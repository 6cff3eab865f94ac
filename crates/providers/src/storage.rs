//! File storage: the `FileStore` trait the app writes uploaded files
//! through (logos, avatars, exports), and `LocalFolderStore`, which keeps
//! them in a folder on disk. An object store (S3) will implement the same
//! trait later, so callers must not assume a local path exists.
//!
//! Keys look like `workspaces/ws_01ABC/logo/3/256.png` and are validated
//! strictly (see [`validate_key`]) so that no key can name a path outside
//! the store's root.
//!
//! On disk, `LocalFolderStore` keeps each file at `<root>/<key>` and its
//! content type in a sidecar `<root>/<key>.meta` (the content type as UTF-8
//! text). Keys whose last segment ends in `.meta` are therefore refused.
//! Every write goes to a temporary file in the same folder, is synced, and
//! is renamed into place, so a reader never sees half a file. The data file
//! and its sidecar are two renames: a `get` racing a `put` that *changes* a
//! key's content type may pair the new type with the old bytes. Callers
//! version their keys (`logo/3/…`) instead of overwriting, so this does not
//! arise in practice.

use crate::fs_util::write_atomically;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;

/// Longest accepted key, in bytes (S3's limit).
const MAX_KEY_LEN: usize = 1024;
/// Longest accepted segment, leaving room under the usual 255-byte file
/// name limit for the sidecar and temporary-file suffixes.
const MAX_SEGMENT_LEN: usize = 200;
/// Suffix of the sidecar file holding a key's content type.
const META_SUFFIX: &str = ".meta";
/// Content type reported when a file's sidecar is missing.
const FALLBACK_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    #[error("storage I/O error: {0}")]
    Io(#[from] io::Error),
}

/// A stored file's bytes and the content type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub bytes: Bytes,
    pub content_type: String,
}

#[async_trait::async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing any file already there.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError>;
    /// Returns the file under `key`, or `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<StoredFile>, StorageError>;
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
/// segment may not end in `.meta`, the sidecar suffix.
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

/// Files in a local folder. Fine for one server, or for several sharing a
/// network file system; use an object store otherwise.
#[derive(Debug, Clone)]
pub struct LocalFolderStore {
    root: PathBuf,
}

impl LocalFolderStore {
    /// Opens the store at `root`, creating the folder if needed.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_for(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(key.split('/').fold(self.root.clone(), |path, segment| path.join(segment)))
    }

    /// Runs blocking file system work off the async runtime's threads.
    async fn blocking<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce() -> io::Result<T> + Send + 'static,
    {
        tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?.map_err(StorageError::from)
    }
}

#[async_trait::async_trait]
impl FileStore for LocalFolderStore {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError> {
        let path = self.path_for(key)?;
        let content_type = content_type.to_owned();
        self.blocking(move || {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            write_atomically(&sidecar(&path), content_type.as_bytes())?;
            write_atomically(&path, &bytes)
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<StoredFile>, StorageError> {
        let path = self.path_for(key)?;
        self.blocking(move || {
            let Some(bytes) = missing_as_none(fs::read(&path))? else {
                return Ok(None);
            };
            let content_type = missing_as_none(fs::read_to_string(sidecar(&path)))?
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| FALLBACK_CONTENT_TYPE.to_owned());
            Ok(Some(StoredFile { bytes: Bytes::from(bytes), content_type }))
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path_for(key)?;
        self.blocking(move || {
            missing_as_none(fs::remove_file(&path))?;
            missing_as_none(fs::remove_file(sidecar(&path)))?;
            Ok(())
        })
        .await
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        let path = self.path_for(prefix)?;
        self.blocking(move || {
            // `symlink_metadata` so a symlink is never followed; keys cannot
            // create one, but the folder is shared with the rest of the host.
            match missing_as_none(fs::symlink_metadata(&path))? {
                Some(meta) if meta.is_dir() => {
                    missing_as_none(fs::remove_dir_all(&path))?;
                    Ok(())
                }
                _ => Ok(()),
            }
        })
        .await
    }
}

fn sidecar(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(META_SUFFIX);
    PathBuf::from(name)
}

/// Treats "not found" (and a directory where a file was expected, which is
/// a prefix rather than a key) as absence rather than failure.
fn missing_as_none<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if matches!(err.kind(), io::ErrorKind::NotFound | io::ErrorKind::IsADirectory) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A fresh folder under the system temp dir, removed on drop.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(name: &str) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "switchboard-storage-{name}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&path);
            Self(path)
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn store(dir: &TestDir) -> LocalFolderStore {
        LocalFolderStore::new(dir.0.join("files")).unwrap()
    }

    const LOGO: &str = "workspaces/ws_01ABC/logo/3/256.png";

    async fn put(store: &LocalFolderStore, key: &str, bytes: &'static [u8], content_type: &str) {
        let bytes = Bytes::from_static(bytes);
        store.put(key, bytes, content_type).await.unwrap();
    }

    #[tokio::test]
    async fn new_creates_the_root_folder() {
        let dir = TestDir::new("new");
        let store = store(&dir);
        assert!(store.root().is_dir());
    }

    #[tokio::test]
    async fn put_then_get_returns_bytes_and_content_type() {
        let dir = TestDir::new("put-get");
        let store = store(&dir);
        put(&store, LOGO, b"\x89PNG...", "image/png").await;

        let file = store.get(LOGO).await.unwrap().unwrap();
        assert_eq!(file.bytes, Bytes::from_static(b"\x89PNG..."));
        assert_eq!(file.content_type, "image/png");
        assert!(store.root().join(LOGO).is_file());
        assert!(store.root().join(format!("{LOGO}.meta")).is_file());
    }

    #[tokio::test]
    async fn get_of_a_missing_key_is_none() {
        let dir = TestDir::new("missing");
        let store = store(&dir);
        assert_eq!(store.get("nothing/here.png").await.unwrap(), None);
    }

    #[tokio::test]
    async fn get_of_a_prefix_is_none() {
        let dir = TestDir::new("prefix-get");
        let store = store(&dir);
        put(&store, "a/b/c.txt", b"c", "text/plain").await;
        assert_eq!(store.get("a/b").await.unwrap(), None);
    }

    #[tokio::test]
    async fn put_overwrites_bytes_and_content_type() {
        let dir = TestDir::new("overwrite");
        let store = store(&dir);
        put(&store, LOGO, b"old", "image/png").await;
        put(&store, LOGO, b"new", "image/webp").await;

        let file = store.get(LOGO).await.unwrap().unwrap();
        assert_eq!(file.bytes, Bytes::from_static(b"new"));
        assert_eq!(file.content_type, "image/webp");
    }

    #[tokio::test]
    async fn put_leaves_no_temporary_files() {
        let dir = TestDir::new("no-temp");
        let store = store(&dir);
        put(&store, "a/x.bin", b"1", "application/octet-stream").await;
        put(&store, "a/x.bin", b"2", "application/octet-stream").await;

        let mut names: Vec<_> = fs::read_dir(store.root().join("a"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["x.bin", "x.bin.meta"]);
    }

    #[tokio::test]
    async fn a_missing_sidecar_reads_as_octet_stream() {
        let dir = TestDir::new("no-sidecar");
        let store = store(&dir);
        put(&store, "a/x.bin", b"1", "text/plain").await;
        fs::remove_file(store.root().join("a/x.bin.meta")).unwrap();

        let file = store.get("a/x.bin").await.unwrap().unwrap();
        assert_eq!(file.content_type, "application/octet-stream");
    }

    #[tokio::test]
    async fn delete_removes_the_file_and_its_sidecar() {
        let dir = TestDir::new("delete");
        let store = store(&dir);
        put(&store, LOGO, b"png", "image/png").await;
        store.delete(LOGO).await.unwrap();

        assert_eq!(store.get(LOGO).await.unwrap(), None);
        assert!(!store.root().join(format!("{LOGO}.meta")).exists());
    }

    #[tokio::test]
    async fn delete_of_a_missing_key_is_ok() {
        let dir = TestDir::new("delete-missing");
        let store = store(&dir);
        store.delete("never/stored.png").await.unwrap();
        store.delete(LOGO).await.unwrap();
    }

    #[tokio::test]
    async fn delete_prefix_removes_every_key_under_it_and_nothing_else() {
        let dir = TestDir::new("delete-prefix");
        let store = store(&dir);
        for key in [
            "workspaces/ws_1/logo/3/256.png",
            "workspaces/ws_1/logo/3/64.png",
            "workspaces/ws_1/logo/4/256.png",
            "workspaces/ws_1/logos/1/256.png",
            "workspaces/ws_2/logo/3/256.png",
        ] {
            put(&store, key, b"png", "image/png").await;
        }

        store.delete_prefix("workspaces/ws_1/logo").await.unwrap();

        assert_eq!(store.get("workspaces/ws_1/logo/3/256.png").await.unwrap(), None);
        assert_eq!(store.get("workspaces/ws_1/logo/3/64.png").await.unwrap(), None);
        assert_eq!(store.get("workspaces/ws_1/logo/4/256.png").await.unwrap(), None);
        assert!(store.get("workspaces/ws_1/logos/1/256.png").await.unwrap().is_some());
        assert!(store.get("workspaces/ws_2/logo/3/256.png").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn delete_prefix_keeps_a_key_equal_to_the_prefix() {
        let dir = TestDir::new("delete-prefix-file");
        let store = store(&dir);
        put(&store, "exports/report.csv", b"a,b", "text/csv").await;

        store.delete_prefix("exports/report.csv").await.unwrap();

        assert!(store.get("exports/report.csv").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn delete_prefix_of_a_missing_prefix_is_ok() {
        let dir = TestDir::new("delete-prefix-missing");
        let store = store(&dir);
        store.delete_prefix("workspaces/ws_none").await.unwrap();
    }

    #[tokio::test]
    async fn invalid_keys_are_refused_by_every_operation() {
        let dir = TestDir::new("invalid");
        let store = store(&dir);
        for key in [
            "",
            "../x",
            "/abs",
            "a//b",
            "a/../b",
            "a/./b",
            "..",
            "a/",
            "a/b/..",
            "a\\b",
            "C:x",
            "a b",
            "a/.hidden",
            "ünïcode",
            "a/b.png.meta",
            "a\0b",
        ] {
            let bytes = Bytes::from_static(b"x");
            let is_invalid = |r: Result<(), StorageError>| matches!(r, Err(StorageError::InvalidKey(_)));
            assert!(is_invalid(store.put(key, bytes, "text/plain").await), "put {key:?}");
            assert!(matches!(store.get(key).await, Err(StorageError::InvalidKey(_))), "get {key:?}");
            assert!(is_invalid(store.delete(key).await), "delete {key:?}");
            assert!(is_invalid(store.delete_prefix(key).await), "delete_prefix {key:?}");
        }
        // Nothing was written anywhere, including outside the root.
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
        assert!(!dir.0.join("x").exists());
    }

    #[test]
    fn ordinary_keys_are_valid() {
        for key in [LOGO, "users/usr_01J/avatar/1/32.png", "a", "a.b-c_d/E.F", "exports/2024-01-01.csv"] {
            assert!(validate_key(key).is_ok(), "{key:?}");
        }
        assert!(validate_key(&"a".repeat(MAX_SEGMENT_LEN + 1)).is_err());
        assert!(validate_key(&["a"; MAX_KEY_LEN].join("/")).is_err());
    }
}
