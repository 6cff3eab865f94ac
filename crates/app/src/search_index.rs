//! Substring search through SQLite's FTS5 trigram tables
//! (`audit_log_search`, migration 0023; `memberships_search`, 0024).
//!
//! A phrase query of three characters or more finds the rows whose text
//! contains it, ignoring case. Starting from those rows pays when they are
//! few; when a term is common, reading the workspace's rows in list order
//! finds a page sooner. So a search first counts the index's matches, up to
//! a cap, and the caller starts from the index only under it. The callers
//! still test the text itself with `LIKE`, so results never depend on the
//! path. (PostgreSQL needs none of this: its trigram GIN indexes serve the
//! same `LIKE` and its planner weighs them with the table's statistics.)
use switchboard_db::{Backend, Db, Query};

/// A full-text table and what it indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// `audit_log.target_name`.
    AuditLog,
    /// `memberships.member_sort` (the lower-cased name) and `member_email`.
    Memberships,
}

impl Index {
    pub fn table(self) -> &'static str {
        match self {
            Index::AuditLog => "audit_log_search",
            Index::Memberships => "memberships_search",
        }
    }
}

/// `"term"` with `"` doubled: an FTS5 phrase of the whole term; `None` for
/// a term shorter than a trigram, which the index cannot look up.
pub fn phrase(term: &str) -> Option<String> {
    (term.chars().count() >= 3).then(|| format!("\"{}\"", term.replace('"', "\"\"")))
}

/// On SQLite, the phrase for `term` when the index finds at most `few` rows
/// containing it (in every workspace); `None` on PostgreSQL, for a short
/// term, or for a common one.
pub async fn phrase_if_few(db: &Db, index: Index, term: &str, few: i64) -> Result<Option<String>, sqlx::Error> {
    if db.backend() != Backend::Sqlite {
        return Ok(None);
    }
    let Some(phrase) = phrase(term) else { return Ok(None) };
    let mut q = Query::new("SELECT COUNT(*) FROM (SELECT 1 FROM ");
    q.push(index.table()).push(" WHERE ").push(index.table()).push(" MATCH ").bind(phrase.as_str());
    q.push(" LIMIT ").bind(few + 1).push(")");
    let found: i64 = q.fetch_scalar(db).await?;
    Ok((found <= few).then_some(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_quote_the_whole_term_and_need_a_trigram() {
        assert_eq!(phrase("lo"), None);
        assert_eq!(phrase("ada"), Some("\"ada\"".into()));
        assert_eq!(phrase("say \"hi\""), Some("\"say \"\"hi\"\"\"".into()));
        assert_eq!(phrase("été"), Some("\"été\"".into()), "characters, not bytes");
    }
}
