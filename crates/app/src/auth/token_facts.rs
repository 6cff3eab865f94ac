//! Why an API token works or stopped working, and the role it acts with:
//! the rules token authentication applies on every request (and the
//! Developer page shows). Pure.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::Role;

/// Whether a token works, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
    /// Its creator was removed from the workspace.
    CreatorRemoved,
    /// Its creator left the workspace.
    CreatorLeft,
}

impl TokenStatus {
    pub fn label(self) -> &'static str {
        match self {
            TokenStatus::Active => "Active",
            TokenStatus::Expired => "Expired",
            TokenStatus::Revoked => "Revoked",
            TokenStatus::CreatorRemoved => "Stopped: creator removed",
            TokenStatus::CreatorLeft => "Stopped: creator left",
        }
    }
}

/// What decides a token's status and effective role.
#[derive(Debug, Clone)]
pub struct TokenFacts {
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    /// The creator's membership in the token's workspace: role and status.
    pub creator_role: Option<Role>,
    pub creator_status: Option<String>,
}

impl TokenFacts {
    /// From the stored columns; an unknown stored creator role counts as none.
    pub fn from_stored(
        role: Role,
        expires_at: Option<DateTime<Utc>>,
        revoked_reason: Option<&str>,
        creator_role: Option<&str>,
        creator_status: Option<&str>,
    ) -> Self {
        TokenFacts {
            role,
            expires_at,
            revoked_reason: revoked_reason.map(str::to_string),
            creator_role: creator_role.and_then(|r| r.parse().ok()),
            creator_status: creator_status.map(str::to_string),
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        match self.revoked_reason.as_deref() {
            Some("creator_removed") => return TokenStatus::CreatorRemoved,
            Some("creator_left") => return TokenStatus::CreatorLeft,
            Some(_) => return TokenStatus::Revoked,
            None => {}
        }
        match self.creator_status.as_deref() {
            Some("active") => {}
            Some("left") => return TokenStatus::CreatorLeft,
            _ => return TokenStatus::CreatorRemoved,
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return TokenStatus::Expired;
        }
        TokenStatus::Active
    }

    /// The lower of the token's role and its creator's current role; `None`
    /// when the token does not work at all.
    pub fn effective_role(&self, now: DateTime<Utc>) -> Option<Role> {
        match self.status(now) {
            TokenStatus::Active => self.creator_role.map(|creator| creator.min(self.role)),
            _ => None,
        }
    }
}
