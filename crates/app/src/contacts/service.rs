//! Creating, changing, deleting and listing contacts: the one place pages,
//! the API and the CSV import call. Each checks the permission, validates
//! against the workspace's attributes, writes, and records its audit entry
//! (which publishes the `contact.*` webhook event) in the same transaction.
//!
//! [`upsert_in`] is the transaction-level form the import calls per row: it
//! takes the attribute definitions loaded once, never touches data when
//! the row is refused, and answers the row's per-field errors.
use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use phonenumber::country::Id as Country;
use serde_json::Value;
use switchboard_core::{ContactId, WorkspaceId};
use switchboard_db::{Tx, UniqueViolationExt};

use super::attribute_store;
use super::model::{AttributeSet, ContactFields, RawContact, search_pattern};
use super::store::{self, Contact};
use crate::api::pagination;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

pub fn not_found() -> AppError {
    AppError::not_found("The contact")
}

/// The contact ID in a path; anything that is not one is simply not found.
pub fn parse_id(raw: &str) -> AppResult<ContactId> {
    raw.parse().map_err(|_| not_found())
}

/// What a duplicate phone answers: 409 with the message on `phone`.
pub fn duplicate_phone(phone: &str) -> AppError {
    let message = format!("Another contact of this workspace has the phone number {phone}.");
    AppError::Client(Problem {
        status: axum::http::StatusCode::CONFLICT,
        code: "duplicate_phone",
        detail: message.clone(),
        fields: vec![FieldError::new("phone", message)],
        retry_after_secs: None,
    })
}

/// A contact's fields as sent: `None` leaves a field as it is (on a
/// change; on a new contact it is empty). Attribute values sent replace
/// the stored ones key by key; `null` removes one.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub attributes: BTreeMap<String, Value>,
}

impl ContactInput {
    /// The whole raw contact: this input laid over `current`.
    fn over<'a>(&'a self, current: Option<&'a ContactFields>) -> RawContact<'a> {
        let pick = |sent: &'a Option<String>, stored: Option<&'a str>| sent.as_deref().or(stored).unwrap_or("");
        let mut attributes = current.map(|c| c.attributes.clone()).unwrap_or_default();
        for (key, value) in &self.attributes {
            attributes.insert(key.clone(), value.clone());
        }
        RawContact {
            name: pick(&self.name, current.map(|c| c.name.as_str())),
            phone: pick(&self.phone, current.and_then(|c| c.phone.as_deref())),
            email: pick(&self.email, current.and_then(|c| c.email.as_deref())),
            attributes,
        }
    }
}

/// What happened to an imported row.
#[derive(Debug, Clone)]
pub enum Upserted {
    Created(Contact),
    /// The phone was there; the row's values were laid over that contact.
    Updated(Contact),
    /// The phone was there and the row said nothing new.
    Unchanged(Contact),
    /// The phone was there and duplicates are skipped.
    Skipped(ContactId),
}

/// What the import does with a row whose phone a contact has already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    Update,
    Skip,
}

fn target(id: &ContactId, fields: &ContactFields) -> Target {
    Target::new("contact", id, store::display_name(&fields.name, fields.phone.as_deref(), fields.email.as_deref()))
}

/// Each field before and after; unchanged ones (and unchanged attribute
/// values) are left out.
pub fn changes(before: Option<&ContactFields>, after: Option<&ContactFields>) -> Changes {
    let changes = Changes::new()
        .field("name", before.map(|c| &c.name), after.map(|c| &c.name))
        .field("phone", before.and_then(|c| c.phone.as_ref()), after.and_then(|c| c.phone.as_ref()))
        .field("email", before.and_then(|c| c.email.as_ref()), after.and_then(|c| c.email.as_ref()));
    match (before, after) {
        (Some(b), Some(a)) => {
            let mut was = BTreeMap::new();
            let mut now = BTreeMap::new();
            for key in b.attributes.keys().chain(a.attributes.keys()) {
                let (old, new) = (b.attributes.get(key), a.attributes.get(key));
                if old != new {
                    was.insert(key.clone(), old.cloned().unwrap_or(Value::Null));
                    now.insert(key.clone(), new.cloned().unwrap_or(Value::Null));
                }
            }
            changes.field("attributes", was, now)
        }
        _ => changes.field("attributes", before.map(|c| &c.attributes), after.map(|c| &c.attributes)),
    }
}

/// Reads one contact of the caller's workspace (every role may).
pub async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Contact> {
    ctx.require(Permission::ViewWorkspace)?;
    let id = parse_id(id)?;
    store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

/// The workspace's attribute definitions.
pub async fn attribute_set(state: &AppState, ws: &WorkspaceId) -> AppResult<AttributeSet> {
    Ok(attribute_store::set(&state.db, ws).await?)
}

pub async fn create(
    state: &AppState,
    ctx: &WorkspaceCtx,
    input: &ContactInput,
    country: Country,
) -> AppResult<Contact> {
    ctx.require(Permission::EditResources)?;
    // Both databases keep microseconds; the cursor carries what is kept.
    let now = state.clock.now().trunc_subsecs(6);
    let id = ContactId::new();
    let ws = &ctx.workspace.id;
    let mut tx = state.db.begin().await?;
    let attrs = attribute_store::set_for_share(&mut tx, ws).await?;
    let fields = ContactFields::parse(&input.over(None), country, &attrs).map_err(AppError::validation)?;
    store::insert(&mut tx, ws, &id, &fields, now)
        .await
        .on_unique(|| duplicate_phone(fields.phone.as_deref().unwrap_or_default()))?;
    let changes = changes(None, Some(&fields));
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::CREATED, &target(&id, &fields), &changes, now).await?;
    let contact = store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(contact)
}

