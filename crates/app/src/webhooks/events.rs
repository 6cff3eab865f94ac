//! The event catalogue: every event type a webhook endpoint can receive,
//! with its payload schema (version 1). Events come from the audit write
//! path: each audit entry becomes an `audit.entry_created` event and, when
//! its action is in the catalogue, an event of that type too; both are
//! enqueued in the transaction that made the change ([`super::enqueue`]).
//!
//! Every payload is the Standard Webhooks envelope
//! `{"type", "timestamp", "data"}` plus `version` and `workspace_id`. For a
//! change event, `data` names the object, the actor and the changed fields
//! (`changes.<field>.before/after`); which fields each type carries is
//! listed here and in the OpenAPI document's `webhooks` section.
use serde::Serialize;
use serde_json::{Value, json};

/// The payload schema version; bumped only with a breaking change.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EventType {
    pub name: &'static str,
    pub description: &'static str,
    /// What `data.object.type` is.
    pub object: &'static str,
    /// The fields `data.changes` may hold.
    pub fields: &'static [&'static str],
}

pub const AUDIT_ENTRY_CREATED: &str = "audit.entry_created";
pub const TEST: &str = "webhook.test";

pub const CATALOGUE: &[EventType] = &[
    EventType {
        name: "workspace.updated",
        description: "The workspace's name, website, timezone or logo changed.",
        object: "workspace",
        fields: &["name", "website", "timezone", "logo"],
    },
    EventType {
        name: "member.invited",
        description: "Someone was invited to the workspace.",
        object: "invitation",
        fields: &["email", "role"],
    },
    EventType {
        name: "member.joined",
        description: "An invited person accepted and joined.",
        object: "member",
        fields: &["role", "status"],
    },
    EventType {
        name: "member.role_changed",
        description: "A member's role changed.",
        object: "member",
        fields: &["role"],
    },
    EventType {
        name: "member.removed",
        description: "An Admin removed a member.",
        object: "member",
        fields: &["status"],
    },
    EventType {
        name: "member.left",
        description: "A member left the workspace.",
        object: "member",
        fields: &["status"],
    },
    EventType {
        name: "api_token.created",
        description: "An API token was created (its secret is never sent).",
        object: "api_token",
        fields: &["name", "role", "expires_at"],
    },
    EventType {
        name: "api_token.revoked",
        description: "An API token stopped working: revoked, or its creator left or was removed.",
        object: "api_token",
        fields: &["status"],
    },
    EventType {
        name: AUDIT_ENTRY_CREATED,
        description: "Any audit log entry was written (every change in the workspace); `data.entry` is the entry.",
        object: "audit_entry",
        fields: &[],
    },
    EventType {
        name: TEST,
        description: "Sent by \"Send test event\"; it changes nothing.",
        object: "webhook_endpoint",
        fields: &[],
    },
];

pub fn find(name: &str) -> Option<&'static EventType> {
    CATALOGUE.iter().find(|e| e.name == name)
}

/// The typed event an audit action raises, besides `audit.entry_created`.
pub fn for_action(action: &str) -> Option<&'static EventType> {
    find(action).filter(|e| e.name != AUDIT_ENTRY_CREATED && e.name != TEST)
}

/// JSON Schema (2020-12, as OpenAPI 3.1 uses) of one event type's payload.
pub fn schema(event: &EventType) -> Value {
    let reference = json!({
        "type": "object",
        "required": ["type", "id", "name"],
        "properties": {
            "type": {"type": "string"},
            "id": {"type": ["string", "null"]},
            "name": {"type": "string"}
        }
    });
    let change = json!({
        "type": "object",
        "required": ["before", "after"],
        "properties": {"before": {}, "after": {}}
    });
    let data = match event.name {
        AUDIT_ENTRY_CREATED => json!({
            "type": "object",
            "required": ["entry"],
            "properties": {"entry": {"$ref": "#/components/schemas/AuditEntryResponse"}}
        }),
        TEST => json!({
            "type": "object",
            "required": ["endpoint_id", "message"],
            "properties": {"endpoint_id": {"type": "string"}, "message": {"type": "string"}}
        }),
        _ => {
            let fields: serde_json::Map<String, Value> =
                event.fields.iter().map(|f| (f.to_string(), change.clone())).collect();
            json!({
                "type": "object",
                "required": ["object", "actor", "changes", "audit_entry_id"],
                "properties": {
                    "object": {
                        "allOf": [reference.clone()],
                        "properties": {"type": {"const": event.object}}
                    },
                    "actor": reference,
                    "changes": {"type": "object", "properties": fields, "additionalProperties": false},
                    "audit_entry_id": {"type": "string"}
                }
            })
        }
    };
    json!({
        "title": event.name,
        "description": event.description,
        "type": "object",
        "required": ["type", "version", "timestamp", "workspace_id", "data"],
        "properties": {
            "type": {"const": event.name},
            "version": {"const": VERSION},
            "timestamp": {"type": "string", "format": "date-time"},
            "workspace_id": {"type": "string"},
            "data": data
        }
    })
}

/// Adds the catalogue to an OpenAPI 3.1 document as its `webhooks`: one
/// POST per event type, whose body is that type's payload.
pub fn add_to_openapi(doc: &mut Value) {
    let mut hooks = serde_json::Map::new();
    for event in CATALOGUE {
        hooks.insert(
            event.name.to_string(),
            json!({"post": {
                "summary": event.name,
                "description": format!("{} Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).", event.description),
                "operationId": format!("webhook_{}", event.name.replace('.', "_")),
                "tags": ["webhooks"],
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema(event)}}},
                "responses": {"2XX": {"description": "Any 2xx answer counts as delivered; 410 disables the endpoint."}}
            }}),
        );
    }
    if let Value::Object(map) = doc {
        map.insert("webhooks".into(), Value::Object(hooks));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_the_promised_events_and_each_has_a_schema() {
        for name in [
            "workspace.updated",
            "member.invited",
            "member.joined",
            "member.role_changed",
            "member.removed",
            "member.left",
            "api_token.created",
            "api_token.revoked",
            "audit.entry_created",
        ] {
            let event = find(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(schema(event)["properties"]["type"]["const"], name);
        }
        assert!(for_action("member.role_changed").is_some());
        assert!(for_action("invitation.revoked").is_none());
        assert!(for_action(AUDIT_ENTRY_CREATED).is_none());
        let mut doc = json!({"openapi": "3.1.0"});
        add_to_openapi(&mut doc);
        assert_eq!(doc["webhooks"].as_object().map(|m| m.len()), Some(CATALOGUE.len()));
    }
}
