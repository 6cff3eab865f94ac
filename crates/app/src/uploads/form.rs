//! `UploadForm`: the extractor for upload routes, and streaming its file
//! parts to storage with the route's limits, their sizes and SHA-256.
use std::io;

use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request};
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use switchboard_providers::storage::{ByteStream, FileStore, StorageError};
use tokio::sync::mpsc;

use super::guard::{CutOff, describe_bytes, too_large};
use super::{Limit, MAX_TEXT_FIELD_BYTES};
use crate::auth::csrf::{CSRF_FIELD, WORKSPACE_FIELD};
use crate::error::{AppError, AppResult};

/// Chunks queued between the request body and the store: with hyper's
/// chunks of at most a few hundred KiB, a request holds about a MiB here.
const CHANNEL_CHUNKS: usize = 4;

/// The multipart body of a request that came through [`super::stack`].
/// Using it on a route without the stack is an internal error, so a
/// route cannot skip the upload limits by mistake.
pub struct UploadForm {
    multipart: Multipart,
    rules: Rules,
}

/// The route's limit, and whether the guard cut the body off.
struct Rules {
    limit: Limit,
    cut_off: CutOff,
}

/// What a handler knows about a file part when naming its storage key.
#[derive(Debug)]
pub struct FilePart<'a> {
    /// 0 for the first file of the request, 1 for the next…
    pub index: usize,
    pub field: &'a str,
    pub file_name: Option<&'a str>,
    pub content_type: &'a str,
}

/// One stored file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredUpload {
    pub field: String,
    pub file_name: Option<String>,
    pub content_type: String,
    pub key: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// The stored files and the form's text fields (without `_csrf` and `_workspace`).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct UploadedForm {
    pub files: Vec<StoredUpload>,
    pub fields: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequest<S> for UploadForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<Limit>().copied();
        let cut_off = req.extensions().get::<CutOff>().cloned();
        let (Some(limit), Some(cut_off)) = (limit, cut_off) else {
            return Err(AppError::Internal(anyhow::anyhow!("UploadForm on a route not wrapped by uploads::stack")));
        };
        let multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::bad_request("not_multipart", "Send the files as multipart/form-data."))?;
        Ok(UploadForm { multipart, rules: Rules { limit, cut_off } })
    }
}

/// Why a file's stream was stopped before its end.
enum Stop {
    FileTooLarge,
    TotalTooLarge,
    /// The body failed: cut off at the route's limit, or the client left.
    Body,
}

impl UploadForm {
    /// Streams every file part to `store` under the key `key_for` names,
    /// in order, enforcing the route's limits; text fields are collected.
    /// On any error the files stored so far are deleted again.
    pub async fn store_files(
        mut self,
        store: &dyn FileStore,
        mut key_for: impl FnMut(&FilePart<'_>) -> String,
    ) -> AppResult<UploadedForm> {
        let mut form = UploadedForm::default();
        let result = self.rules.store_all(&mut self.multipart, store, &mut key_for, &mut form).await;
        if result.is_err() {
            for file in &form.files {
                if let Err(err) = store.delete(&file.key).await {
                    tracing::warn!(error = %err, key = %file.key, "could not remove a file of a failed upload");
                }
            }
        }
        result.map(|()| form)
    }
}

impl Rules {
    async fn store_all(
        &self,
        multipart: &mut Multipart,
        store: &dyn FileStore,
        key_for: &mut impl FnMut(&FilePart<'_>) -> String,
        form: &mut UploadedForm,
    ) -> AppResult<()> {
        let mut total = 0u64;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(()),
                Err(_) => return Err(self.body_failed()),
            };
            let name = field.name().unwrap_or("").to_owned();
            if name == CSRF_FIELD || name == WORKSPACE_FIELD {
                continue;
            }
            if field.file_name().is_none() {
                let text = self.read_text(field).await?;
                form.fields.push((name, text));
                continue;
            }
            if form.files.len() >= self.limit.max_files {
                return Err(AppError::payload_too_large(format!(
                    "Send at most {} files at once.",
                    self.limit.max_files
                )));
            }
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let part = FilePart {
                index: form.files.len(),
                field: &name,
                file_name: file_name.as_deref(),
                content_type: &content_type,
            };
            let key = key_for(&part);
            let (size, sha256) = self.stream_file(store, field, &key, &content_type, &mut total).await?;
            form.files.push(StoredUpload { field: name, file_name, content_type, key, size, sha256 });
        }
    }

    /// Feeds one file part to `put_stream` through a small channel, so the
    /// store reads at its own pace and at most a few chunks wait between.
    async fn stream_file(
        &self,
        store: &dyn FileStore,
        mut field: Field<'_>,
        key: &str,
        content_type: &str,
        total: &mut u64,
    ) -> AppResult<(u64, String)> {
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
        let body: ByteStream =
            futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed();
        let limit = self.limit;
        let feed = async {
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let stop = loop {
                let chunk = match field.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break None,
                    Err(_) => break Some(Stop::Body),
                };
                size += chunk.len() as u64;
                *total += chunk.len() as u64;
                if size > limit.max_file_bytes {
                    break Some(Stop::FileTooLarge);
                }
                if *total > limit.max_total_bytes {
                    break Some(Stop::TotalTooLarge);
                }
                hasher.update(&chunk);
                if tx.send(Ok(chunk)).await.is_err() {
                    // The store gave up; its error is the one to report.
                    break None;
                }
            };
            if stop.is_some() {
                // Makes `put_stream` abandon the write (nothing stored).
                let _ = tx.send(Err(io::Error::other("upload stopped"))).await;
            }
            drop(tx);
            (stop, size, hex::encode(hasher.finalize()))
        };
        let ((stop, size, sha256), stored) = tokio::join!(feed, store.put_stream(key, body, content_type));
        match stop {
            Some(Stop::FileTooLarge) => Err(AppError::payload_too_large(format!(
                "Each file may be at most {}.",
                describe_bytes(limit.max_file_bytes)
            ))),
            Some(Stop::TotalTooLarge) => Err(AppError::payload_too_large(format!(
                "The files may be at most {} together.",
                describe_bytes(limit.max_total_bytes)
            ))),
            Some(Stop::Body) => Err(self.body_failed()),
            None => match stored {
                Ok(written) if written == size => Ok((size, sha256)),
                Ok(written) => Err(AppError::Internal(anyhow::anyhow!("stored {written} bytes of {size} under {key}"))),
                Err(StorageError::InvalidKey(key)) => {
                    Err(AppError::Internal(anyhow::anyhow!("upload key {key:?} is not a valid storage key")))
                }
                Err(err) => Err(AppError::Internal(anyhow::Error::from(err).context("storing an upload"))),
            },
        }
    }

    async fn read_text(&self, mut field: Field<'_>) -> AppResult<String> {
        let mut text = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if text.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                        return Err(AppError::payload_too_large(format!(
                            "A text field may be at most {}.",
                            describe_bytes(MAX_TEXT_FIELD_BYTES as u64)
                        )));
                    }
                    text.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => return Err(self.body_failed()),
            }
        }
        String::from_utf8(text).map_err(|_| AppError::bad_request("bad_upload", "A text field is not valid UTF-8."))
    }

    /// The body failed to parse or arrive: 413 when the counting body cut
    /// it off, else a malformed or abandoned upload.
    fn body_failed(&self) -> AppError {
        if self.cut_off.happened() {
            too_large(&self.limit)
        } else {
            AppError::bad_request("bad_upload", "The upload was incomplete or malformed; try again.")
        }
    }
}
