//! Checking a batch of usage events before anything is written: every
//! event is checked, and any error rejects the whole batch with one
//! message per event and field (`events[3].quantity`).
//!
//! The rules (also in the README):
//! - at most [`MAX_EVENTS`] events; an empty batch is valid and records nothing;
//! - `type`: one of the usage types;
//! - `quantity`: a whole number from 0 to [`MAX_QUANTITY`], in the type's unit;
//! - `occurred_at`: RFC 3339, at most [`MAX_SKEW_SECS`] seconds ahead of the
//!   server's clock and at most [`MAX_AGE_DAYS`] days in the past;
//! - `agent_id`: optional; an agent of this workspace (checked by the caller
//!   in one query for the batch);
//! - `idempotency_key`: 1–255 characters, no control characters, unique
//!   in the batch (a key recorded earlier is a duplicate, not an error);
//! - `metadata`: optional; a JSON object of at most [`MAX_METADATA_BYTES`]
//!   bytes as JSON text.
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::HashMap;
use switchboard_core::AgentId;

use super::rates::MAX_QUANTITY;
use super::types::UsageType;
use crate::error::FieldError;

pub const MAX_EVENTS: usize = 1_000;
pub const MAX_SKEW_SECS: i64 = 300;
pub const MAX_AGE_DAYS: i64 = 35;
pub const MAX_KEY_CHARS: usize = 255;
pub const MAX_METADATA_BYTES: usize = 2_048;
/// At most this many errors are listed; the detail says how many there were.
pub const MAX_ERRORS_LISTED: usize = 100;

const FIELDS: [&str; 6] = ["type", "quantity", "occurred_at", "agent_id", "idempotency_key", "metadata"];

/// One event, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub usage_type: UsageType,
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub agent_id: Option<AgentId>,
    pub idempotency_key: String,
    /// The object as JSON text.
    pub metadata: Option<String>,
}

fn err(errors: &mut Vec<FieldError>, i: usize, field: &str, message: impl Into<String>) {
    errors.push(FieldError::new(format!("events[{i}].{field}"), message));
}

/// Checks one event; pushes its errors.
fn check_event(i: usize, value: &Value, now: DateTime<Utc>, errors: &mut Vec<FieldError>) -> Option<NewEvent> {
    let Some(obj) = value.as_object() else {
        errors.push(FieldError::new(format!("events[{i}]"), "Each event must be a JSON object."));
        return None;
    };
    let before = errors.len();
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            err(errors, i, key, format!("Unknown field; an event has {}.", FIELDS.join(", ")));
        }
    }
    let usage_type = match obj.get("type") {
        Some(Value::String(s)) => UsageType::parse(s).or_else(|| {
            let known: Vec<&str> = UsageType::ALL.iter().map(|t| t.as_str()).collect();
            err(errors, i, "type", format!("Unknown usage type {s:?}; one of {}.", known.join(", ")));
            None
        }),
        None | Some(Value::Null) => {
            err(errors, i, "type", "Required.");
            None
        }
        Some(_) => {
            err(errors, i, "type", "Must be a string such as \"call_minutes\".");
            None
        }
    };
    let quantity = match obj.get("quantity") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(q) if (0..=MAX_QUANTITY).contains(&q) => Some(q),
            _ => {
                err(errors, i, "quantity", format!("Must be a whole number from 0 to {MAX_QUANTITY}."));
                None
            }
        },
        None | Some(Value::Null) => {
            err(errors, i, "quantity", "Required.");
            None
        }
        Some(_) => {
            err(errors, i, "quantity", "Must be a whole number (in the type's unit), not a string.");
            None
        }
    };
    let occurred_at = match obj.get("occurred_at") {
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t > now + Duration::seconds(MAX_SKEW_SECS) {
                    err(errors, i, "occurred_at", "Is in the future; usage is reported after it happens.");
                    None
                } else if t < now - Duration::days(MAX_AGE_DAYS) {
                    err(errors, i, "occurred_at", format!("Is more than {MAX_AGE_DAYS} days ago; too old to record."));
                    None
                } else {
                    Some(t)
                }
            }
            Err(_) => {
                err(errors, i, "occurred_at", "Must be an RFC 3339 time such as 2026-12-07T09:30:00Z.");
                None
            }
        },
        None | Some(Value::Null) => {
            err(errors, i, "occurred_at", "Required.");
            None
        }
        Some(_) => {
            err(errors, i, "occurred_at", "Must be an RFC 3339 time string.");
            None
        }
    };
    let agent_id = match obj.get("agent_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match s.parse::<AgentId>() {
            Ok(id) => Some(id),
            Err(_) => {
                err(errors, i, "agent_id", "Is not an agent ID (agt_…).");
                None
            }
        },
        Some(_) => {
            err(errors, i, "agent_id", "Must be an agent ID string (agt_…) or null.");
            None
        }
    };
    let idempotency_key = match obj.get("idempotency_key") {
        Some(Value::String(s)) => {
            let chars = s.chars().count();
            if chars == 0 || chars > MAX_KEY_CHARS {
                err(errors, i, "idempotency_key", format!("Must be 1 to {MAX_KEY_CHARS} characters."));
                None
            } else if s.chars().any(char::is_control) {
                err(errors, i, "idempotency_key", "Must not contain control characters.");
                None
            } else {
                Some(s.clone())
            }
        }
        None | Some(Value::Null) => {
            err(errors, i, "idempotency_key", "Required: a key unique to this event, so a retry is not counted twice.");
            None
        }
        Some(_) => {
            err(errors, i, "idempotency_key", "Must be a string.");
            None
        }
    };
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => {
            let text = m.to_string();
            if text.len() > MAX_METADATA_BYTES {
                err(errors, i, "metadata", format!("Is {} bytes as JSON; at most {MAX_METADATA_BYTES}.", text.len()));
            }
            Some(text)
        }
        Some(_) => {
            err(errors, i, "metadata", "Must be a JSON object.");
            None
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(NewEvent {
        usage_type: usage_type?,
        quantity: quantity?,
        occurred_at: occurred_at?,
        agent_id,
        idempotency_key: idempotency_key?,
        metadata,
    })
}

