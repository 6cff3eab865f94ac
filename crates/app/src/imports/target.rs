//! What an import writes to: the [`ImportTarget`] trait a feature
//! implements (contacts, suppressions), and the row types between the
//! pipeline and a target.
//!
//! The pipeline owns the file, the mapping, the batches, the progress, the
//! duplicates inside the file and the errors CSV; a target owns its fields,
//! its validation rules and its writes (with their audit entries and
//! webhook events, in the transaction it is given). A target never sees
//! the CSV.
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use switchboard_core::{Permission, WorkspaceId};
use switchboard_db::Tx;

use crate::audit::Origin;
use crate::error::{AppResult, FieldError};
use crate::state::AppState;

/// What is imported. Each kind names its target in `super::targets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Contacts,
    Suppressions,
}

impl ImportKind {
    pub const ALL: [ImportKind; 2] = [ImportKind::Contacts, ImportKind::Suppressions];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Contacts => "contacts",
            ImportKind::Suppressions => "suppressions",
        }
    }

    pub fn parse(raw: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Who may import it: contacts are a day-to-day resource (Members and
    /// Admins), the suppression list is configuration (Admins).
    pub fn permission(self) -> Permission {
        match self {
            ImportKind::Contacts => Permission::EditResources,
            ImportKind::Suppressions => Permission::ManageSettings,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Contacts => "Contacts",
            ImportKind::Suppressions => "Suppressions",
        }
    }
}

/// What a row whose key already exists does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Overwrite the mapped fields of the existing record.
    Update,
    /// Leave the existing record as it is (the row counts as skipped).
    Skip,
}

impl OnDuplicate {
    pub fn as_db(self) -> &'static str {
        match self {
            OnDuplicate::Update => "UPDATE",
            OnDuplicate::Skip => "SKIP",
        }
    }

    pub fn from_db(raw: &str) -> Option<OnDuplicate> {
        match raw {
            "UPDATE" => Some(OnDuplicate::Update),
            "SKIP" => Some(OnDuplicate::Skip),
            _ => None,
        }
    }
}

/// How an import reads and writes its rows, chosen before the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    pub on_duplicate: OnDuplicate,
    /// ISO 3166 alpha-2: where national phone numbers are read (`US`).
    pub default_country: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { on_duplicate: OnDuplicate::Skip, default_country: DEFAULT_COUNTRY.to_owned() }
    }
}

/// The default country of an import that names none.
pub const DEFAULT_COUNTRY: &str = "US";

/// A default country as sent (any case, blank: `US`), upper-cased; the
/// message for the `default_country` field when it is not one.
pub fn parse_country(raw: Option<&str>) -> Result<String, String> {
    crate::contacts::model::parse_country(raw)
        .map(|_| raw.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(DEFAULT_COUNTRY).to_ascii_uppercase())
}

/// A field a column can map to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetField {
    /// As sent in a mapping (`phone`, `email`, an attribute's key…).
    pub name: String,
    /// As shown to people (`Phone`, an attribute's label…); a header cell
    /// matching either (case-insensitively) is mapped to it at upload.
    pub label: String,
    /// A row without it fails.
    pub required: bool,
}

impl TargetField {
    pub fn new(name: impl Into<String>, label: impl Into<String>, required: bool) -> Self {
        TargetField { name: name.into(), label: label.into(), required }
    }
}

/// One row after mapping: the target field names and their cells (trimmed;
/// an empty cell is absent). Columns mapped to nothing are not here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MappedRow {
    /// Its spreadsheet row number (the header is 1).
    pub row: u64,
    pub values: Vec<(String, String)>,
}

impl MappedRow {
    /// The cell mapped to `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values.iter().find(|(name, _)| name == field).map(|(_, value)| value.as_str())
    }
}

/// What applying a row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Created,
    Updated,
    /// The key exists and the import skips duplicates (or nothing changed).
    Skipped,
}

/// Why a row was not applied.
#[derive(Debug)]
pub enum RowError {
    /// The row is wrong: it fails alone and goes to the errors CSV.
    Invalid(Vec<FieldError>),
    /// The database failed: the batch is rolled back and the job retried.
    Db(sqlx::Error),
}

impl From<sqlx::Error> for RowError {
    fn from(err: sqlx::Error) -> Self {
        RowError::Db(err)
    }
}

impl From<Vec<FieldError>> for RowError {
    fn from(errors: Vec<FieldError>) -> Self {
        RowError::Invalid(errors)
    }
}

/// A feature that can be imported into. The pipeline calls, per import:
/// [`prepare`](Self::prepare) once, then per row [`dedup_key`](Self::dedup_key)
/// and [`apply_row`](Self::apply_row) (or [`validate_row`](Self::validate_row)
/// for a preview, which writes nothing).
#[async_trait]
pub trait ImportTarget: Send + Sync + 'static {
    /// What a target loads once per import: attribute definitions, the
    /// default country, the duplicate policy…
    type Context: Send + Sync;

    fn kind(&self) -> ImportKind;

    /// Loads the context of one import into `ws` (permissions are the
    /// pipeline's: the import's kind says which).
    async fn prepare(&self, state: &AppState, ws: &WorkspaceId, options: &ImportOptions) -> AppResult<Self::Context>;

    /// Called first in each batch's transaction, before its rows: a
    /// target holds what its context was read from against change here
    /// (contacts: the attribute definitions, `FOR SHARE`), and answers
    /// `RowError::Db` when it changed since `prepare` (the job is retried
    /// and prepares again).
    async fn begin_batch(&self, _tx: &mut Tx, _ctx: &Self::Context) -> Result<(), RowError> {
        Ok(())
    }

    /// The fields a column can map to.
    fn fields(&self, ctx: &Self::Context) -> Vec<TargetField>;

    /// The row's key for duplicates inside the file (contacts: the phone in
    /// E.164; suppressions: phone or email with the channel), normalised so
    /// that two spellings of one key are equal. `None`: no key (the row's
    /// own validation will say what is missing).
    fn dedup_key(&self, ctx: &Self::Context, row: &MappedRow) -> Option<String>;

    /// The row's errors by the target's rules, without writing (previews).
    /// Checks that need the database (a duplicate in the table) are left to
    /// `apply_row`.
    fn validate_row(&self, ctx: &Self::Context, row: &MappedRow) -> Result<(), Vec<FieldError>>;

    /// True when [`apply_row`](Self::apply_row) answers `RowError::Invalid`
    /// only before it writes anything (it validates first): the pipeline
    /// then skips the per-row savepoint, two statements a row. A database
    /// error (a unique key another writer took meanwhile) fails the batch,
    /// whose retry sees the row anew.
    fn refuses_before_writing(&self) -> bool {
        false
    }

    /// Validates one row and writes it in `tx`, with its audit entries and
    /// events (as `origin`). The pipeline wraps the call in a savepoint
    /// (unless [`refuses_before_writing`](Self::refuses_before_writing)): a
    /// `RowError::Invalid` returned after a partial write is rolled back to
    /// it, so a row is written whole or not at all.
    async fn apply_row(
        &self,
        tx: &mut Tx,
        ctx: &Self::Context,
        origin: &Origin,
        row: &MappedRow,
    ) -> Result<RowOutcome, RowError>;
}
