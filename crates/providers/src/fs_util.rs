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

/// The JSON document in `path`, or `None` when there is no such file (the
/// file sandboxes keep one record per file).
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every `*.json` document directly in `dir` whose name passes `wanted`
/// (temporary files start with `.` and are never read).
pub(crate) fn read_json_files<T: serde::de::DeserializeOwned>(
    dir: &Path,
    wanted: impl Fn(&str) -> bool,
) -> io::Result<Vec<T>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let is_record = path.extension().is_some_and(|x| x == "json")
            && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.') && wanted(n));
        if let Some(record) = is_record.then(|| read_json(&path)).transpose()?.flatten() {
            out.push(record);
        }
    }
    Ok(out)
}
