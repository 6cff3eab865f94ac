//! The run of one import over its target: batches of [`BATCH_ROWS`] rows,
//! each in one transaction with the batch's progress, each row in a
//! savepoint (unless its target refuses rows before writing anything).
//!
//! - **A row whole or not at all.** A row is mapped, checked against the
//!   rows before it (duplicates inside the file), then applied by the
//!   target inside `SAVEPOINT import_row`; a row the target refuses is
//!   rolled back to that savepoint, whatever it wrote first, and kept with
//!   its messages for the errors CSV. A target that validates before its
//!   first write (`ImportTarget::refuses_before_writing`: contacts,
//!   suppressions) needs no savepoint, and saves two statements a row.
//! - **Progress and resuming.** The batch's counts, the byte offset of its
//!   last record and that record's row number are written in the batch's
//!   transaction, so what the page shows is exactly what is committed. A
//!   run that dies (a crash, a database error) leaves the last committed
//!   batch; the retried job reads the file again from the start without
//!   applying anything up to that row, only rebuilding the duplicates set,
//!   and goes on after it. Nothing is applied twice, and a failed row's
//!   entry is written with `ON CONFLICT DO NOTHING`.
//! - **Flat memory.** One chunk of the file, one record and one batch's
//!   counters at a time; the only state that grows is the duplicates set,
//!   [`Dedup`]: a 64-bit hash of each key with the row number that holds it
//!   (16 bytes a row in a `HashMap<u64, u32>`, about 18–36 MiB for a
//!   million keys with the table's spare room), never the keys themselves.
//!   Two different keys sharing a hash (about one chance in 3·10⁷ for a
//!   million rows) would make the second row a false duplicate, reported
//!   in the errors CSV like any other, never a silent loss.
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use switchboard_core::{ImportId, WorkspaceId};
use switchboard_db::{Db, Tx, execute};

use super::mapping::{self, Mapping};
use super::model::Counts;
use super::parse::{ReadError, Record, RecordReader};
use super::store;
use super::target::{ImportTarget, MappedRow, RowError, RowOutcome};
use crate::audit::Origin;
use crate::error::FieldError;

/// Rows per transaction.
pub const BATCH_ROWS: usize = 500;

/// The keys of the rows applied so far (see the module header).
#[derive(Debug, Default)]
pub struct Dedup {
    seen: HashMap<u64, u32>,
}

impl Dedup {
    fn hash(key: &str) -> u64 {
        // Fixed keys: the set lives for one run, so the hash need not be
        // stable across releases, only within the process.
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        hasher.finish()
    }

    /// The row that already holds `key`, if any.
    pub fn first_row(&self, key: &str) -> Option<u32> {
        self.seen.get(&Self::hash(key)).copied()
    }

    /// Notes that `row` holds `key` (the first row to hold it stays).
    pub fn insert(&mut self, key: &str, row: u64) {
        if let Entry::Vacant(entry) = self.seen.entry(Self::hash(key)) {
            entry.insert(u32::try_from(row).unwrap_or(u32::MAX));
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// How a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The file cannot be read on (not CSV, a row too long): fails the import.
    #[error("{0}")]
    File(ReadError),
    /// Storage or the database failed: the job is retried and resumes.
    #[error("{0}")]
    Transient(String),
    /// Another run of the import committed past this one's resume point
    /// (a job whose lease expired, claimed again while it still ran): this
    /// one stops and leaves the import to it.
    #[error("another run of this import moved on")]
    Superseded,
}

impl From<ReadError> for RunError {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Io(e) => RunError::Transient(format!("reading the file: {e}")),
            other => RunError::File(other),
        }
    }
}

impl From<sqlx::Error> for RunError {
    fn from(err: sqlx::Error) -> Self {
        RunError::Transient(format!("database: {err}"))
    }
}

impl From<switchboard_db::DbError> for RunError {
    fn from(err: switchboard_db::DbError) -> Self {
        RunError::Transient(format!("database: {err}"))
    }
}

/// One import's run over its target.
pub struct Run<'a, T: ImportTarget> {
    pub target: &'a T,
    pub ctx: &'a T::Context,
    pub origin: &'a Origin,
    pub mapping: &'a Mapping,
    pub workspace_id: &'a WorkspaceId,
    pub import_id: &'a ImportId,
}

/// Where a run starts: after the header, or after the last committed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    /// The row number of the last committed row (1: none yet).
    pub last_row: u64,
}

/// What the whole run did (this run's rows only; the import's counts in the
/// table add up every run's).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub counts: Counts,
    pub batches: u32,
    /// The file was read to its end (false: `after_batch` stopped the run).
    pub finished: bool,
}

