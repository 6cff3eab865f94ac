//! Reading the audit log: filters and keyset pages, newest first. The same
//! query serves the API list, the export (page after page) and the Audit
//! Log page; so do the cursor encoding and the time stamps.
use chrono::{DateTime, SecondsFormat, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::{Db, IntoExec, Query, fetch_optional};

use super::AuditEntry;
use crate::error::AppError;
use crate::search_index::{self, Index};

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
pub async fn page(
    db: &Db,
    workspace_id: &WorkspaceId,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let from_index = search_start(db, filter).await?;
    page_from(db, workspace_id, filter, cursor, limit, from_index).await
}

/// Where a search starts: on SQLite, the FTS5 phrase of its term when the
/// trigram index finds few entries containing it; `None` otherwise (no
/// search, PostgreSQL, a short or common term). A listing of many pages
/// (the export) decides it once and passes it to [`page_from`].
pub async fn search_start(db: &Db, filter: &Filter) -> Result<Option<String>, sqlx::Error> {
    match &filter.search {
        Some(search) => search_index::phrase_if_few(db, Index::AuditLog, search, FEW_MATCHES).await,
        None => Ok(None),
    }
}

/// [`page`] with the search's start already decided ([`search_start`]).
pub async fn page_from(
    db: &Db,
    workspace_id: &WorkspaceId,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
    from_index: Option<String>,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    page_query_with(workspace_id, filter, cursor, limit, from_index).fetch_all(db).await
}

/// Matches at most this many entries (in every workspace) and a search on
/// SQLite starts from the trigram index's matches; more, and it reads the
/// workspace's entries newest first, which then find a page soon (see
/// [`search_index`]).
const FEW_MATCHES: i64 = 5_000;

/// The page's query: only the conditions of the set filters are written
/// (still one text for both databases). A condition switched off by a NULL
/// parameter (`$2 IS NULL OR …`) reads the same but keeps SQLite from using
/// an index for it, and at millions of entries a page must come from an
/// index read newest first, never a sort of every match (migration 0007 has
/// one index per filter). Public for the benchmark, which prints each
/// filter's query plan.
pub fn page_query(workspace_id: &WorkspaceId, filter: &Filter, cursor: Option<&Cursor>, limit: i64) -> Query {
    page_query_with(workspace_id, filter, cursor, limit, None)
}

/// [`page_query`], starting from the SQLite trigram index's matches for
/// `from_index` (an FTS5 phrase) when given: `CROSS JOIN` makes SQLite read
/// those first and the entries by rowid, rather than walk the workspace's
/// entries looking for them.
pub fn page_query_with(
    workspace_id: &WorkspaceId,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
    from_index: Option<String>,
) -> Query {
    let mut q = Query::new(
        "SELECT id, actor_type, actor_id, actor_name, action, target_type, target_id, target_name, changes, ip,
                user_agent, created_at
         FROM ",
    );
    match from_index {
        Some(phrase) => {
            q.push("(SELECT rowid AS found FROM audit_log_search WHERE audit_log_search MATCH ").bind(phrase);
            q.push(") CROSS JOIN audit_log ON audit_log.rowid = found");
        }
        None => {
            q.push("audit_log");
        }
    }
    q.push(" WHERE workspace_id = ").bind(workspace_id.as_str());
    if let Some(actor) = &filter.actor {
        if actor == "system" {
            // The server's own entries have no actor ID.
            q.push(" AND actor_id IS NULL AND actor_type = 'system'");
        } else {
            q.push(" AND actor_id = ").bind(actor.as_str());
        }
    }
    if let Some(action) = &filter.action {
        match action.strip_suffix(".*") {
            // `member.*` is the range ['member.', 'member/'): '/' follows
            // '.' in byte order (the column sorts bytewise on both
            // databases, see migration 0007), so an index serves it where
            // LIKE 'member.%' would not.
            Some(group) => {
                q.push(" AND action >= ").bind(format!("{group}."));
                q.push(" AND action < ").bind(format!("{group}/"));
            }
            None => {
                q.push(" AND action = ").bind(action.as_str());
            }
        }
    }
    if let Some(kind) = &filter.target_type {
        q.push(" AND target_type = ").bind(kind.as_str());
    }
    if let Some(from) = filter.from {
        q.push(" AND created_at >= ").bind(from);
    }
    if let Some(to) = filter.to {
        q.push(" AND created_at < ").bind(to);
    }
    if let Some(search) = &filter.search {
        // PostgreSQL answers this from its trigram index on
        // lower(target_name) when the term is rare (migration 0023); SQLite
        // from the FTS5 matches joined above. Either way the text itself is
        // checked here, so both give exactly these results.
        q.push(" AND lower(target_name) LIKE ").bind(format!("%{}%", escape_like(search))).push(" ESCAPE '\\'");
    }
    if let Some((time, id)) = cursor {
        // `created_at <= t` first, so the cursor is an index range bound.
        let t = q.param(*time);
        q.push(" AND created_at <= ").push_param(t).push(" AND (created_at < ").push_param(t);
        q.push(" OR id < ").bind(id.as_str()).push(")");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q
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

/// The sort key of `entry` as its cursor carries it (`api::pagination`).
pub fn cursor_key(entry: &AuditEntry) -> (String, String) {
    (rfc3339(entry.created_at, chrono_tz::UTC), entry.id.clone())
}

pub fn decode_cursor(cursor: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::field("cursor", "The cursor is not one this API returned.");
    let (time, id): (String, String) = crate::api::pagination::decode(Some(cursor))?.ok_or_else(bad)?;
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
    use switchboard_db::Arg;

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
    fn only_set_filters_are_written_and_a_group_is_a_range() {
        let ws = WorkspaceId::new();
        let q = page_query(&ws, &Filter::default(), None, 51);
        let (sql, args) = (q.sql(), q.args());
        assert!(sql.ends_with("WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"), "{sql}");
        assert_eq!(args.len(), 2);
        let filter = Filter { action: Some("member.*".into()), actor: Some("system".into()), ..Filter::default() };
        let q = page_query(&ws, &filter, None, 51);
        let (sql, args) = (q.sql(), q.args());
        assert!(sql.contains("actor_id IS NULL AND actor_type = 'system' AND action >= $2 AND action < $3"), "{sql}");
        assert_eq!(args[1..3], [Arg::from("member."), Arg::from("member/")]);
        let cursor = (Utc::now(), "aud_1".to_string());
        let q = page_query(&ws, &Filter { search: Some("a_b".into()), ..Filter::default() }, Some(&cursor), 5);
        let (sql, args) = (q.sql(), q.args());
        assert!(sql.contains("LIKE $2 ESCAPE '\\' AND created_at <= $3 AND (created_at < $3 OR id < $4)"), "{sql}");
        assert_eq!(args[1], Arg::from("%a\\_b%"));
        assert_eq!(args.len(), 5);
    }

    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
