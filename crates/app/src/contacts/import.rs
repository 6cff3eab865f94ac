//! Contacts as an import target: the columns map to the phone, email,
//! name and each of the workspace's attributes; a row goes through
//! [`service::upsert_in`], the rules a contact typed by hand follows, and a
//! phone that a contact has already updates it or is skipped, as chosen.
use std::sync::Arc;

use async_trait::async_trait;
use phonenumber::country::Id as Country;
use serde_json::Value;
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::attribute_store;
use super::model::{AttributeSet, ContactFields, RawContact, parse_country, parse_phone};
use super::service::{self, ContactInput, OnDuplicate, Upserted};
use crate::audit::Origin;
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::imports::target::{
    self, ImportKind, ImportOptions, ImportTarget, MappedRow, RowError, RowOutcome, TargetField,
};
use crate::state::AppState;

/// The contacts import's target (named in `imports::targets`).
pub struct ContactsTarget;

/// What a contacts import reads once.
pub struct ContactsImport {
    workspace_id: WorkspaceId,
    attrs: AttributeSet,
    country: Country,
    on_duplicate: OnDuplicate,
    clock: Arc<dyn Clock>,
}

impl ContactsImport {
    /// The row as a contact's input: attribute cells as text, which the
    /// attribute's type reads (`42`, `yes`, `2026-12-31`…).
    fn input(&self, row: &MappedRow) -> ContactInput {
        let mut input = ContactInput::default();
        for (field, cell) in &row.values {
            match field.as_str() {
                "phone" => input.phone = Some(cell.clone()),
                "email" => input.email = Some(cell.clone()),
                "name" => input.name = Some(cell.clone()),
                key => {
                    input.attributes.insert(key.to_owned(), Value::String(cell.clone()));
                }
            }
        }
        input
    }
}

#[async_trait]
impl ImportTarget for ContactsTarget {
    type Context = ContactsImport;

    fn kind(&self) -> ImportKind {
        ImportKind::Contacts
    }

    async fn prepare(&self, state: &AppState, ws: &WorkspaceId, options: &ImportOptions) -> AppResult<ContactsImport> {
        let country =
            parse_country(Some(&options.default_country)).map_err(|m| AppError::field("default_country", m))?;
        Ok(ContactsImport {
            workspace_id: ws.clone(),
            attrs: attribute_store::set(&state.db, ws).await?,
            country,
            on_duplicate: match options.on_duplicate {
                target::OnDuplicate::Update => OnDuplicate::Update,
                target::OnDuplicate::Skip => OnDuplicate::Skip,
            },
            clock: state.clock.clone(),
        })
    }

    fn fields(&self, ctx: &ContactsImport) -> Vec<TargetField> {
        let mut fields = vec![
            TargetField::new("phone", "Phone", false),
            TargetField::new("email", "Email", false),
            TargetField::new("name", "Name", false),
        ];
        // No attribute is keyed like a fixed field (`model::check_key`).
        fields.extend(ctx.attrs.defs.iter().map(|d| TargetField::new(&d.key, &d.label, d.required)));
        fields
    }

    fn dedup_key(&self, ctx: &ContactsImport, row: &MappedRow) -> Option<String> {
        // The table's key: the phone in E.164 (two spellings of one number
        // are one contact).
        parse_phone(row.get("phone")?, ctx.country).ok().flatten()
    }

    fn validate_row(&self, ctx: &ContactsImport, row: &MappedRow) -> Result<(), Vec<FieldError>> {
        let input = ctx.input(row);
        let raw = RawContact {
            name: input.name.as_deref().unwrap_or(""),
            phone: input.phone.as_deref().unwrap_or(""),
            email: input.email.as_deref().unwrap_or(""),
            attributes: input.attributes.clone(),
        };
        ContactFields::parse(&raw, ctx.country, &ctx.attrs).map(|_| ())
    }

    fn refuses_before_writing(&self) -> bool {
        // `upsert_in` checks the row (and, on an update, the merged
        // contact) before its first write.
        true
    }

    async fn begin_batch(&self, tx: &mut Tx, ctx: &ContactsImport) -> Result<(), RowError> {
        // Held until the batch commits: no attribute's type can change under
        // the rows checked against it.
        let now = attribute_store::set_for_share(tx, &ctx.workspace_id).await?;
        if now.defs != ctx.attrs.defs {
            return Err(RowError::Invalid(vec![FieldError::new(
                "attributes",
                "The workspace's attributes changed during the import; it continues with the new ones.",
            )]));
        }
        Ok(())
    }

    async fn apply_row(
        &self,
        tx: &mut Tx,
        ctx: &ContactsImport,
        origin: &Origin,
        row: &MappedRow,
    ) -> Result<RowOutcome, RowError> {
        let input = ctx.input(row);
        let now = ctx.clock.now();
        let upserted =
            service::upsert_in(tx, origin, &ctx.workspace_id, &ctx.attrs, ctx.country, &input, ctx.on_duplicate, now)
                .await;
        match upserted {
            Ok(Ok(Upserted::Created(_))) => Ok(RowOutcome::Created),
            Ok(Ok(Upserted::Updated(_))) => Ok(RowOutcome::Updated),
            Ok(Ok(Upserted::Unchanged(_) | Upserted::Skipped(_))) => Ok(RowOutcome::Skipped),
            Ok(Err(errors)) => Err(RowError::Invalid(errors)),
            // Including a phone another writer took between the lookup and
            // the insert: the batch is retried, and the row then finds it.
            Err(err) => Err(RowError::Db(err)),
        }
    }
}
