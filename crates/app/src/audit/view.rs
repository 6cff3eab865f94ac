//! How the Audit Log page shows entries: times in the workspace timezone
//! with UTC beside them, actors, and the before/after of changed fields.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;

use super::catalogue::{action_label, target_label};
use super::{AuditEntry, query};

/// A time as the page shows it.
#[derive(Debug, Serialize)]
pub struct Stamp {
    /// RFC 3339 in UTC, for `<time datetime>`.
    pub iso: String,
    /// `28 Nov 2026, 13:10:05 CET`: in the workspace timezone.
    pub local: String,
    /// `2026-11-28 12:10:05 UTC`.
    pub utc: String,
}

pub fn stamp(at: DateTime<Utc>, tz: Tz) -> Stamp {
    Stamp {
        iso: query::rfc3339(at, chrono_tz::UTC),
        local: at.with_timezone(&tz).format("%-d %b %Y, %H:%M:%S %Z").to_string(),
        utc: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// One row of the list.
#[derive(Debug, Serialize)]
pub struct EntryRow {
    pub id: String,
    pub time: Stamp,
    /// `user`, `token` or `system`.
    pub actor_type: String,
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub target_type: String,
    pub target_label: String,
    pub target_name: String,
    pub ip: Option<String>,
}

impl EntryRow {
    pub fn new(e: AuditEntry, tz: Tz) -> Self {
        EntryRow {
            time: stamp(e.created_at, tz),
            action_label: action_label(&e.action).to_string(),
            target_label: target_label(&e.target_type).to_string(),
            id: e.id,
            actor_type: e.actor_type,
            actor_name: e.actor_name,
            action: e.action,
            target_type: e.target_type,
            target_name: e.target_name,
            ip: e.ip,
        }
    }
}

/// A JSON value as a person reads it.
#[derive(Debug, Serialize, PartialEq)]
pub struct Shown {
    /// `None` for JSON null (the field was not set).
    pub text: Option<String>,
    /// Objects and arrays, pretty-printed over several lines.
    pub block: bool,
}

pub fn shown(value: &Value) -> Shown {
    match value {
        Value::Null => Shown { text: None, block: false },
        Value::String(s) => Shown { text: Some(s.clone()), block: false },
        Value::Bool(_) | Value::Number(_) => Shown { text: Some(value.to_string()), block: false },
        Value::Array(_) | Value::Object(_) => {
            Shown { text: Some(serde_json::to_string_pretty(value).unwrap_or_default()), block: true }
        }
    }
}

/// One changed field of the detail view's diff.
#[derive(Debug, Serialize)]
pub struct DiffRow {
    pub field: String,
    pub before: Shown,
    pub after: Shown,
}

pub fn diff(entry: &AuditEntry) -> Vec<DiffRow> {
    entry
        .changes
        .0
        .0
        .iter()
        .map(|(field, change)| DiffRow {
            field: field.clone(),
            before: shown(&change.before),
            after: shown(&change.after),
        })
        .collect()
}

pub fn actor_type_label(kind: &str) -> &'static str {
    match kind {
        "user" => "User",
        "token" => "API token",
        "system" => "System",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn times_show_local_and_utc() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 10, 5).single().expect("valid");
        let s = stamp(at, chrono_tz::Europe::Paris);
        assert_eq!(s.local, "28 Nov 2026, 13:10:05 CET");
        assert_eq!(s.utc, "2026-11-28 12:10:05 UTC");
        assert_eq!(s.iso, "2026-11-28T12:10:05.000000Z");
    }

    #[test]
    fn json_values_read_plainly() {
        assert_eq!(shown(&json!("Acme")), Shown { text: Some("Acme".into()), block: false });
        assert_eq!(shown(&json!(null)).text, None);
        assert_eq!(shown(&json!(true)).text.as_deref(), Some("true"));
        let nested = shown(&json!({"a": [1, 2]}));
        assert!(nested.block);
        assert!(nested.text.unwrap_or_default().contains('\n'));
    }
}