/// Lays `input` over the contact, checks the result and saves it. No
/// entry when nothing changed.
pub async fn update(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    input: &ContactInput,
    country: Country,
) -> AppResult<Contact> {
    ctx.require(Permission::EditResources)?;
    let id = parse_id(id)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let attrs = attribute_store::set_for_share(&mut tx, ws).await?;
    let before = store::find_for_update(&mut tx, ws, &id).await?.ok_or_else(not_found)?.fields();
    let fields = ContactFields::parse(&input.over(Some(&before)), country, &attrs).map_err(AppError::validation)?;
    let changes = changes(Some(&before), Some(&fields));
    if !changes.is_empty() {
        store::update(&mut tx, ws, &id, &fields, now)
            .await
            .on_unique(|| duplicate_phone(fields.phone.as_deref().unwrap_or_default()))?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::UPDATED, &target(&id, &fields), &changes, now).await?;
    }
    let contact = store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(contact)
}

pub async fn delete(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Contact> {
    ctx.require(Permission::EditResources)?;
    let id = parse_id(id)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let contact = store::find_for_update(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    store::delete(&mut tx, ws, &id).await?;
    let fields = contact.fields();
    let changes = changes(Some(&fields), None);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::DELETED, &target(&id, &fields), &changes, now).await?;
    tx.commit().await?;
    Ok(contact)
}

/// One page of the workspace's contacts, newest first, matching `q` (name,
/// email or phone), after `cursor`; and the cursor of the next page.
pub async fn list_page(
    state: &AppState,
    ctx: &WorkspaceCtx,
    q: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<Contact>, Option<String>)> {
    ctx.require(Permission::ViewWorkspace)?;
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::field("q", "Search for at most 200 characters."));
    }
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(cursor)?;
    let after = match after {
        Some((at, id)) => {
            let id: ContactId =
                id.parse().map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?;
            Some((at, id))
        }
        None => None,
    };
    let pattern = q.and_then(search_pattern);
    let after = after.as_ref().map(|(at, id)| (*at, id));
    let rows = store::list(&state.db, &ctx.workspace.id, pattern.as_deref(), after, limit + 1).await?;
    Ok(pagination::page(rows, limit, |c| (c.created_at, c.id.to_string())))
}

/// One row of an import, in the caller's transaction: validates it against
/// `attrs` (loaded once for the whole import — with
/// [`attribute_store::set_for_share`] in the same transaction, so no type
/// change slips in between) with `country` for national
/// numbers; then inserts it, or — when a contact has its phone — updates
/// that contact (`Update`: the row's non-empty values laid over it) or
/// leaves it (`Skip`). Writes the audit entry and event of what it
/// changed. A refused row answers its per-field errors and writes nothing;
/// a database error is the caller's to roll back.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_in(
    tx: &mut Tx,
    origin: &Origin,
    ws: &WorkspaceId,
    attrs: &AttributeSet,
    country: Country,
    row: &ContactInput,
    on_duplicate: OnDuplicate,
    now: DateTime<Utc>,
) -> Result<Result<Upserted, Vec<FieldError>>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    // The row alone must be a valid contact, so a refused row never
    // depends on what is stored (and an Update never makes a bad one).
    let fields = match ContactFields::parse(&row.over(None), country, attrs) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(errors)),
    };
    let existing = match fields.phone.as_deref() {
        Some(phone) => store::find_by_phone_for_update(tx, ws, phone).await?,
        None => None,
    };
    let Some(existing) = existing else {
        let id = ContactId::new();
        store::insert(&mut *tx, ws, &id, &fields, now).await?;
        let changes = changes(None, Some(&fields));
        audit::record(tx, origin, &super::CREATED, &target(&id, &fields), &changes, now).await?;
        // Built from what was written: one query less per imported row.
        return Ok(Ok(Upserted::Created(Contact::written(id, &fields, now, now))));
    };
    if on_duplicate == OnDuplicate::Skip {
        return Ok(Ok(Upserted::Skipped(existing.id)));
    }
    let before = existing.fields();
    // Blank cells leave the stored value.
    let sent = ContactInput {
        name: row.name.clone().filter(|n| !n.trim().is_empty()),
        phone: fields.phone.clone(),
        email: row.email.clone().filter(|e| !e.trim().is_empty()),
        attributes: row.attributes.iter().filter(|(_, v)| !is_blank(v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    let merged = match ContactFields::parse(&sent.over(Some(&before)), country, attrs) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(errors)),
    };
    let changes = changes(Some(&before), Some(&merged));
    if changes.is_empty() {
        return Ok(Ok(Upserted::Unchanged(existing)));
    }
    store::update(&mut *tx, ws, &existing.id, &merged, now).await?;
    audit::record(tx, origin, &super::UPDATED, &target(&existing.id, &merged), &changes, now).await?;
    Ok(Ok(Upserted::Updated(Contact::written(existing.id, &merged, existing.created_at, now))))
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}
