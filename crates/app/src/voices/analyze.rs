//! The quality report of a set of samples, before anything is sent to a
//! provider: every file is read back from the file store it was streamed
//! to and decoded on a blocking thread. At most [`CONCURRENCY`] samples are
//! decoded at once in the whole process (a semaphore shared by every
//! request), so one 25-file upload — or several — cannot take every core or
//! hold more than a few samples' bytes in memory at a time.
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use switchboard_core::WorkspaceId;
use tokio::sync::Semaphore;

use super::analysis::{self, Limits, SampleReport, Summary, Verdict};
use super::model::{MAX_SAMPLE_BYTES, MAX_SAMPLES};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::uploads::{Limit, StoredUpload, UploadForm, UploadedForm};

/// Samples decoded at once, across the process.
pub const CONCURRENCY: usize = 2;

/// The upload limit of the routes that take samples (SPEC §9: 25 files of
/// at most 10 MiB).
pub const UPLOAD_LIMIT: Limit = Limit {
    max_file_bytes: MAX_SAMPLE_BYTES,
    max_files: MAX_SAMPLES,
    max_total_bytes: MAX_SAMPLE_BYTES * MAX_SAMPLES as u64,
};

fn gate() -> &'static Arc<Semaphore> {
    static GATE: OnceLock<Arc<Semaphore>> = OnceLock::new();
    GATE.get_or_init(|| Arc::new(Semaphore::new(CONCURRENCY)))
}

/// One file's result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileAnalysis {
    /// 0 for the first file sent.
    pub index: usize,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the file as received.
    pub sha256: String,
    pub report: Option<SampleReport>,
    /// Why the file could not be analysed, for the Admin.
    pub error: Option<String>,
}

/// Every file's result and the verdict over the good ones.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    pub files: Vec<FileAnalysis>,
    pub summary: Summary,
}

impl Analysis {
    /// Whether these samples may be cloned: every file good and the verdict
    /// not Refused.
    pub fn acceptable(&self) -> bool {
        self.files.iter().all(|f| f.error.is_none()) && self.summary.verdict != Verdict::Refused
    }

    /// The 422 for samples that may not be cloned: one message per bad file
    /// (`files[2]`), and the verdict's sentence (`files`) when it refuses.
    pub fn refusal(&self) -> AppError {
        let mut errors: Vec<FieldError> = self
            .files
            .iter()
            .filter_map(|f| {
                f.error.as_ref().map(|e| FieldError::new(format!("files[{}]", f.index), format!("{}: {e}", f.filename)))
            })
            .collect();
        if self.summary.verdict == Verdict::Refused {
            errors.push(FieldError::new("files", self.summary.message.clone()));
        }
        AppError::validation(errors)
    }
}

/// The name a file is shown by: its own, or `sample N`.
pub fn display_name(file: &StoredUpload, index: usize) -> String {
    match file.file_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.chars().filter(|c| !c.is_control()).take(200).collect(),
        None => format!("sample {}", index + 1),
    }
}

/// Reads every stored file back and analyses it (see the module header).
pub async fn analyze_stored(state: &AppState, files: &[StoredUpload]) -> AppResult<Analysis> {
    let limits = Limits { max_bytes: MAX_SAMPLE_BYTES as usize, ..Limits::default() };
    // Every file waits for the process-wide gate before its bytes are read.
    let runs: Vec<_> = files
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, file)| analyze_one(state.clone(), index, file, limits))
        .collect();
    let results = futures_util::future::join_all(runs).await;
    let files = results.into_iter().collect::<AppResult<Vec<_>>>()?;
    let reports: Vec<SampleReport> = files.iter().filter_map(|f| f.report.clone()).collect();
    let summary = analysis::summarize(&reports);
    Ok(Analysis { files, summary })
}

async fn analyze_one(state: AppState, index: usize, file: StoredUpload, limits: Limits) -> AppResult<FileAnalysis> {
    let filename = display_name(&file, index);
    let mut out = FileAnalysis {
        index,
        filename: filename.clone(),
        content_type: file.content_type.clone(),
        size_bytes: file.size,
        sha256: file.sha256.clone(),
        report: None,
        error: None,
    };
    let permit = gate().clone().acquire_owned().await.map_err(|e| AppError::Internal(e.into()))?;
    let stored = state
        .files
        .get(&file.key)
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("reading a voice sample back")))?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("voice sample {} vanished from storage", file.key)))?;
    let content_type = file.content_type.clone();
    let name = file.file_name.clone();
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        analysis::analyze(&stored.bytes, name.as_deref(), Some(&content_type), &limits)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("sample analysis panicked: {e}")))?;
    match result {
        Ok(report) => out.report = Some(report),
        Err(err) => out.error = Some(err.message()),
    }
    Ok(out)
}

/// Where a request's samples are kept: `voices/<ws>/<upload>/sample-<n>`.
pub fn sample_key(ws: &WorkspaceId, upload: &str, index: usize) -> String {
    format!("voices/{ws}/{upload}/sample-{index}")
}

/// Streams the form's files to storage under `voices/<ws>/<upload>/`.
pub async fn store_form(state: &AppState, ws: &WorkspaceId, upload: &str, form: UploadForm) -> AppResult<UploadedForm> {
    form.store_files(state.files.as_ref(), |part| sample_key(ws, upload, part.index)).await
}

/// Removes a request's stored samples (best effort: a leftover is logged).
pub async fn remove_files(state: &AppState, files: &[StoredUpload]) {
    for file in files {
        if let Err(err) = state.files.delete(&file.key).await {
            tracing::warn!(error = %err, key = %file.key, "could not remove a voice sample");
        }
    }
}

/// The quality report of the samples in `form`, without cloning (Admins).
/// Nothing is kept: the files are removed once analysed.
pub async fn analyze_samples(state: &AppState, ctx: &WorkspaceCtx, form: UploadForm) -> AppResult<Analysis> {
    ctx.require(Permission::ManageSettings)?;
    let upload = format!("analyze-{}", ulid::Ulid::new());
    let uploaded = store_form(state, &ctx.workspace.id, &upload, form).await?;
    if uploaded.files.is_empty() {
        return Err(AppError::field("files", "Add at least one sample."));
    }
    let analysis = analyze_stored(state, &uploaded.files).await;
    remove_files(state, &uploaded.files).await;
    analysis
}
