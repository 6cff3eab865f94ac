//! The `contact_attributes` table, and nothing else. Every function takes
//! the workspace ID first.
use chrono::{DateTime, Utc};
use switchboard_core::{ContactAttributeId, WorkspaceId};
use switchboard_db::{IntoExec, Query, execute, fetch_all, fetch_optional, fetch_scalar};

use super::model::{AttributeFields, AttributeSet, AttributeType, Def};

/// An attribute as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attribute {
    #[sqlx(try_from = "String")]
    pub id: ContactAttributeId,
    pub key: String,
    pub label: String,
    #[sqlx(rename = "type", try_from = "String")]
    pub ty: AttributeType,
    /// JSON array text; read through [`Attribute::options`].
    #[sqlx(rename = "options")]
    pub options_json: String,
    pub required: bool,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Attribute {
    pub fn options(&self) -> Vec<String> {
        serde_json::from_str(&self.options_json).unwrap_or_default()
    }

    pub fn def(&self) -> Def {
        Def {
            key: self.key.clone(),
            label: self.label.clone(),
            ty: self.ty,
            options: self.options(),
            required: self.required,
        }
    }

    pub fn fields(&self) -> AttributeFields {
        AttributeFields {
            key: self.key.clone(),
            label: self.label.clone(),
            ty: self.ty,
            options: self.options(),
            required: self.required,
        }
    }
}

macro_rules! attribute_select {
    () => {
        "SELECT id, key, label, type, options, required, position, created_at, updated_at FROM contact_attributes"
    };
}

/// The workspace's attributes in their order.
pub async fn list<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<Vec<Attribute>, sqlx::Error> {
    fetch_all!(
        ex,
        Attribute,
        concat!(attribute_select!(), " WHERE workspace_id = $1 ORDER BY position, key"),
        workspace_id.as_str()
    )
}

/// The definitions contacts are checked against, in one query.
pub async fn set<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<AttributeSet, sqlx::Error> {
    Ok(AttributeSet { defs: list(ex, workspace_id).await?.iter().map(Attribute::def).collect() })
}

/// The definitions, read in `tx` and held against change until it ends
/// (`FOR SHARE` on PostgreSQL; SQLite serialises writers anyway): a contact
/// checked against them cannot commit beside a type change it does not fit.
pub async fn set_for_share(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
) -> Result<AttributeSet, sqlx::Error> {
    let mut q = Query::new(concat!(attribute_select!(), " WHERE workspace_id = "));
    q.bind(workspace_id.as_str()).push(" ORDER BY position, key");
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR SHARE");
    }
    let rows: Vec<Attribute> = q.fetch_all(&mut *tx).await?;
    Ok(AttributeSet { defs: rows.iter().map(Attribute::def).collect() })
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactAttributeId,
) -> Result<Option<Attribute>, sqlx::Error> {
    fetch_optional!(
        ex,
        Attribute,
        concat!(attribute_select!(), " WHERE workspace_id = $1 AND id = $2"),
        workspace_id.as_str(),
        id.as_str()
    )
}

/// The row locked for a change (`FOR UPDATE` on PostgreSQL).
pub async fn find_for_update(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
    id: &ContactAttributeId,
) -> Result<Option<Attribute>, sqlx::Error> {
    let mut q = Query::new(concat!(attribute_select!(), " WHERE workspace_id = "));
    q.bind(workspace_id.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    q.fetch_optional(&mut *tx).await
}

pub async fn count<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM contact_attributes WHERE workspace_id = $1", workspace_id.as_str())
}

/// Adds the attribute last. A taken key is the unique constraint
/// `contact_attributes_key`, mapped by the caller.
pub async fn insert(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
    id: &ContactAttributeId,
    fields: &AttributeFields,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let position: i64 = fetch_scalar!(
        &mut *tx,
        i64,
        "SELECT COALESCE(MAX(position), 0) + 1 FROM contact_attributes WHERE workspace_id = $1",
        workspace_id.as_str()
    )?;
    execute!(
        &mut *tx,
        "INSERT INTO contact_attributes (id, workspace_id, key, label, type, options, required, position, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        id.as_str(),
        workspace_id.as_str(),
        &fields.key,
        &fields.label,
        fields.ty.as_str(),
        serde_json::to_string(&fields.options).unwrap_or_else(|_| "[]".into()),
        fields.required,
        position,
        now
    )?;
    Ok(())
}

/// Changes the label, type, options and required flag (the key stays).
pub async fn update<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactAttributeId,
    fields: &AttributeFields,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE contact_attributes SET label = $3, type = $4, options = $5, required = $6, updated_at = $7
         WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        &fields.label,
        fields.ty.as_str(),
        serde_json::to_string(&fields.options).unwrap_or_else(|_| "[]".into()),
        fields.required,
        now
    )?;
    Ok(done > 0)
}

pub async fn delete<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ContactAttributeId,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "DELETE FROM contact_attributes WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str()
    )?;
    Ok(done > 0)
}
