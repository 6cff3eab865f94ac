//! Large uploads: the route kind for bodies too big to buffer (voice
//! samples, CSV imports), and the extractor that streams their files to
//! storage.
//!
//! Every other route's body passes `auth::csrf::protect`, which buffers up
//! to 4 MiB to find `_csrf`. Upload routes are merged *inside* the session,
//! API-token and rate-limit layers but *outside* that CSRF layer, and
//! [`stack`] wraps them with their own, in this order:
//!
//! 1. **Declared length.** A `Content-Length` above the route's
//!    [`Limit::max_body_bytes`] is answered 413 at once, before a byte of
//!    the body is read.
//! 2. **Counted length.** The body is counted as it streams; past the same
//!    limit it fails, the handler answers 413, and hyper closes the
//!    connection instead of reading the rest. This is what stops a chunked
//!    body, which declares no length.
//! 3. **CSRF without buffering.** API-token requests skip it (browsers do
//!    not send tokens on their own, as in `auth::csrf`). Otherwise the token
//!    comes from the `x-csrf-token` header, or from the FIRST multipart
//!    field, which must be `_csrf` (and `_workspace`, if sent, right after
//!    it). Only those leading fields are read — at most [`MAX_PEEK_BYTES`] —
//!    and replayed in front of the rest of the body for the handler. A
//!    `_csrf` after a file is not looked for: finding it would mean holding
//!    or reading the whole file first, which this route kind exists to
//!    avoid. Forms put the hidden fields before the file input.
//!
//! The handler takes an [`UploadForm`] and calls
//! [`UploadForm::store_files`], which streams each file part to the
//! [`FileStore`](switchboard_providers::storage::FileStore) through
//! `put_stream` (a temporary file and a rename locally, a multipart upload
//! on S3) while counting its size and SHA-256, enforcing the per-file and
//! per-count limits; memory stays at a few chunks per request whatever the
//! size. Any failure removes the files this request already stored.
//!
//! Mounting (in `routes.rs`): build the routes with their access layer,
//! wrap them with [`stack`] and a [`Limit`], and pass them to
//! `routes::router_with_uploads`.

mod form;
mod guard;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn;

pub use form::{FilePart, StoredUpload, UploadForm, UploadedForm};

use crate::state::AppState;

pub const MIB: u64 = 1024 * 1024;

/// Bytes of the leading `_csrf`/`_workspace` fields the guard reads at most
/// (with their part headers and the boundary) before giving up with 403.
pub const MAX_PEEK_BYTES: usize = 16 * 1024;
/// The largest text (non-file) field [`UploadForm::store_files`] accepts.
pub const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;
/// Room in a body for what is not file content: boundaries, part headers,
/// `_csrf`, `_workspace` and a few small text fields.
const ENVELOPE_BYTES: u64 = 256 * 1024;
/// Room per file part for its boundary and headers.
const PER_FILE_ENVELOPE_BYTES: u64 = 1024;

/// What one upload route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Largest single file.
    pub max_file_bytes: u64,
    /// Most file parts in one request.
    pub max_files: usize,
    /// Most file bytes in one request, all files together.
    pub max_total_bytes: u64,
}

impl Limit {
    /// The most a request body may be: the files plus room for the form's
    /// envelope. Bodies above it are refused (declared) or cut off (counted).
    pub fn max_body_bytes(&self) -> u64 {
        let files = self.max_total_bytes.min(self.max_file_bytes.saturating_mul(self.max_files as u64));
        files
            .saturating_add(ENVELOPE_BYTES)
            .saturating_add(PER_FILE_ENVELOPE_BYTES.saturating_mul(self.max_files as u64))
    }
}

/// Wraps a router of upload routes with the upload stack (see the module
/// header). Merge the result with `routes::router_with_uploads`, never into
/// the main router, whose CSRF layer would buffer the body.
pub fn stack(routes: Router<AppState>, limit: Limit) -> Router<AppState> {
    routes
        // Inner first: the guard runs after the extension is set.
        .route_layer(from_fn(guard::guard))
        .route_layer(axum::Extension(limit))
        // The guard counts the body; the app-wide 4 MiB must not apply.
        .route_layer(DefaultBodyLimit::disable())
}
