//! The tamper-evident chain of the audit log. Each workspace's entries are
//! numbered 1, 2, 3… and each stores SHA-256 over its canonical content and
//! the previous entry's hash, so editing, removing or reordering any entry
//! breaks every hash after it; [`verify`] recomputes the chain and names
//! the first entry that does not match.
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use switchboard_core::WorkspaceId;
use switchboard_db::{Db, IntoExec, fetch_all, fetch_optional};

use super::Changes;
use super::checkpoint;
use crate::server_key::ServerKeys;

/// The "previous hash" of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry's hash covers: every stored field but the hash itself.
#[derive(Debug, Clone, Serialize)]
pub struct Canonical<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub seq: i64,
    pub actor_type: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub target_name: &'a str,
    pub changes: &'a Changes,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

/// `sha256(prev_hash + "\n" + canonical JSON)`, in hex. The JSON has its
/// object keys sorted at every depth and times in RFC 3339 with
/// microseconds (what both databases keep), so it reads back the same.
pub fn entry_hash(entry: &Canonical<'_>, prev_hash: &str) -> String {
    let mut value = serde_json::to_value(entry).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("created_at".into(), Value::String(entry.created_at.to_rfc3339_opts(SecondsFormat::Micros, true)));
    }
    let text = sorted(value).to_string();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(text.as_bytes());
    hex::encode(hasher.finalize())
}

/// The same value with every object's keys in sorted order (whatever map
/// type serde_json was built with).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// One stored entry, as verification reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredEntry {
    id: String,
    workspace_id: String,
    seq: i64,
    prev_hash: Option<String>,
    hash: Option<String>,
    actor_type: String,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    target_type: String,
    target_id: String,
    target_name: String,
    changes: sqlx::types::Json<Changes>,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
}

impl StoredEntry {
    fn canonical(&self) -> Canonical<'_> {
        Canonical {
            id: &self.id,
            workspace_id: &self.workspace_id,
            seq: self.seq,
            actor_type: &self.actor_type,
            actor_id: self.actor_id.as_deref(),
            actor_name: &self.actor_name,
            action: &self.action,
            target_type: &self.target_type,
            target_id: &self.target_id,
            target_name: &self.target_name,
            changes: &self.changes.0,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            created_at: self.created_at,
        }
    }
}

/// The first entry that does not match, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Break {
    /// The entry's ID (`aud_…`); for a missing entry, the one after the gap.
    pub entry_id: String,
    pub seq: i64,
    /// `content_changed`, `wrong_previous_hash`, `missing_entries`, `head_mismatch`
    /// or `checkpoint_signature_invalid` (the retention cut it starts from).
    pub reason: &'static str,
}

/// What [`verify`] found for one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "workspace_id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "entries": 1284,
    "unchained": 0,
    "head_seq": 1284,
    "head_hash": "9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d",
    "cut_at_seq": 0,
    "first_break": null
}))]
pub struct Report {
    pub workspace_id: String,
    /// Chained entries checked.
    pub entries: i64,
    /// Entries written before the chain existed (not covered by it).
    pub unchained: i64,
    /// The chain head: the last sequence number and hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// Entries up to this sequence number were removed by retention, at a
    /// signed checkpoint the check starts from; 0 when none were.
    pub cut_at_seq: i64,
    /// `None` when every entry matches.
    pub first_break: Option<Break>,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.first_break.is_none()
    }
}

const PAGE: i64 = 5_000;

