//! The `contacts` table, and nothing else. Every function takes the
//! workspace ID first; another workspace's contact is simply not found.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_core::{ContactId, WorkspaceId};
use switchboard_db::{IntoExec, Query, execute, fetch_all, fetch_optional};

use super::model::ContactFields;

/// A contact as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    #[sqlx(try_from = "String")]
    pub id: ContactId,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub name: String,
    /// JSON object text; read through [`Contact::attributes`].
    #[sqlx(rename = "attributes")]
    pub attributes_json: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    /// The row as just written (what a read-back would give), without the read.
    pub fn written(
        id: ContactId,
        fields: &ContactFields,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Contact {
        Contact {
            id,
            phone: fields.phone.clone(),
            email: fields.email.clone(),
            name: fields.name.clone(),
            attributes_json: json(&fields.attributes),
            created_at,
            updated_at,
        }
    }

    pub fn attributes(&self) -> BTreeMap<String, Value> {
        serde_json::from_str(&self.attributes_json).unwrap_or_default()
    }

    pub fn fields(&self) -> ContactFields {
        ContactFields {
            name: self.name.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            attributes: self.attributes(),
        }
    }

    /// The name, else the phone or email: how a contact is named in lists,
    /// messages and audit entries.
    pub fn display_name(&self) -> String {
        display_name(&self.name, self.phone.as_deref(), self.email.as_deref())
    }
}

pub fn display_name(name: &str, phone: Option<&str>, email: Option<&str>) -> String {
    if !name.is_empty() {
        return name.to_string();
    }
    phone.or(email).unwrap_or("Contact").to_string()
}

macro_rules! contact_select {
    () => {
        "SELECT id, phone, email, name, attributes, created_at, updated_at FROM contacts"
    };
}

fn json(attributes: &BTreeMap<String, Value>) -> String {
    serde_json::to_string(attributes).unwrap_or_else(|_| "{}".into())
}

/// Inserts the contact. A phone the workspace has already is the unique
/// index `contacts_phone`, mapped by the caller.
pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    fields: &ContactFields,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO contacts (id, workspace_id, phone, email, name, attributes, search, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        id.as_str(),
        workspace_id.as_str(),
        fields.phone.as_deref(),
        fields.email.as_deref(),
        &fields.name,
        json(&fields.attributes),
        fields.search_text(),
        now
    )?;
    Ok(())
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<Option<Contact>, sqlx::Error> {
    fetch_optional!(
        ex,
        Contact,
        concat!(contact_select!(), " WHERE workspace_id = $1 AND id = $2"),
        workspace_id.as_str(),
        id.as_str()
    )
}

/// The row locked for a change (`FOR UPDATE` on PostgreSQL; SQLite
/// serialises writers anyway).
pub async fn find_for_update(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<Option<Contact>, sqlx::Error> {
    let mut q = Query::new(concat!(contact_select!(), " WHERE workspace_id = "));
    q.bind(workspace_id.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    q.fetch_optional(&mut *tx).await
}

/// The contact with `phone` (E.164), locked for a change on PostgreSQL.
pub async fn find_by_phone_for_update(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
    phone: &str,
) -> Result<Option<Contact>, sqlx::Error> {
    let mut q = Query::new(concat!(contact_select!(), " WHERE workspace_id = "));
    q.bind(workspace_id.as_str()).push(" AND phone = ").bind(phone);
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    q.fetch_optional(&mut *tx).await
}

/// The IDs of the workspace's contacts with `phone` (E.164): what consent
/// records from an inbound keyword attach to.
pub async fn ids_by_phone<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    phone: &str,
) -> Result<Vec<ContactId>, sqlx::Error> {
    let rows: Vec<(String,)> = fetch_all!(
        ex,
        (String,),
        "SELECT id FROM contacts WHERE workspace_id = $1 AND phone = $2 ORDER BY id",
        workspace_id.as_str(),
        phone
    )?;
    Ok(rows.into_iter().filter_map(|(id,)| id.parse().ok()).collect())
}

/// One page of the workspace's contacts, newest first: at most `limit`
/// rows after the `(created_at, id)` key `after`, matching the LIKE
/// `pattern` (see `model::search_pattern`) if given.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    pattern: Option<&str>,
    after: Option<(DateTime<Utc>, &ContactId)>,
    limit: i64,
) -> Result<Vec<Contact>, sqlx::Error> {
    let mut q = Query::new(contact_select!());
    q.push(" WHERE workspace_id = ").bind(workspace_id.as_str());
    if let Some(pattern) = pattern {
        q.push(" AND search LIKE ").bind(pattern).push(" ESCAPE '\\'");
    }
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (created_at < ").push_param(at).push(" OR (created_at = ").push_param(at);
        q.push(" AND id < ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all(ex).await
}

/// Changes every field; false when the contact is not there.
pub async fn update<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    fields: &ContactFields,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE contacts SET phone = $3, email = $4, name = $5, attributes = $6, search = $7, updated_at = $8
         WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        fields.phone.as_deref(),
        fields.email.as_deref(),
        &fields.name,
        json(&fields.attributes),
        fields.search_text(),
        now
    )?;
    Ok(done > 0)
}

/// Replaces only the attribute values (an attribute's values converted to
/// its new type, or removed with it).
pub async fn set_attributes<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    attributes: &BTreeMap<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE contacts SET attributes = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        json(attributes),
        now
    )?;
    Ok(())
}

pub async fn delete<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<bool, sqlx::Error> {
    let done =
        execute!(ex, "DELETE FROM contacts WHERE workspace_id = $1 AND id = $2", workspace_id.as_str(), id.as_str())?;
    Ok(done > 0)
}

/// A batch of the workspace's contacts in ID order after `after`, for work
/// over all of them in flat memory (checking an attribute change). With
/// `key`, only contacts whose attribute text names that key (a prefilter
/// on the JSON text; the caller checks the parsed value).
pub async fn batch<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    key: Option<&str>,
    after: Option<&ContactId>,
    limit: i64,
) -> Result<Vec<Contact>, sqlx::Error> {
    let mut q = Query::new(contact_select!());
    q.push(" WHERE workspace_id = ").bind(workspace_id.as_str());
    if let Some(key) = key {
        // Keys are snake_case, so they hold no LIKE wildcard but `_`, escaped.
        q.push(" AND attributes LIKE ").bind(format!("%\"{}\":%", key.replace('_', "\\_"))).push(" ESCAPE '\\'");
    }
    if let Some(after) = after {
        q.push(" AND id > ").bind(after.as_str());
    }
    q.push(" ORDER BY id LIMIT ").bind(limit);
    q.fetch_all(ex).await
}
