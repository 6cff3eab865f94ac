//! JSON Schemas of event payloads, and the OpenAPI 3.1 `webhooks` section
//! built from the catalogue.
use serde_json::{Value, json};

use super::{EventType, Payload, VERSION, catalogue};

/// JSON Schema (2020-12, as OpenAPI 3.1 uses) of one event type's payload.
pub fn schema(event: &EventType) -> Value {
    let data = match event.payload {
        Payload::Custom(data_schema) => data_schema(),
        Payload::Change => change_data(event),
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

fn change_data(event: &EventType) -> Value {
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
    let fields: serde_json::Map<String, Value> = event.fields.iter().map(|f| (f.to_string(), change.clone())).collect();
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

/// Adds the catalogue to an OpenAPI 3.1 document as its `webhooks`: one
/// POST per event type, whose body is that type's payload.
pub fn add_to_openapi(doc: &mut Value) {
    let mut hooks = serde_json::Map::new();
    for event in catalogue() {
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
    use crate::events::{AUDIT_ENTRY_CREATED, WEBHOOK_TEST};

    #[test]
    fn every_platform_event_has_a_schema() {
        for event in [&AUDIT_ENTRY_CREATED, &WEBHOOK_TEST] {
            assert_eq!(schema(event)["properties"]["type"]["const"], event.name);
        }
        let change = EventType::change("thing.changed", "A thing changed.", "thing", &["name"]);
        let s = schema(&change);
        assert_eq!(s["properties"]["data"]["properties"]["object"]["properties"]["type"]["const"], "thing");
        assert!(s["properties"]["data"]["properties"]["changes"]["properties"]["name"].is_object());
        let mut doc = json!({"openapi": "3.1.0"});
        add_to_openapi(&mut doc);
        assert_eq!(doc["webhooks"].as_object().map(|m| m.len()), Some(catalogue().len()));
    }
}
