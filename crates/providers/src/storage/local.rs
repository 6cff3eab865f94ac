//! `LocalFolderStore`: files in a folder on disk. Fine for one server, or
//! for several sharing a network file system; use [`super::S3Store`]
//! otherwise.
//!
//! Each file is kept at `<root>/<key>` and its content type in a sidecar
//! `<root>/<key>.meta` (the content type as UTF-8 text); keys whose last
//! segment ends in `.meta` are therefore refused (see [`super::validate_key`]).
//! Every write goes to a temporary file in the same folder, is synced, and
//! is renamed into place, so a reader never sees half a file — a streamed
//! write too: its chunks go to the temporary file as they arrive, and a
//! failed or cut-off stream leaves the old file (or none) in place. The data
//! file and its sidecar are two renames: a `get` racing a `put` that
//! *changes* a key's content type may pair the new type with the old bytes.
//! Callers version their keys (`logo/3/…`) instead of overwriting, so this
//! does not arise in practice.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ByteStream, FileStore, META_SUFFIX, StorageError, StoredFile, StoredStream, validate_key};
use crate::fs_util::{temp_path_for, write_atomically};

/// Content type reported when a file's sidecar is missing.
const FALLBACK_CONTENT_TYPE: &str = "application/octet-stream";
/// Size of the chunks a streamed read yields.
const READ_CHUNK: usize = 64 * 1024;

/// Files in a local folder (see the module header).
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

    async fn put_stream(&self, key: &str, mut body: ByteStream, content_type: &str) -> Result<u64, StorageError> {
        let path = self.path_for(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let temp = temp_path_for(&path)?;
        let written = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            let mut written = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::Source)?;
                file.write_all(&chunk).await?;
                written += chunk.len() as u64;
            }
            file.sync_all().await?;
            Ok::<u64, StorageError>(written)
        }
        .await;
        let written = match written {
            Ok(written) => written,
            Err(err) => {
                // Best effort: the write already failed, and that error matters more.
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(err);
            }
        };
        let content_type = content_type.to_owned();
        self.blocking(move || {
            let renamed =
                write_atomically(&sidecar(&path), content_type.as_bytes()).and_then(|()| fs::rename(&temp, &path));
            if renamed.is_err() {
                let _ = fs::remove_file(&temp);
            }
            renamed
        })
        .await?;
        Ok(written)
    }

    async fn get_stream(&self, key: &str) -> Result<Option<StoredStream>, StorageError> {
        let path = self.path_for(key)?;
        let Some(file) = missing_as_none(tokio::fs::File::open(&path).await)? else {
            return Ok(None);
        };
        let meta = file.metadata().await?;
        // Opening a folder succeeds on Unix; a prefix is not a file.
        if !meta.is_file() {
            return Ok(None);
        }
        let content_type = read_content_type(&path).await?;
        let stream = futures_util::stream::try_unfold(file, |mut file| async move {
            let mut buf = BytesMut::with_capacity(READ_CHUNK);
            match file.read_buf(&mut buf).await? {
                0 => Ok(None),
                _ => Ok(Some((buf.freeze(), file))),
            }
        });
        Ok(Some(StoredStream { content_type, size: meta.len(), stream: stream.boxed() }))
    }

    async fn get(&self, key: &str) -> Result<Option<StoredFile>, StorageError> {
        let path = self.path_for(key)?;
        self.blocking(move || {
            let Some(bytes) = missing_as_none(fs::read(&path))? else {
                return Ok(None);
            };
            let content_type = content_type_from(missing_as_none(fs::read_to_string(sidecar(&path)))?);
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

async fn read_content_type(path: &Path) -> io::Result<String> {
    Ok(content_type_from(missing_as_none(tokio::fs::read_to_string(sidecar(path)).await)?))
}

fn content_type_from(sidecar: Option<String>) -> String {
    sidecar
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| FALLBACK_CONTENT_TYPE.to_owned())
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

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<Result<Bytes, io::Error>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures_util::stream::iter(parts).boxed()
    }

    #[tokio::test]
    async fn put_stream_then_get_stream_round_trips() {
        let dir = TestDir::new("stream");
        let store = store(&dir);
        let written =
            store.put_stream("imports/a.csv", chunks(&[b"a,b\n", b"1,2\n", b"3,4\n"]), "text/csv").await.unwrap();
        assert_eq!(written, 12);
        let file = store.get("imports/a.csv").await.unwrap().unwrap();
        assert_eq!((file.bytes.as_ref(), file.content_type.as_str()), (&b"a,b\n1,2\n3,4\n"[..], "text/csv"));

        let read = store.get_stream("imports/a.csv").await.unwrap().unwrap();
        assert_eq!((read.size, read.content_type.as_str()), (12, "text/csv"));
        let parts: Vec<Bytes> = read.stream.map(|c| c.unwrap()).collect().await;
        assert_eq!(parts.concat(), b"a,b\n1,2\n3,4\n");
        assert!(store.get_stream("imports").await.unwrap().is_none(), "a prefix is not a file");
        assert!(store.get_stream("imports/none.csv").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_failing_stream_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = TestDir::new("stream-fail");
        let store = store(&dir);
        put(&store, "imports/a.csv", b"old", "text/csv").await;
        let failing = chunks(&[b"new, half"])
            .chain(futures_util::stream::once(async { Err(io::Error::other("client went away")) }))
            .boxed();
        let err = store.put_stream("imports/a.csv", failing, "text/plain").await.unwrap_err();
        assert!(matches!(err, StorageError::Source(_)), "{err:?}");

        let file = store.get("imports/a.csv").await.unwrap().unwrap();
        assert_eq!((file.bytes.as_ref(), file.content_type.as_str()), (&b"old"[..], "text/csv"));
        let mut names: Vec<_> = fs::read_dir(store.root().join("imports"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "a.csv.meta"]);
    }
}
