//! The workspace's contact attributes: listing (every role), adding,
//! changing and deleting (Admins). A change of type or options, or making
//! an attribute required, is checked against every stored contact first
//! and refused — with how many contacts would not fit and a few of them —
//! when any would not; values that fit are converted to the new type in
//! the same transaction. Deleting an attribute removes its values from the
//! contacts in the same transaction.
use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use switchboard_core::{ContactAttributeId, ContactId, WorkspaceId};
use switchboard_db::{Tx, UniqueViolationExt};

use super::attribute_store::{self, Attribute};
use super::model::{AttributeFields, Def, MAX_ATTRIBUTES, parse_value, short, value_text};
use super::store::{self, Contact};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// Contacts read per batch when checking or converting values.
const BATCH: i64 = 500;
/// How many offending contacts a refusal names.
const EXAMPLES: usize = 5;

pub fn not_found() -> AppError {
    AppError::not_found("The attribute")
}

pub fn parse_id(raw: &str) -> AppResult<ContactAttributeId> {
    raw.parse().map_err(|_| not_found())
}

fn target(a: &Attribute) -> Target {
    Target::new("contact_attribute", &a.id, a.label.clone())
}

fn changes(before: Option<&AttributeFields>, after: Option<&AttributeFields>) -> Changes {
    Changes::new()
        .field("key", before.map(|a| &a.key), after.map(|a| &a.key))
        .field("label", before.map(|a| &a.label), after.map(|a| &a.label))
        .field("type", before.map(|a| a.ty), after.map(|a| a.ty))
        .field("options", before.map(|a| &a.options), after.map(|a| &a.options))
        .field("required", before.map(|a| a.required), after.map(|a| a.required))
}

/// The workspace's attributes in order (every role reads them).
pub async fn list(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Vec<Attribute>> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(attribute_store::list(&state.db, &ctx.workspace.id).await?)
}

pub async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Attribute> {
    ctx.require(Permission::ViewWorkspace)?;
    attribute_store::find(&state.db, &ctx.workspace.id, &parse_id(id)?).await?.ok_or_else(not_found)
}

pub async fn create(state: &AppState, ctx: &WorkspaceCtx, fields: AttributeFields) -> AppResult<Attribute> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let id = ContactAttributeId::new();
    let mut tx = state.db.begin().await?;
    if attribute_store::count(&mut tx, ws).await? >= MAX_ATTRIBUTES as i64 {
        return Err(AppError::field("key", format!("A workspace has at most {MAX_ATTRIBUTES} attributes.")));
    }
    // A required attribute is a promise about every contact: new ones only
    // when there are no contacts yet without it.
    if fields.required {
        let def = def_of(&fields);
        let missing = check(&mut tx, ws, None, &def, true).await?;
        if missing.count > 0 {
            return Err(missing.refusal("required", &fields.label));
        }
    }
    attribute_store::insert(&mut tx, ws, &id, &fields, now)
        .await
        .on_unique(|| AppError::field("key", format!("The key {} is taken by another attribute.", fields.key)))?;
    let attribute = attribute_store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    let changes = changes(None, Some(&fields));
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::ATTRIBUTE_CREATED, &target(&attribute), &changes, now)
        .await?;
    tx.commit().await?;
    Ok(attribute)
}

fn def_of(fields: &AttributeFields) -> Def {
    Def {
        key: fields.key.clone(),
        label: fields.label.clone(),
        ty: fields.ty,
        options: fields.options.clone(),
        required: fields.required,
    }
}

/// Applies `edit` to the attribute's fields and saves the result, once
/// every stored value fits it. The key never changes.
pub async fn update(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    edit: impl FnOnce(&AttributeFields) -> Result<AttributeFields, Vec<FieldError>>,
) -> AppResult<Attribute> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(id)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let before = attribute_store::find_for_update(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    let old = before.fields();
    let new = edit(&old).map_err(AppError::validation)?;
    if new.key != old.key {
        return Err(AppError::field("key", "The key of an attribute cannot change; add a new attribute instead."));
    }
    let def = def_of(&new);
    let retyped = new.ty != old.ty || new.options != old.options;
    if retyped {
        let misfits = check(&mut tx, ws, Some(&new.key), &def, false).await?;
        if misfits.count > 0 {
            let field = if new.ty != old.ty { "type" } else { "options" };
            return Err(misfits.refusal(field, &new.label));
        }
    }
    if new.required && !old.required {
        let missing = check(&mut tx, ws, None, &def, true).await?;
        if missing.count > 0 {
            return Err(missing.refusal("required", &new.label));
        }
    }
    let changes = changes(Some(&old), Some(&new));
    if !changes.is_empty() {
        attribute_store::update(&mut tx, ws, &id, &new, now).await?;
        if retyped {
            convert(&mut tx, ws, &def, now).await?;
        }
        let after = attribute_store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::ATTRIBUTE_UPDATED, &target(&after), &changes, now)
            .await?;
    }
    let attribute = attribute_store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(attribute)
}

