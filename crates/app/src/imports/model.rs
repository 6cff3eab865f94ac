//! An import and its counts.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{ImportId, UserId, WorkspaceId};

use super::mapping::Mapping;
use super::parse::Separator;
use super::target::{ImportKind, ImportOptions, OnDuplicate};

/// UPLOADED → (mapping, start) QUEUED → RUNNING → DONE or FAILED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportState {
    Uploaded,
    Queued,
    Running,
    Done,
    Failed,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Uploaded => "UPLOADED",
            ImportState::Queued => "QUEUED",
            ImportState::Running => "RUNNING",
            ImportState::Done => "DONE",
            ImportState::Failed => "FAILED",
        }
    }

    pub fn parse(raw: &str) -> Option<ImportState> {
        [Self::Uploaded, Self::Queued, Self::Running, Self::Done, Self::Failed].into_iter().find(|s| s.as_str() == raw)
    }
}

/// Rows of the file so far, by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Data rows read (the header not counted).
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    /// Rows in the errors CSV.
    pub failed: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.rows_read += other.rows_read;
        self.created += other.created;
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub id: ImportId,
    pub workspace_id: WorkspaceId,
    pub kind: ImportKind,
    pub state: ImportState,
    pub file_name: String,
    pub file_key: String,
    pub size_bytes: i64,
    pub separator: Separator,
    pub header: Vec<String>,
    pub mapping: Mapping,
    pub on_duplicate: OnDuplicate,
    /// ISO 3166 alpha-2 (upper case): where national phone numbers are read.
    pub default_country: String,
    pub counts: Counts,
    /// Bytes of the file behind the committed batches (a record boundary).
    pub bytes_read: i64,
    /// Row number of the last committed row (1: the header only).
    pub last_row: i64,
    pub error: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Import {
    /// What its target prepares with.
    pub fn options(&self) -> ImportOptions {
        ImportOptions { on_duplicate: self.on_duplicate, default_country: self.default_country.clone() }
    }
}

/// A failed row, as kept for the errors CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowErrorRecord {
    pub row_number: i64,
    pub cells: Vec<String>,
    pub errors: Vec<crate::error::FieldError>,
}
