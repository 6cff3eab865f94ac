//! Reading the JSON Schemas of the document for people: `$ref`s resolved
//! into `components.schemas`, field tables, type labels, and examples
//! assembled from the schema when an operation gives none of its own.
//! Also the document's light Markdown (`code`, **bold**) as text spans.
use serde::Serialize;
use serde_json::{Map, Value};

/// How deep nested objects are followed; the schemas are shallow, this
/// only stops a self-referencing schema.
const MAX_DEPTH: usize = 8;

/// The timestamp synthesized examples use for `date-time` strings.
const EXAMPLE_TIME: &str = "2026-01-15T09:30:00Z";

/// A run of text: plain, `code` or **strong**.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub text: String,
    pub code: bool,
    pub strong: bool,
}

/// One paragraph of spans.
pub type Paragraph = Vec<Span>;

/// Splits Markdown-ish text into paragraphs (blank lines) of spans. Single
/// line breaks (doc comments wrap) become spaces.
pub fn paragraphs(text: &str) -> Vec<Paragraph> {
    text.split("\n\n").map(inline).filter(|p| !p.is_empty()).collect()
}

/// One paragraph: backticks mark code, `**` marks strong text.
pub fn inline(text: &str) -> Paragraph {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut spans = Vec::new();
    let (mut code, mut strong) = (false, false);
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut flush = |current: &mut String, code: bool, strong: bool| {
        if !current.is_empty() {
            spans.push(Span { text: std::mem::take(current), code, strong });
        }
    };
    while let Some(c) = chars.next() {
        if c == '`' {
            flush(&mut current, code, strong);
            code = !code;
        } else if c == '*' && !code && chars.peek() == Some(&'*') {
            chars.next();
            flush(&mut current, code, strong);
            strong = !strong;
        } else {
            current.push(c);
        }
    }
    flush(&mut current, code, strong);
    spans
}

/// A row of a field table: `logo.large`, `data[].email`.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub description: Paragraph,
    /// The allowed values, for enums.
    pub values: Vec<String>,
}

/// The schemas of one document.
pub struct Schemas<'a> {
    components: Option<&'a Map<String, Value>>,
}

impl<'a> Schemas<'a> {
    pub fn new(doc: &'a Value) -> Self {
        Schemas { components: doc.pointer("/components/schemas").and_then(Value::as_object) }
    }

