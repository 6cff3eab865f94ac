//! The `memberships` table.
use chrono::{DateTime, Utc};
use switchboard_core::{MembershipId, Role, UserId, WorkspaceId};
use switchboard_db::{Db, IntoExec, Query, execute, fetch_all, fetch_optional, fetch_scalar};

use crate::search_index::{self, Index};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    #[sqlx(try_from = "String")]
    pub id: MembershipId,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub status: String,
}

/// Adds the user as an active member with `role`, or reactivates a former
/// membership (removed or left) with the new role.
pub async fn upsert_active<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO memberships (id, workspace_id, user_id, role, status, created_at, updated_at, member_sort, member_email)
         SELECT $1, $2, $3, $4, 'active', $5, $5, u.name_normalized, u.email_normalized FROM users u WHERE u.id = $3
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = $4, status = 'active', updated_at = $5",
        MembershipId::new().as_str(),
        workspace_id.as_str(),
        user_id.as_str(),
        role.as_str(),
        now
    )?;
    Ok(())
}

/// The user's membership in the workspace, whatever its status.
pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<Option<Membership>, sqlx::Error> {
    fetch_optional!(
        ex,
        Membership,
        "SELECT id, role, status FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        workspace_id.as_str(),
        user_id.as_str()
    )
}

/// The user's role if they are an active member, else `None`.
pub use crate::tenancy::active_role;

/// A row of the Members table: a membership with its user's name and email.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    #[sqlx(try_from = "String")]
    pub id: MembershipId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lower-cased name the list is sorted by (the keyset cursor's first half).
    pub sort_key: String,
}

/// A page of members: `search` matches name or email anywhere
/// (case-insensitive); `after` is the last row of the previous page.
pub struct MemberQuery<'a> {
    pub search: &'a str,
    pub after: Option<(&'a str, &'a str)>,
    pub limit: i64,
}

/// `%term%` for LIKE, with the pattern characters of `term` escaped.
pub fn like_pattern(term: &str) -> String {
    let escaped = term.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The columns of [`Member`], from `memberships m JOIN users u`.
/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! member_columns {
    () => {
        "SELECT m.id, m.user_id, u.name, u.email, m.role, m.status, m.created_at, m.updated_at,
        m.member_sort AS sort_key"
    };
}

/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! member_from {
    () => {
        concat!(member_columns!(), " FROM memberships m JOIN users u ON u.id = m.user_id")
    };
}

/// A search on SQLite starts from the trigram index when it matches at
/// most this many memberships (see [`crate::search_index`]).
const FEW_MATCHES: i64 = 1_000;

/// Keyset pagination on (lower-cased name, membership ID) over the index
/// `memberships_list_idx`: each page is one range read, however deep.
/// With a search, texts of their own rather than one with `$2 = '' OR …`:
/// a condition that a parameter may switch off keeps PostgreSQL's cached
/// plan from using the trigram indexes on the name and email (migration
/// 0023); on SQLite a rare term starts from `memberships_search` (0024).
pub async fn list(db: &Db, workspace_id: &WorkspaceId, q: &MemberQuery<'_>) -> Result<Vec<Member>, sqlx::Error> {
    let (after_key, after_id) = q.after.unwrap_or(("", ""));
    let search = q.search.trim();
    if search.is_empty() {
        return fetch_all!(
            db,
            Member,
            concat!(
                member_from!(),
                "
         WHERE m.workspace_id = $1 AND (m.member_sort, m.id) > ($2, $3)
         ORDER BY m.member_sort, m.id
         LIMIT $4"
            ),
            workspace_id.as_str(),
            after_key,
            after_id,
            q.limit
        );
    }
    let mut sql = Query::new(member_columns!());
    match search_index::phrase_if_few(db, Index::Memberships, search, FEW_MATCHES).await? {
        // SQLite, few matches: read them first (CROSS JOIN fixes the order).
        Some(phrase) => {
            sql.push(" FROM (SELECT rowid AS found FROM memberships_search WHERE memberships_search MATCH ");
            sql.bind(phrase).push(") CROSS JOIN memberships m ON m.rowid = found");
        }
        None => {
            sql.push(" FROM memberships m");
        }
    }
    sql.push(" JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ").bind(workspace_id.as_str());
    let pattern = sql.param(like_pattern(search));
    sql.push(" AND (m.member_sort LIKE ").push_param(pattern).push(" ESCAPE '\\' OR m.member_email LIKE ");
    sql.push_param(pattern).push(" ESCAPE '\\') AND (m.member_sort, m.id) > (").bind(after_key).push(", ");
    sql.bind(after_id).push(") ORDER BY m.member_sort, m.id LIMIT ").bind(q.limit);
    sql.fetch_all(db).await
}

pub async fn find_member<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &MembershipId,
) -> Result<Option<Member>, sqlx::Error> {
    fetch_optional!(
        ex,
        Member,
        concat!(member_from!(), " WHERE m.workspace_id = $1 AND m.id = $2"),
        workspace_id.as_str(),
        id.as_str()
    )
}

/// The active member with this email, if any.
pub async fn find_active_by_email<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    email_normalized: &str,
) -> Result<Option<Member>, sqlx::Error> {
    fetch_optional!(
        ex,
        Member,
        concat!(member_from!(), " WHERE m.workspace_id = $1 AND u.email_normalized = $2 AND m.status = 'active'"),
        workspace_id.as_str(),
        email_normalized
    )
}

pub async fn count_active<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    role: Option<Role>,
) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND status = 'active' AND ($2 = '' OR role = $2)",
        workspace_id.as_str(),
        role.map(|r| r.as_str()).unwrap_or("")
    )
}

pub async fn set_role<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &MembershipId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE memberships SET role = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        role.as_str(),
        now
    )?;
    Ok(())
}

/// `removed` or `left`.
pub async fn set_status<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &MembershipId,
    status: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE memberships SET status = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        status,
        now
    )?;
    Ok(())
}
