//! File writing shared by the local providers (file store, email outbox).
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `contents` to `path` through a synced temporary file in the same
/// folder and a rename, so readers see the old file or the new one, never a
/// mix. The temporary name starts with `.`, which no key segment may.
/// A fresh temporary name beside `path` (`.<name>.<pid>-<n>.tmp`), unique
/// within this process and hidden from keys, which may not start with `.`.
pub(crate) fn temp_path_for(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}-{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    Ok(path.with_file_name(temp_name))
}

pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = temp_path_for(path)?;
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        // Best effort: the write already failed, and that error matters more.
        let _ = fs::remove_file(&temp);
    }
    result
}
