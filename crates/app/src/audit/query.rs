//! Reading the audit log: filters and keyset pages, newest first. The same
//! query serves the API list, the export (page after page) and the Audit
//! Log page; so do the cursor encoding and the time stamps.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::{IntoExec, fetch_all, fetch_optional};

use super::AuditEntry;
use crate::error::AppError;

/// What to show. Every field is optional; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The acting user's or token's ID (`usr_…`, `tok_…`), or `system`.
    pub actor: Option<String>,
    /// An action (`member.removed`) or a group of them (`member.*`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
    /// Text found anywhere in the target's name, ignoring case.
    pub search: Option<String>,
}

/// Where a page starts: after the entry with this time and ID.
pub type Cursor = (DateTime<Utc>, String);

impl Filter {
    /// Checks the values people type; `None`s and blanks mean "any".
    pub fn normalised(mut self) -> Result<Filter, AppError> {
        let blank_to_none = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.actor = blank_to_none(self.actor);
        self.action = blank_to_none(self.action);
        self.target_type = blank_to_none(self.target_type);
        self.search = blank_to_none(self.search).map(|s| s.to_lowercase());
        if let Some(action) = &self.action {
            let valid = action.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.' || c == '*');
            if !valid || action.trim_end_matches(".*").contains('*') {
                return Err(AppError::field(
                    "action",
                    "Use an action such as member.removed, or a group such as member.*.",
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            return Err(AppError::field("to", "The end of the date range must come after its start."));
        }
        Ok(self)
    }
}

/// One page of entries matching `filter`, newest first, after `cursor`.
pub async fn page<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    // Each optional condition is written so that a NULL parameter turns it
    // off; one query text then serves every combination on both databases.
    let action_like = filter.action.as_ref().map(|a| match a.strip_suffix(".*") {
        Some(group) => format!("{group}.%"),
        None => a.clone(),
    });
    let search_like = filter.search.as_ref().map(|s| format!("%{}%", escape_like(s)));
    let (after_time, after_id) = match cursor {
        Some((time, id)) => (Some(*time), Some(id.as_str())),
        None => (None, None),
    };
    fetch_all!(
        ex,
        AuditEntry,
        "SELECT id, actor_type, actor_id, actor_name, action, target_type, target_id, target_name, changes, ip,
                user_agent, created_at
         FROM audit_log
         WHERE workspace_id = $1
           AND ($2 IS NULL OR actor_id = $2 OR ($2 = 'system' AND actor_type = 'system'))
           AND ($3 IS NULL OR action LIKE $3)
           AND ($4 IS NULL OR target_type = $4)
           AND ($5 IS NULL OR created_at >= $5)
           AND ($6 IS NULL OR created_at < $6)
           AND ($7 IS NULL OR lower(target_name) LIKE $7 ESCAPE '\\')
           AND ($8 IS NULL OR created_at < $8 OR (created_at = $8 AND id < $9))
         ORDER BY created_at DESC, id DESC
         LIMIT $10",
        workspace_id.as_str(),
        filter.actor.as_deref(),
        action_like.as_deref(),
        filter.target_type.as_deref(),
        filter.from,
        filter.to,
        search_like.as_deref(),
        after_time,
        after_id,
        limit
    )
}

/// An entry with its place in the hash chain, for the detail view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChainedEntry {
    #[sqlx(flatten)]
    pub entry: AuditEntry,
    pub seq: i64,
    pub hash: String,
}

/// One entry of the workspace; `None` for an unknown ID or another
/// workspace's entry.
pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &str,
) -> Result<Option<ChainedEntry>, sqlx::Error> {
    fetch_optional!(
        ex,
        ChainedEntry,
        "SELECT id, actor_type, actor_id, actor_name, action, target_type, target_id, target_name, changes, ip,
                user_agent, created_at, seq, hash
         FROM audit_log WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id
    )
}

/// A time as RFC 3339 with microseconds, in `tz` (`Z` for UTC).
pub fn rfc3339(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The opaque cursor that starts the page after `entry`.
pub fn encode_cursor(entry: &AuditEntry) -> String {
    let time = rfc3339(entry.created_at, chrono_tz::UTC);
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&(time, &entry.id)).unwrap_or_default())
}

pub fn decode_cursor(cursor: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::field("cursor", "The cursor is not one this API returned.");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let (time, id): (String, String) = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let time = DateTime::parse_from_rfc3339(&time).map_err(|_| bad())?.with_timezone(&Utc);
    Ok((time, id))
}

/// `%`, `_` and `\` match themselves in a search.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_trimmed_and_checked() {
        let f = Filter { action: Some(" member.* ".into()), search: Some(" Ada ".into()), ..Filter::default() }
            .normalised()
            .expect("valid");
        assert_eq!(f.action.as_deref(), Some("member.*"));
        assert_eq!(f.search.as_deref(), Some("ada"));
        assert!(Filter { action: Some("member.*.x".into()), ..Filter::default() }.normalised().is_err());
        assert!(Filter { action: Some("DROP TABLE".into()), ..Filter::default() }.normalised().is_err());
        let now = Utc::now();
        assert!(Filter { from: Some(now), to: Some(now), ..Filter::default() }.normalised().is_err());
        assert_eq!(Filter { actor: Some("  ".into()), ..Filter::default() }.normalised().expect("ok").actor, None);
    }

    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