/// Checks every event of the batch. `Err` lists every error found.
pub fn check_batch(events: &[Value], now: DateTime<Utc>) -> Result<Vec<NewEvent>, Vec<FieldError>> {
    if events.len() > MAX_EVENTS {
        return Err(vec![FieldError::new(
            "events",
            format!("At most {MAX_EVENTS} events per request; this one has {}.", events.len()),
        )]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(events.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(events.len());
    for (i, value) in events.iter().enumerate() {
        if let Some(event) = check_event(i, value, now, &mut errors) {
            out.push(event);
        }
        let key = value.get("idempotency_key").and_then(Value::as_str);
        if let Some(key) = key.filter(|k| !k.is_empty())
            && let Some(first) = seen.insert(key, i)
        {
            seen.insert(key, first);
            err(&mut errors, i, "idempotency_key", format!("Repeats the key of events[{first}] in this batch."));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// `events[3]` of an error's field: the index it is about.
pub fn error_index(field: &str) -> Option<usize> {
    field.strip_prefix("events[")?.split(']').next()?.parse().ok()
}

/// The distinct agent IDs the batch names.
pub fn agent_ids(events: &[NewEvent]) -> Vec<AgentId> {
    let mut ids: Vec<AgentId> = events.iter().filter_map(|e| e.agent_id.clone()).collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    ids
}

/// Errors for events naming an agent that is not one of the workspace's.
pub fn unknown_agents(events: &[NewEvent], known: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(id) = &e.agent_id
            && !known.iter().any(|k| k == id.as_str())
        {
            err(&mut errors, i, "agent_id", format!("No agent {id} in this workspace."));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn good(key: &str) -> Value {
        json!({"type": "call_minutes", "quantity": 61, "occurred_at": "2026-12-07T09:00:00Z", "idempotency_key": key})
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_batch_parses() {
        let events = check_batch(&[good("a"), good("b")], now()).expect("valid");
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].usage_type, events[0].quantity), (UsageType::CallMinutes, 61));
        assert!(check_batch(&[], now()).expect("empty").is_empty());
    }

    #[test]
    fn each_bad_field_is_named_with_its_index() {
        let batch = [
            good("a"),
            json!({"type": "calls", "quantity": -1, "occurred_at": "yesterday", "idempotency_key": "", "extra": 1}),
            json!({"type": "sms", "quantity": 1.5, "occurred_at": "2026-12-07T10:10:00Z", "idempotency_key": "c",
                   "agent_id": "usr_1", "metadata": [1]}),
            json!({"type": "sms", "quantity": "3", "occurred_at": "2026-10-01T00:00:00Z", "idempotency_key": "a"}),
            json!("not an object"),
        ];
        let errors = check_batch(&batch, now()).expect_err("invalid");
        assert_eq!(
            fields(&errors),
            [
                "events[1].extra",
                "events[1].type",
                "events[1].quantity",
                "events[1].occurred_at",
                "events[1].idempotency_key",
                "events[2].quantity",
                "events[2].occurred_at",
                "events[2].agent_id",
                "events[2].metadata",
                "events[3].quantity",
                "events[3].occurred_at",
                "events[3].idempotency_key",
                "events[4]",
            ]
        );
        assert!(errors[11].message.contains("events[0]"), "{}", errors[11].message);
        assert_eq!(error_index(&errors[5].field), Some(2));
    }

    #[test]
    fn limits_are_inclusive_and_a_thousand_and_one_events_are_refused() {
        let skew = json!({"type": "sms", "quantity": MAX_QUANTITY, "occurred_at": "2026-12-07T10:05:00Z",
                          "idempotency_key": "k".repeat(MAX_KEY_CHARS), "metadata": {"call": "x"}});
        check_batch(&[skew], now()).expect("at the limits");
        let batch: Vec<Value> = (0..=MAX_EVENTS).map(|i| good(&i.to_string())).collect();
        let errors = check_batch(&batch, now()).expect_err("too many");
        assert_eq!(fields(&errors), ["events"]);
        let big = json!({"type": "sms", "quantity": 1, "occurred_at": "2026-12-07T09:00:00Z", "idempotency_key": "m",
                         "metadata": {"x": "y".repeat(MAX_METADATA_BYTES)}});
        assert_eq!(fields(&check_batch(&[big], now()).expect_err("big")), ["events[0].metadata"]);
    }
}