impl<T: ImportTarget> Run<'_, T> {
    /// Reads `reader` (a fresh reader from the file's first byte) to its
    /// end, in batches; `after_batch` is called after each commit (tests
    /// stop there to play a crash).
    pub async fn run(
        &self,
        db: &Db,
        reader: &mut RecordReader,
        resume: ResumePoint,
        mut after_batch: impl FnMut(&RunSummary) -> bool,
    ) -> Result<RunSummary, RunError> {
        // The header (already stored with the import).
        reader.next_record().await?;
        let mut dedup = self.skip_to(db, reader, resume).await?;
        let mut summary = RunSummary::default();
        let mut committed = resume.last_row.max(1);
        loop {
            let (delta, done) = self.batch(db, reader, &mut dedup, &mut committed).await?;
            summary.counts.add(&delta);
            summary.batches += 1;
            summary.finished = done;
            if done || !after_batch(&summary) {
                return Ok(summary);
            }
        }
    }

    /// Reads past the committed rows, rebuilding the duplicates set from
    /// the ones that were applied (every row not in the errors table).
    async fn skip_to(&self, db: &Db, reader: &mut RecordReader, resume: ResumePoint) -> Result<Dedup, RunError> {
        let mut dedup = Dedup::default();
        if resume.last_row <= 1 {
            return Ok(dedup);
        }
        let failed: HashSet<u64> = store::failed_rows(db, self.workspace_id, self.import_id).await?;
        while let Some(record) = reader.next_record().await? {
            if !failed.contains(&record.row)
                && let Ok(row) = mapping::apply(self.mapping, &record)
                && let Some(key) = self.target.dedup_key(self.ctx, &row)
            {
                dedup.insert(&key, row.row);
            }
            if record.row >= resume.last_row {
                break;
            }
        }
        Ok(dedup)
    }

    /// One batch in one transaction; `true` once the file is read to its end.
    async fn batch(
        &self,
        db: &Db,
        reader: &mut RecordReader,
        dedup: &mut Dedup,
        committed: &mut u64,
    ) -> Result<(Counts, bool), RunError> {
        let mut tx = db.begin().await?;
        match self.target.begin_batch(&mut tx, self.ctx).await {
            Ok(()) => {}
            Err(RowError::Db(err)) => return Err(err.into()),
            Err(RowError::Invalid(errors)) => return Err(RunError::Transient(super::service::messages(&errors))),
        }
        let mut delta = Counts::default();
        let mut last_row = None;
        let mut done = false;
        for _ in 0..BATCH_ROWS {
            let Some(record) = reader.next_record().await? else {
                done = true;
                break;
            };
            delta.rows_read += 1;
            last_row = Some(record.row);
            match self.row(&mut tx, dedup, &record).await? {
                Ok(RowOutcome::Created) => delta.created += 1,
                Ok(RowOutcome::Updated) => delta.updated += 1,
                Ok(RowOutcome::Skipped) => delta.skipped += 1,
                Err(errors) => {
                    delta.failed += 1;
                    store::insert_row_error(
                        &mut tx,
                        self.workspace_id,
                        self.import_id,
                        record.row,
                        &record.cells,
                        &errors,
                    )
                    .await?;
                }
            }
        }
        if let Some(last_row) = last_row {
            let moved = (*committed, last_row);
            if !store::add_progress(&mut tx, self.workspace_id, self.import_id, &delta, reader.offset(), moved).await? {
                return Err(RunError::Superseded);
            }
            *committed = last_row;
        }
        tx.commit().await?;
        Ok((delta, done))
    }

    /// One row, whole or not at all: `Err(messages)` when it failed.
    async fn row(
        &self,
        tx: &mut Tx,
        dedup: &mut Dedup,
        record: &Record,
    ) -> Result<Result<RowOutcome, Vec<FieldError>>, RunError> {
        let row = match mapping::apply(self.mapping, record) {
            Ok(row) => row,
            Err(errors) => return Ok(Err(errors)),
        };
        let key = self.target.dedup_key(self.ctx, &row);
        if let Some(first) = key.as_deref().and_then(|k| dedup.first_row(k)) {
            return Ok(Err(vec![FieldError::new("row", format!("Duplicate of row {first}."))]));
        }
        let savepoint = !self.target.refuses_before_writing();
        if savepoint {
            execute!(&mut *tx, "SAVEPOINT import_row")?;
        }
        match self.target.apply_row(tx, self.ctx, self.origin, &row).await {
            Ok(outcome) => {
                if savepoint {
                    execute!(&mut *tx, "RELEASE SAVEPOINT import_row")?;
                }
                if let Some(key) = key {
                    dedup.insert(&key, row.row);
                }
                Ok(Ok(outcome))
            }
            Err(RowError::Invalid(errors)) => {
                if savepoint {
                    execute!(&mut *tx, "ROLLBACK TO SAVEPOINT import_row")?;
                    execute!(&mut *tx, "RELEASE SAVEPOINT import_row")?;
                }
                Ok(Err(errors))
            }
            Err(RowError::Db(err)) => Err(err.into()),
        }
    }
}

/// A preview row: the mapped cells and what the target says of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    pub row_number: u64,
    /// Field name → cell, for the mapped, non-empty cells.
    #[schema(value_type = Object)]
    pub values: std::collections::BTreeMap<String, String>,
    /// Empty when the row would be imported (checks that need the table,
    /// such as a duplicate already stored, are made only by the import).
    pub errors: Vec<FieldError>,
}

/// Validates the `records` (the first rows after the header) without writing.
pub fn preview<T: ImportTarget>(
    target: &T,
    ctx: &T::Context,
    mapping: &Mapping,
    records: &[Record],
) -> Vec<PreviewRow> {
    let mut dedup = Dedup::default();
    records
        .iter()
        .map(|record| {
            let (values, errors) = match mapping::apply(mapping, record) {
                Err(errors) => (Default::default(), errors),
                Ok(row) => {
                    let mut errors = Vec::new();
                    let key = target.dedup_key(ctx, &row);
                    if let Some(first) = key.as_deref().and_then(|k| dedup.first_row(k)) {
                        errors.push(FieldError::new("row", format!("Duplicate of row {first}.")));
                    } else if let Err(found) = target.validate_row(ctx, &row) {
                        errors = found;
                    } else if let Some(key) = key {
                        dedup.insert(&key, row.row);
                    }
                    (values_of(&row), errors)
                }
            };
            PreviewRow { row_number: record.row, values, errors }
        })
        .collect()
}

fn values_of(row: &MappedRow) -> std::collections::BTreeMap<String, String> {
    row.values.iter().cloned().collect()
}

#[cfg(test)]
mod tests;
