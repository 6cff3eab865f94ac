//! The `invitations` table.
use chrono::{DateTime, Utc};
use switchboard_core::{InvitationId, Role, UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_all, fetch_optional, fetch_scalar};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    #[sqlx(try_from = "String")]
    pub id: InvitationId,
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub email_normalized: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// `pending`, `accepted` or `revoked`; a pending one past `expires_at` shows as expired.
    pub status: String,
    pub invited_by: Option<String>,
    pub send_count: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// The status word of the Members table: `INVITED` or `EXPIRED` (pending ones only).
    pub fn display_status(&self, now: DateTime<Utc>) -> &'static str {
        match self.status.as_str() {
            "pending" if self.is_expired(now) => "EXPIRED",
            "pending" => "INVITED",
            "accepted" => "ACCEPTED",
            _ => "REVOKED",
        }
    }
}

pub struct NewInvitation<'a> {
    pub id: &'a InvitationId,
    pub workspace_id: &'a WorkspaceId,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: &'a UserId,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Inserts a pending invitation. A unique violation means a pending one for
/// the address already exists (the caller resends that one instead).
pub async fn insert<'a>(ex: impl IntoExec<'a>, new: &NewInvitation<'_>) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO invitations (id, workspace_id, email, email_normalized, role, token_hash, status, invited_by,
                                  send_count, created_at, sent_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, 1, $8, $8, $9)",
        new.id.as_str(),
        new.workspace_id.as_str(),
        new.email,
        new.email_normalized,
        new.role.as_str(),
        new.token_hash,
        new.invited_by.as_str(),
        new.now,
        new.expires_at
    )?;
    Ok(())
}

/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! invitation_columns {
    () => {
        "id, workspace_id, email, email_normalized, role, status, invited_by, send_count, created_at, sent_at, expires_at"
    };
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &InvitationId,
) -> Result<Option<Invitation>, sqlx::Error> {
    fetch_optional!(
        ex,
        Invitation,
        concat!("SELECT ", invitation_columns!(), " FROM invitations WHERE workspace_id = $1 AND id = $2"),
        workspace_id.as_str(),
        id.as_str()
    )
}

pub async fn find_pending_by_email<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    email_normalized: &str,
) -> Result<Option<Invitation>, sqlx::Error> {
    fetch_optional!(
        ex,
        Invitation,
        concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM invitations WHERE workspace_id = $1 AND email_normalized = $2 AND status = 'pending'"
        ),
        workspace_id.as_str(),
        email_normalized
    )
}

/// Looked up by the hash of the token in the link (unique index).
pub async fn find_by_token_hash<'a>(
    ex: impl IntoExec<'a>,
    token_hash: &str,
) -> Result<Option<Invitation>, sqlx::Error> {
    fetch_optional!(
        ex,
        Invitation,
        concat!("SELECT ", invitation_columns!(), " FROM invitations WHERE token_hash = $1"),
        token_hash
    )
}

/// Pending invitations (expired included), newest first.
pub async fn list_pending<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    limit: i64,
) -> Result<Vec<Invitation>, sqlx::Error> {
    fetch_all!(
        ex,
        Invitation,
        concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM invitations WHERE workspace_id = $1 AND status = 'pending' ORDER BY created_at DESC, id DESC LIMIT $2"
        ),
        workspace_id.as_str(),
        limit
    )
}

/// Whether the workspace ever sent an invitation (accepted, revoked or
/// pending: the home page's getting-started step was done).
pub async fn any<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<bool, sqlx::Error> {
    let sql = "SELECT id FROM invitations WHERE workspace_id = $1 LIMIT 1";
    Ok(fetch_optional!(ex, (String,), sql, workspace_id.as_str())?.is_some())
}

/// Pending invitations that can still be accepted (not expired at `now`).
pub async fn count_open<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM invitations WHERE workspace_id = $1 AND status = 'pending' AND expires_at > $2",
        workspace_id.as_str(),
        now
    )
}

/// A new token (the old one stops working), a new 7-day window, one more send.
pub async fn reissue<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &InvitationId,
    token_hash: &str,
    role: Role,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE invitations SET token_hash = $3, role = $4, send_count = send_count + 1, sent_at = $5, expires_at = $6
         WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
        workspace_id.as_str(),
        id.as_str(),
        token_hash,
        role.as_str(),
        now,
        expires_at
    )?;
    Ok(())
}

/// Ends a pending invitation (`accepted` or `revoked`); false if it was not pending.
pub async fn finish<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &InvitationId,
    status: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let rows = execute!(
        ex,
        "UPDATE invitations SET status = $3, accepted_at = CASE WHEN $3 = 'accepted' THEN $4 ELSE accepted_at END
         WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
        workspace_id.as_str(),
        id.as_str(),
        status,
        now
    )?;
    Ok(rows == 1)
}

/// Invitation emails sent by the workspace since `since` (first sends and
/// resends), counted from the audit log that records each.
pub async fn sends_since<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND created_at > $2
           AND action IN ('member.invited', 'invitation.resent')",
        workspace_id.as_str(),
        since
    )
}