/// Deletes the attribute and its values on every contact, in one
/// transaction; answers it and how many contacts had a value.
pub async fn delete(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<(Attribute, u64)> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(id)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let attribute = attribute_store::find_for_update(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    let removed = remove_values(&mut tx, ws, &attribute.key, now).await?;
    attribute_store::delete(&mut tx, ws, &id).await?;
    let changes = changes(Some(&attribute.fields()), None).field("contacts_with_value", removed, Value::Null);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::ATTRIBUTE_DELETED, &target(&attribute), &changes, now)
        .await?;
    tx.commit().await?;
    Ok((attribute, removed))
}

/// Contacts that would not fit: how many, and the first few.
#[derive(Debug, Default)]
struct Misfits {
    count: u64,
    examples: Vec<String>,
}

impl Misfits {
    fn add(&mut self, contact: &Contact, value: Option<&Value>) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            let who = format!("{} ({})", contact.display_name(), contact.id);
            self.examples.push(match value {
                Some(v) => format!("{who}: “{}”", short(&value_text(v))),
                None => who,
            });
        }
    }

    /// The 422 that names the count and the examples, on `field`.
    fn refusal(&self, field: &str, label: &str) -> AppError {
        let n = self.count;
        let contacts_have = if n == 1 { "1 contact has".to_string() } else { format!("{n} contacts have") };
        let what = if field == "required" {
            format!("{label} cannot be made required: {contacts_have} no value for it")
        } else {
            format!("{label} cannot change this way: {contacts_have} a value that would not fit")
        };
        let more = if n as usize > self.examples.len() { ", …" } else { "" };
        let message = format!("{what} (e.g. {}{more}). Change or clear those values first.", self.examples.join("; "));
        AppError::Client(Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "attribute_values_do_not_fit",
            detail: message.clone(),
            fields: vec![FieldError::new(field, message)],
            retry_after_secs: None,
        })
    }
}

/// Walks the workspace's contacts in batches (flat memory for any number):
/// with `missing`, those without a value for `def`; otherwise those whose
/// value does not fit `def`.
async fn check(tx: &mut Tx, ws: &WorkspaceId, key: Option<&str>, def: &Def, missing: bool) -> AppResult<Misfits> {
    let mut misfits = Misfits::default();
    let mut after: Option<ContactId> = None;
    loop {
        let rows = store::batch(&mut *tx, ws, key, after.as_ref(), BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        for contact in &rows {
            let attributes = contact.attributes();
            let value = attributes.get(&def.key);
            if missing {
                if value.is_none() {
                    misfits.add(contact, None);
                }
            } else if let Some(v) = value
                && parse_value(def.ty, &def.options, v).is_err()
            {
                misfits.add(contact, Some(v));
            }
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(misfits)
}

/// Rewrites the values of `def` in their canonical form under its (new)
/// type: `"42"` becomes `42`, `"pro"` becomes `"Pro"`. Every value fits;
/// [`check`] said so in this transaction.
async fn convert(tx: &mut Tx, ws: &WorkspaceId, def: &Def, now: DateTime<Utc>) -> AppResult<()> {
    each_with_key(tx, ws, &def.key, now, |attributes| {
        let Some(value) = attributes.get(&def.key) else { return false };
        match parse_value(def.ty, &def.options, value) {
            Ok(Some(new)) if &new != value => {
                attributes.insert(def.key.clone(), new);
                true
            }
            Ok(None) => attributes.remove(&def.key).is_some(),
            _ => false,
        }
    })
    .await
    .map(|_| ())
}

/// Removes the values of `key` from every contact; how many had one.
async fn remove_values(tx: &mut Tx, ws: &WorkspaceId, key: &str, now: DateTime<Utc>) -> AppResult<u64> {
    each_with_key(tx, ws, key, now, |attributes| attributes.remove(key).is_some()).await
}

/// Runs `change` over the attribute values of every contact that has
/// `key`, saving those it changed; how many it changed.
async fn each_with_key(
    tx: &mut Tx,
    ws: &WorkspaceId,
    key: &str,
    now: DateTime<Utc>,
    mut change: impl FnMut(&mut BTreeMap<String, Value>) -> bool,
) -> AppResult<u64> {
    let mut changed = 0;
    let mut after: Option<ContactId> = None;
    loop {
        let rows = store::batch(&mut *tx, ws, Some(key), after.as_ref(), BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        for contact in &rows {
            let mut attributes = contact.attributes();
            if change(&mut attributes) {
                store::set_attributes(&mut *tx, ws, &contact.id, &attributes, now).await?;
                changed += 1;
            }
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(changed)
}
