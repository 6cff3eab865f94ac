//! The suppression list as an import target (Admins): the columns map to
//! the phone or email, the channel (`CALLS`, `SMS` or `ALL`; blank is
//! `ALL`) and the reason. An entry the list has already (same phone or
//! email and channel) is left as it is and the row counts as skipped.
use std::sync::Arc;

use async_trait::async_trait;
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::model::{NewEntry, RawEntry, Subject};
use super::service::{self, Added};
use crate::audit::Origin;
use crate::clock::Clock;
use crate::consent::model::Source;
use crate::error::{AppResult, FieldError};
use crate::imports::target::{ImportKind, ImportOptions, ImportTarget, MappedRow, RowError, RowOutcome, TargetField};
use crate::state::AppState;

/// The suppression import's target (named in `imports::targets`).
pub struct SuppressionsTarget;

/// What a suppression import reads once.
pub struct SuppressionsImport {
    default_country: String,
    clock: Arc<dyn Clock>,
}

impl SuppressionsImport {
    fn entry(&self, row: &MappedRow) -> Result<NewEntry, Vec<FieldError>> {
        NewEntry::check(RawEntry {
            phone: row.get("phone"),
            email: row.get("email"),
            default_country: Some(&self.default_country),
            channel: row.get("channel"),
            reason: row.get("reason"),
        })
    }
}

#[async_trait]
impl ImportTarget for SuppressionsTarget {
    type Context = SuppressionsImport;

    fn kind(&self) -> ImportKind {
        ImportKind::Suppressions
    }

    async fn prepare(
        &self,
        state: &AppState,
        _: &WorkspaceId,
        options: &ImportOptions,
    ) -> AppResult<SuppressionsImport> {
        Ok(SuppressionsImport { default_country: options.default_country.clone(), clock: state.clock.clone() })
    }

    fn fields(&self, _: &SuppressionsImport) -> Vec<TargetField> {
        vec![
            TargetField::new("phone", "Phone", false),
            TargetField::new("email", "Email", false),
            TargetField::new("channel", "Channel", false),
            TargetField::new("reason", "Reason", false),
        ]
    }

    fn dedup_key(&self, ctx: &SuppressionsImport, row: &MappedRow) -> Option<String> {
        // The list's key: the subject as stored and the channel.
        let entry = ctx.entry(row).ok()?;
        Some(match entry.subject {
            Subject::Phone(phone) => format!("{phone}|{}", entry.channel.as_str()),
            Subject::Email(email) => format!("{email}|{}", entry.channel.as_str()),
        })
    }

    fn refuses_before_writing(&self) -> bool {
        // The entry is parsed before `add_in` writes.
        true
    }

    fn validate_row(&self, ctx: &SuppressionsImport, row: &MappedRow) -> Result<(), Vec<FieldError>> {
        ctx.entry(row).map(|_| ())
    }

    async fn apply_row(
        &self,
        tx: &mut Tx,
        ctx: &SuppressionsImport,
        origin: &Origin,
        row: &MappedRow,
    ) -> Result<RowOutcome, RowError> {
        let entry = ctx.entry(row)?;
        match service::add_in(tx, origin, &entry, Source::Import, ctx.clock.now()).await? {
            Added::New(_) => Ok(RowOutcome::Created),
            Added::Existing(_) => Ok(RowOutcome::Skipped),
        }
    }
}