/// Recomputes the workspace's chain from its first entry (or from the
/// signed checkpoint retention last cut it at), a page at a time (memory
/// stays flat however long the log), and checks it ends at the stored head.
pub async fn verify(db: &Db, key: &ServerKeys, workspace_id: &WorkspaceId) -> Result<Report, sqlx::Error> {
    let ws = workspace_id.as_str();
    let head: Option<(i64, String)> =
        fetch_optional!(db, (i64, String), "SELECT seq, hash FROM audit_chain_heads WHERE workspace_id = $1", ws)?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.to_string()));
    let unchained = switchboard_db::fetch_scalar!(
        db,
        i64,
        "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND seq IS NULL",
        ws
    )?;
    let cut = checkpoint::latest_cut(db, ws).await?;
    let mut report = Report {
        workspace_id: ws.to_string(),
        entries: 0,
        unchained,
        head_seq,
        head_hash,
        cut_at_seq: cut.as_ref().map_or(0, |c| c.seq),
        first_break: None,
    };
    let (mut expected_seq, mut prev) = match cut {
        Some(cut) if !checkpoint::signature_valid(key, &cut) => {
            report.first_break =
                Some(Break { entry_id: String::new(), seq: cut.seq, reason: "checkpoint_signature_invalid" });
            return Ok(report);
        }
        Some(cut) => (cut.seq + 1, cut.hash),
        None => (1, GENESIS.to_string()),
    };
    loop {
        let page = fetch_all!(
            db,
            StoredEntry,
            "SELECT id, workspace_id, seq, prev_hash, hash, actor_type, actor_id, actor_name, action, target_type,
                    target_id, target_name, changes, ip, user_agent, created_at
             FROM audit_log WHERE workspace_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
            ws,
            expected_seq,
            PAGE
        )?;
        let done = (page.len() as i64) < PAGE;
        for entry in page {
            let broken = |reason| Some(Break { entry_id: entry.id.clone(), seq: entry.seq, reason });
            report.first_break = if entry.seq != expected_seq {
                broken("missing_entries")
            } else if entry.prev_hash.as_deref() != Some(prev.as_str()) {
                broken("wrong_previous_hash")
            } else if entry.hash.as_deref() != Some(entry_hash(&entry.canonical(), &prev).as_str()) {
                broken("content_changed")
            } else {
                None
            };
            if report.first_break.is_some() {
                return Ok(report);
            }
            report.entries += 1;
            expected_seq += 1;
            prev = entry.hash.clone().unwrap_or_default();
        }
        if done {
            break;
        }
    }
    if expected_seq - 1 != report.head_seq || prev != report.head_hash {
        report.first_break = Some(Break { entry_id: String::new(), seq: expected_seq, reason: "head_mismatch" });
    }
    Ok(report)
}

/// Every workspace that has a chain, for `switchboard audit verify`.
pub async fn chained_workspaces<'a>(ex: impl IntoExec<'a>) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        fetch_all!(ex, (String,), "SELECT workspace_id FROM audit_chain_heads ORDER BY workspace_id")?;
    Ok(rows.into_iter().map(|(w,)| w).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(changes: &Changes) -> Canonical<'_> {
        Canonical {
            id: "aud_1",
            workspace_id: "ws_1",
            seq: 1,
            actor_type: "user",
            actor_id: Some("usr_1"),
            actor_name: "Ada",
            action: "workspace.updated",
            target_type: "workspace",
            target_id: "ws_1",
            target_name: "Acme",
            changes,
            ip: Some("127.0.0.1"),
            user_agent: None,
            created_at: Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("time"),
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let changes = Changes::new().field("name", "Acme", "Acme Voice");
        let base = entry_hash(&entry(&changes), GENESIS);
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(&entry(&changes), GENESIS), "deterministic");
        assert_ne!(base, entry_hash(&entry(&changes), &"1".repeat(64)));
        let mut other = entry(&changes);
        other.target_name = "Acme!";
        assert_ne!(base, entry_hash(&other, GENESIS));
        let mut later = entry(&changes);
        later.created_at += chrono::Duration::microseconds(1);
        assert_ne!(base, entry_hash(&later, GENESIS));
        let edited = Changes::new().field("name", "Acme", "Evil");
        assert_ne!(base, entry_hash(&entry(&edited), GENESIS));
    }

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": {"y": 1, "x": [{"q": 1, "p": 2}]}, "a": 0}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a": 0, "b": {"x": [{"p": 2, "q": 1}], "y": 1}}"#).expect("json");
        assert_eq!(sorted(a).to_string(), sorted(b).to_string());
    }
}