    /// The schema a `$ref` names, if it is one of ours.
    fn target(&self, schema: &Value) -> Option<&'a Value> {
        let name = schema.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")?;
        self.components?.get(name)
    }

    /// Follows `$ref`s to the schema itself.
    pub fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..MAX_DEPTH {
            match self.target(schema) {
                Some(next) => schema = next,
                None => break,
            }
        }
        schema
    }

    /// The schema without its "or null": `oneOf [null, X]` → X, and
    /// whether null was allowed.
    pub fn non_null(&self, schema: &'a Value) -> (&'a Value, bool) {
        let schema = self.resolve(schema);
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let others: Vec<&Value> = alternatives.iter().filter(|a| !is_null_type(a)).collect();
                if let [only] = others.as_slice()
                    && others.len() < alternatives.len()
                {
                    return (self.resolve(only), true);
                }
            }
        }
        let nullable = schema.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|t| t == "null"));
        (schema, nullable)
    }

    /// A short type for people: `string (date-time) | null`, `array of object`.
    pub fn type_label(&self, schema: &'a Value) -> String {
        let (schema, nullable) = self.non_null(schema);
        let base = self.base_label(schema, 0);
        if nullable { format!("{base} | null") } else { base }
    }

    fn base_label(&self, schema: &'a Value, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "any".into();
        }
        let schema = self.resolve(schema);
        if schema.get("allOf").is_some() || schema.get("properties").is_some() {
            return "object".into();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let labels: Vec<String> = alternatives.iter().map(|a| self.base_label(a, depth + 1)).collect();
                return labels.join(" | ");
            }
        }
        match (first_type(schema), schema.get("format").and_then(Value::as_str)) {
            (Some("array"), _) => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                format!("array of {}", self.base_label(items, depth + 1))
            }
            (Some("string"), Some("binary")) => "binary".into(),
            (Some("string"), Some(format)) => format!("string ({format})"),
            (Some(ty), _) => ty.into(),
            (None, _) => "any".into(),
        }
    }

    /// The allowed values of an enum, as text.
    pub fn values(&self, schema: &'a Value) -> Vec<String> {
        let (schema, _) = self.non_null(schema);
        let values = schema.get("enum").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect()
    }

    /// The description of a property, or of the schema it refers to.
    fn description(&self, schema: &'a Value) -> Paragraph {
        let own = schema.get("description").and_then(Value::as_str);
        let (target, _) = self.non_null(schema);
        let text = own.or_else(|| target.get("description").and_then(Value::as_str)).unwrap_or_default();
        inline(text)
    }

    /// Every field of an object schema, nested objects and arrays of
    /// objects flattened into dotted names.
    pub fn fields(&self, schema: &'a Value) -> Vec<Field> {
        let mut out = Vec::new();
        self.collect(schema, "", &mut out, 0);
        out
    }

    fn collect(&self, schema: &'a Value, prefix: &str, out: &mut Vec<Field>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (schema, _) = self.non_null(schema);
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.collect(part, prefix, out, depth + 1);
            }
            return;
        }
        if first_type(schema) == Some("array") {
            if let Some(items) = schema.get("items") {
                self.collect(items, &format!("{prefix}[]."), out, depth + 1);
            }
            return;
        }
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        let required = schema.get("required").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for (name, property) in properties {
            let full = format!("{prefix}{name}");
            out.push(Field {
                name: full.clone(),
                ty: self.type_label(property),
                required: required.iter().any(|r| r == name),
                description: self.description(property),
                values: self.values(property),
            });
            let (inner, _) = self.non_null(property);
            if inner.get("properties").is_some() || inner.get("allOf").is_some() {
                self.collect(inner, &format!("{full}."), out, depth + 1);
            } else if first_type(inner) == Some("array")
                && let Some(items) = inner.get("items")
            {
                let (item, _) = self.non_null(items);
                if item.get("properties").is_some() || item.get("allOf").is_some() {
                    self.collect(item, &format!("{full}[]."), out, depth + 1);
                }
            }
        }
    }

    /// The schema's own example, else one assembled from its parts: field
    /// examples where given, `null` for nullable fields without one, and a
    /// placeholder of the right type otherwise.
    pub fn example(&self, schema: &'a Value) -> Value {
        self.example_at(schema, 0)
    }

    fn example_at(&self, schema: &'a Value, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(example) = own_example(schema) {
            return example.clone();
        }
        if let Some(target) = self.target(schema) {
            return self.example_at(target, depth + 1);
        }
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|v| v.first()) {
            return first.clone();
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(fields) = self.example_at(part, depth + 1) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                // A nullable reference to a schema with an example shows the
                // example; a plain nullable value shows null.
                return match alternatives.iter().find(|a| !is_null_type(a)) {
                    Some(other) if own_example(self.resolve(other)).is_some() => self.example_at(other, depth + 1),
                    Some(other) if alternatives.len() == 1 => self.example_at(other, depth + 1),
                    _ => Value::Null,
                };
            }
        }
        let nullable = schema.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|t| t == "null"));
        if nullable {
            return Value::Null;
        }
        match first_type(schema) {
            Some("array") => {
                let items = schema.get("items").map(|items| self.example_at(items, depth + 1));
                Value::Array(items.into_iter().collect())
            }
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => EXAMPLE_TIME.into(),
                Some("date") => EXAMPLE_TIME[..10].into(),
                _ => "string".into(),
            },
            Some("integer") | Some("number") => schema.get("minimum").cloned().unwrap_or(Value::from(0)),
            Some("boolean") => Value::Bool(true),
            _ => match schema.get("properties").and_then(Value::as_object) {
                Some(properties) => Value::Object(
                    properties.iter().map(|(name, p)| (name.clone(), self.example_at(p, depth + 1))).collect(),
                ),
                None => Value::Null,
            },
        }
    }
}

/// `example`, or the first of `examples`.
fn own_example(schema: &Value) -> Option<&Value> {
    schema.get("example").or_else(|| schema.get("examples").and_then(Value::as_array).and_then(|e| e.first()))
}

fn is_null_type(schema: &Value) -> bool {
    schema.get("type").is_some_and(|t| t == "null")
}

/// The first type other than `null`: `["string", "null"]` → `string`.
fn first_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(ty) => Some(ty),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}
