//! The rules of attributes and contacts, pure and unit-tested here: an
//! attribute's key, label, type and options ([`AttributeFields`]); a value
//! of each type ([`parse_value`]); a phone number with a default country,
//! an email address and a name; and a whole contact checked against the
//! workspace's attributes ([`ContactFields::parse`]).
use std::collections::BTreeMap;
use std::str::FromStr;

use phonenumber::country::Id as Country;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::text::check_display_text;

use crate::error::FieldError;

pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 80;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 1000;
pub const MAX_NAME_CHARS: usize = 200;
/// How many attributes a workspace may define.
pub const MAX_ATTRIBUTES: usize = 100;
/// Keys a contact has as columns, which an attribute may not take.
const RESERVED_KEYS: &[&str] = &["id", "name", "phone", "email", "attributes", "created_at", "updated_at"];

/// What kind of value an attribute holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = AttributeType)]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
    Date,
    Enum,
}

impl AttributeType {
    pub const ALL: [AttributeType; 5] =
        [AttributeType::Text, AttributeType::Number, AttributeType::Boolean, AttributeType::Date, AttributeType::Enum];

    /// As stored and sent: `text`, `number`, `boolean`, `date`, `enum`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::Date => "date",
            AttributeType::Enum => "enum",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            AttributeType::Text => "Text",
            AttributeType::Number => "Number",
            AttributeType::Boolean => "Yes/no",
            AttributeType::Date => "Date",
            AttributeType::Enum => "Choice",
        }
    }

    pub fn parse(raw: &str) -> Option<AttributeType> {
        let raw = raw.trim();
        AttributeType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(raw))
    }
}

impl TryFrom<String> for AttributeType {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        AttributeType::parse(&raw).ok_or_else(|| format!("unknown attribute type {raw:?}"))
    }
}

/// A valid attribute definition (what is stored, without ID and position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeFields {
    pub key: String,
    pub label: String,
    pub ty: AttributeType,
    /// The allowed values of an `enum`; empty for the other types.
    pub options: Vec<String>,
    pub required: bool,
}

/// An attribute definition as sent, before the rules.
#[derive(Debug, Clone, Default)]
pub struct RawAttribute<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub ty: &'a str,
    pub options: Vec<&'a str>,
    pub required: bool,
}

/// A key: lower-case snake_case, starting with a letter.
pub fn check_key(raw: &str) -> Result<String, String> {
    let key = raw.trim();
    let help = "Use lower-case letters, digits and underscores, starting with a letter, e.g. plan_tier.";
    if key.is_empty() {
        return Err(format!("Give the attribute a key. {help}"));
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(format!("Use at most {MAX_KEY_CHARS} characters for the key."));
    }
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(help.to_string());
    }
    if RESERVED_KEYS.contains(&key) {
        return Err(format!("{key} is a contact field already; choose another key."));
    }
    Ok(key.to_string())
}

/// Options of an enum, from a comma-separated list (the form's field).
pub fn split_options(raw: &str) -> Vec<&str> {
    raw.split(',').map(str::trim).filter(|o| !o.is_empty()).collect()
}

impl AttributeFields {
    /// Checks every field and reports each problem by its field's name.
    pub fn parse(raw: RawAttribute<'_>) -> Result<AttributeFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let key = check_key(raw.key).map_err(|m| errors.push(FieldError::new("key", m))).ok();
        let label = raw.label.trim();
        if label.is_empty() {
            errors.push(FieldError::new("label", "Give the attribute a label, e.g. “Plan tier”."));
        } else if label.chars().count() > MAX_LABEL_CHARS {
            errors.push(FieldError::new("label", format!("Use at most {MAX_LABEL_CHARS} characters for the label.")));
        } else if let Err(problem) = check_display_text(label) {
            errors.push(FieldError::new("label", format!("The label {problem}; remove it.")));
        }
        let ty = AttributeType::parse(raw.ty);
        if ty.is_none() {
            errors.push(FieldError::new("type", "Choose text, number, boolean, date or enum."));
        }
        let mut options: Vec<String> = Vec::new();
        match ty {
            Some(AttributeType::Enum) => {
                for option in raw.options.iter().map(|o| o.trim()) {
                    if option.is_empty() {
                        continue;
                    }
                    if option.chars().count() > MAX_OPTION_CHARS || check_display_text(option).is_err() {
                        errors.push(FieldError::new(
                            "options",
                            format!("Each option is at most {MAX_OPTION_CHARS} visible characters; “{option}” is not."),
                        ));
                        break;
                    }
                    if options.iter().any(|o| o.eq_ignore_ascii_case(option)) {
                        errors.push(FieldError::new("options", format!("“{option}” is listed twice.")));
                        break;
                    }
                    options.push(option.to_string());
                }
                if options.is_empty() && !errors.iter().any(|e| e.field == "options") {
                    errors.push(FieldError::new("options", "List the choices of an enum, e.g. Free, Pro, Enterprise."));
                } else if options.len() > MAX_OPTIONS {
                    errors.push(FieldError::new("options", format!("An enum has at most {MAX_OPTIONS} options.")));
                }
            }
            Some(_) if raw.options.iter().any(|o| !o.trim().is_empty()) => {
                errors.push(FieldError::new("options", "Only enum attributes have options; leave them empty."));
            }
            _ => {}
        }
        match (key, ty) {
            (Some(key), Some(ty)) if errors.is_empty() => {
                Ok(AttributeFields { key, label: label.to_string(), ty, options, required: raw.required })
            }
            _ => Err(errors),
        }
    }
}

/// A definition values are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Def {
    pub key: String,
    pub label: String,
    pub ty: AttributeType,
    pub options: Vec<String>,
    pub required: bool,
}

/// The workspace's attributes, loaded once and passed to every check (an
/// import checks a million rows against one set).
#[derive(Debug, Clone, Default)]
pub struct AttributeSet {
    pub defs: Vec<Def>,
}

impl AttributeSet {
    pub fn get(&self, key: &str) -> Option<&Def> {
        self.defs.iter().find(|d| d.key == key)
    }
}

/// Words a boolean is given as (any case).
const TRUE_WORDS: &[&str] = &["true", "yes", "1"];
const FALSE_WORDS: &[&str] = &["false", "no", "0"];

/// Checks one value against its attribute's type; the canonical value to
/// store (text: a string; number: a JSON number; boolean: true/false;
/// date: `YYYY-MM-DD`; enum: the option as defined), or `None` for no
/// value (`null` or blank).
pub fn parse_value(ty: AttributeType, options: &[String], raw: &Value) -> Result<Option<Value>, String> {
    let text = match raw {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) => return Err("Give one value, not a list or an object.".into()),
    };
    if text.is_empty() {
        return Ok(None);
    }
    match ty {
        AttributeType::Text => {
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(format!("Use at most {MAX_TEXT_CHARS} characters."));
            }
            if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err("Remove the control characters.".into());
            }
            Ok(Some(Value::String(text)))
        }
        AttributeType::Number => {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Some(Value::from(n)));
            }
            let bad = || format!("Enter a number, e.g. 42 or 3.5; “{}” is not one.", short(&text));
            // Only plain decimal notation: "inf", "NaN" and hex are refused.
            if !text.chars().all(|c| c.is_ascii_digit() || ".-+eE".contains(c)) {
                return Err(bad());
            }
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => {
                    serde_json::Number::from_f64(f).map(|n| Some(Value::Number(n))).ok_or_else(bad)
                }
                _ => Err(bad()),
            }
        }
        AttributeType::Boolean => {
            let lower = text.to_ascii_lowercase();
            if TRUE_WORDS.contains(&lower.as_str()) {
                Ok(Some(Value::Bool(true)))
            } else if FALSE_WORDS.contains(&lower.as_str()) {
                Ok(Some(Value::Bool(false)))
            } else {
                Err(format!("Use true or false (yes/no, 1/0); “{}” is neither.", short(&text)))
            }
        }
        AttributeType::Date => {
            let ok = text.len() == 10 && chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_ok();
            if ok {
                Ok(Some(Value::String(text)))
            } else {
                Err(format!("Enter a date as YYYY-MM-DD, e.g. 2026-12-31; “{}” is not one.", short(&text)))
            }
        }
        AttributeType::Enum => match options.iter().find(|o| o.eq_ignore_ascii_case(&text)) {
            Some(option) => Ok(Some(Value::String(option.clone()))),
            None => Err(format!("Choose one of {}; “{}” is not one.", options.join(", "), short(&text))),
        },
    }
}

/// A value shortened for a message.
pub fn short(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_string()
    }
}

/// A value as people read it (and as a form field holds it).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A default country: ISO 3166 alpha-2, any case (`US` when absent).
pub fn parse_country(raw: Option<&str>) -> Result<Country, String> {
    let raw = raw.map(str::trim).filter(|c| !c.is_empty()).unwrap_or("US");
    let upper = raw.to_ascii_uppercase();
    if upper.len() != 2 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("Use a two-letter country code (ISO 3166), e.g. US or GB.".into());
    }
    Country::from_str(&upper).map_err(|_| format!("{upper} is not a country code we know; use e.g. US or GB."))
}

/// A phone number typed in any common way, national numbers read in
/// `country`, as E.164; `Ok(None)` when blank.
pub fn parse_phone(raw: &str, country: Country) -> Result<Option<String>, String> {
    let input = raw.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let help = "Enter a phone number, e.g. +1 415 555 2671 (or a national number of the default country).";
    if input.len() > 40 || !input.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return Err(help.into());
    }
    if !input.chars().any(|c| c.is_ascii_digit()) {
        return Err(help.into());
    }
    let normalized = match input.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => input.to_string(),
    };
    // The parser is a port of libphonenumber; a panic on some odd input
    // must not take the request (or an import of a million rows) down.
    let parsed = std::panic::catch_unwind(|| {
        let number = phonenumber::parse(Some(country), &normalized).ok()?;
        Some((phonenumber::is_valid(&number), number.format().mode(phonenumber::Mode::E164).to_string()))
    });
    match parsed {
        Ok(Some((true, e164))) => Ok(Some(e164)),
        Ok(Some((false, _))) => {
            Err("That is not a valid phone number: check the country code and the number of digits.".into())
        }
        _ => Err(help.into()),
    }
}

/// An email address, lower-cased; `Ok(None)` when blank.
pub fn parse_email(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::auth::model::EmailAddress::parse(raw).map(|e| Some(e.normalized()))
}

/// A valid contact.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactFields {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub attributes: BTreeMap<String, Value>,
}

/// A contact as sent, once laid over the stored one (for a partial change):
/// the attribute values are the whole set, `null` meaning none.
#[derive(Debug, Clone, Default)]
pub struct RawContact<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub attributes: BTreeMap<String, Value>,
}

impl ContactFields {
    /// Checks every field against the rules and `attrs`, and reports every
    /// problem by its field (`phone`, `attributes.plan_tier`, …).
    pub fn parse(
        raw: &RawContact<'_>,
        country: Country,
        attrs: &AttributeSet,
    ) -> Result<ContactFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = raw.name.trim();
        if name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new("name", format!("Use at most {MAX_NAME_CHARS} characters for the name.")));
        } else if let Err(problem) = check_display_text(name) {
            errors.push(FieldError::new("name", format!("The name {problem}; remove it.")));
        }
        let phone = parse_phone(raw.phone, country).unwrap_or_else(|m| {
            errors.push(FieldError::new("phone", m));
            None
        });
        let email = parse_email(raw.email).unwrap_or_else(|m| {
            errors.push(FieldError::new("email", m));
            None
        });
        if phone.is_none() && email.is_none() && !errors.iter().any(|e| e.field == "phone" || e.field == "email") {
            errors.push(FieldError::new("phone", "Give a phone number or an email address (or both)."));
        }
        let mut attributes = BTreeMap::new();
        for (key, value) in &raw.attributes {
            let field = format!("attributes.{key}");
            let Some(def) = attrs.get(key) else {
                if !value.is_null() {
                    errors.push(FieldError::new(
                        field,
                        format!(
                            "This workspace has no attribute {}; Admins add them in Settings → Audiences.",
                            short(key)
                        ),
                    ));
                }
                continue;
            };
            match parse_value(def.ty, &def.options, value) {
                Ok(Some(v)) => {
                    attributes.insert(key.clone(), v);
                }
                Ok(None) => {}
                Err(m) => errors.push(FieldError::new(field, format!("{}: {m}", def.label))),
            }
        }
        for def in attrs.defs.iter().filter(|d| d.required) {
            let field = format!("attributes.{}", def.key);
            if !attributes.contains_key(&def.key) && !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, format!("{} is required; give it a value.", def.label)));
            }
        }
        if errors.is_empty() {
            Ok(ContactFields { name: name.to_string(), phone, email, attributes })
        } else {
            Err(errors)
        }
    }

    /// What `q` searches: the name and email lower-cased, the phone's digits.
    pub fn search_text(&self) -> String {
        let digits: String = self.phone.as_deref().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
        format!("{}\n{}\n{}", self.name.to_lowercase(), self.email.as_deref().unwrap_or(""), digits)
    }
}

/// The LIKE pattern (with `\` as the escape) a search for `q` uses: a
/// phone-like query by its digits, anything else lower-cased.
pub fn search_pattern(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let phone_like =
        q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && q.chars().any(|c| c.is_ascii_digit());
    let needle: String = if phone_like { q.chars().filter(char::is_ascii_digit).collect() } else { q.to_lowercase() };
    let mut pattern = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> AttributeSet {
        AttributeSet {
            defs: vec![
                Def {
                    key: "tier".into(),
                    label: "Tier".into(),
                    ty: AttributeType::Enum,
                    options: vec!["Free".into(), "Pro".into()],
                    required: true,
                },
                Def {
                    key: "age".into(),
                    label: "Age".into(),
                    ty: AttributeType::Number,
                    options: vec![],
                    required: false,
                },
            ],
        }
    }

    #[test]
    fn values_are_checked_by_type() {
        let t = |ty, raw: Value| parse_value(ty, &["Free".to_string(), "Pro".to_string()], &raw);
        assert_eq!(t(AttributeType::Number, json!("42")), Ok(Some(json!(42))));
        assert_eq!(t(AttributeType::Number, json!(" 3.5 ")), Ok(Some(json!(3.5))));
        assert!(t(AttributeType::Number, json!("NaN")).is_err());
        assert!(t(AttributeType::Number, json!("inf")).is_err());
        assert!(t(AttributeType::Number, json!("1e400")).is_err());
        for yes in ["true", "YES", "1", "yes"] {
            assert_eq!(t(AttributeType::Boolean, json!(yes)), Ok(Some(json!(true))), "{yes}");
        }
        assert_eq!(t(AttributeType::Boolean, json!(0)), Ok(Some(json!(false))));
        assert!(t(AttributeType::Boolean, json!("maybe")).is_err());
        assert_eq!(t(AttributeType::Date, json!("2026-02-28")), Ok(Some(json!("2026-02-28"))));
        assert!(t(AttributeType::Date, json!("2026-02-30")).is_err());
        assert!(t(AttributeType::Date, json!("2026-2-3")).is_err());
        assert_eq!(t(AttributeType::Enum, json!("pro")), Ok(Some(json!("Pro"))));
        assert!(t(AttributeType::Enum, json!("Gold")).is_err());
        assert_eq!(t(AttributeType::Text, json!("")), Ok(None));
        assert_eq!(t(AttributeType::Text, json!(12)), Ok(Some(json!("12"))));
        assert!(t(AttributeType::Text, json!("x".repeat(1001))).is_err());
        assert!(t(AttributeType::Text, json!(["a"])).is_err());
    }

    #[test]
    fn keys_and_definitions() {
        assert_eq!(check_key(" plan_tier "), Ok("plan_tier".into()));
        for bad in ["Plan", "1abc", "plan-tier", "", "phone", "ä"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        let raw =
            RawAttribute { key: "tier", label: "Tier", ty: "enum", options: vec!["Free", " Pro ", ""], required: true };
        let ok = AttributeFields::parse(raw).expect("valid");
        assert_eq!(ok.options, ["Free", "Pro"]);
        let raw =
            RawAttribute { key: "tier", label: "Tier", ty: "enum", options: vec!["Free", "free"], required: false };
        assert!(AttributeFields::parse(raw).is_err());
        let raw = RawAttribute { key: "x", label: "", ty: "colour", options: vec![], required: false };
        let fields: Vec<String> = AttributeFields::parse(raw).expect_err("bad").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["label", "type"]);
    }

    #[test]
    fn phones_read_national_numbers_in_the_default_country() {
        let us = parse_country(None).expect("US");
        let gb = parse_country(Some("gb")).expect("GB");
        assert_eq!(parse_phone("(415) 555-2671", us), Ok(Some("+14155552671".into())));
        assert_eq!(parse_phone("020 7946 0958", gb), Ok(Some("+442079460958".into())));
        assert_eq!(parse_phone("+44 20 7946 0958", us), Ok(Some("+442079460958".into())));
        assert_eq!(parse_phone("0044 20 7946 0958", us), Ok(Some("+442079460958".into())));
        assert!(parse_phone("12345", us).is_err());
        assert!(parse_phone("call me", us).is_err());
        assert!(parse_country(Some("XX")).is_err());
        assert!(parse_country(Some("USA")).is_err());
    }

    #[test]
    fn a_contact_needs_a_phone_or_email_and_its_required_attributes() {
        let us = parse_country(None).expect("US");
        let raw = RawContact { name: "Ada", phone: "", email: "", attributes: BTreeMap::new() };
        let fields: Vec<String> =
            ContactFields::parse(&raw, us, &set()).expect_err("bad").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone", "attributes.tier"]);
        let attributes = BTreeMap::from([
            ("tier".to_string(), json!("pro")),
            ("age".to_string(), json!("x")),
            ("foo".to_string(), json!(1)),
        ]);
        let raw = RawContact { name: "Ada", phone: "", email: "Ada@Example.com", attributes };
        let fields: Vec<String> =
            ContactFields::parse(&raw, us, &set()).expect_err("bad").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["attributes.age", "attributes.foo"]);
        let attributes = BTreeMap::from([("tier".to_string(), json!("pro")), ("age".to_string(), Value::Null)]);
        let raw = RawContact { name: " Ada ", phone: "415 555 2671", email: "Ada@Example.com", attributes };
        let ok = ContactFields::parse(&raw, us, &set()).expect("valid");
        assert_eq!(ok.email.as_deref(), Some("ada@example.com"));
        assert_eq!(ok.attributes, BTreeMap::from([("tier".to_string(), json!("Pro"))]));
        assert_eq!(ok.search_text(), "ada\nada@example.com\n14155552671");
    }

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(search_pattern(" Ada_L "), Some("%ada\\_l%".into()));
        assert_eq!(search_pattern("+1 (415) 555"), Some("%1415555%".into()));
        assert_eq!(search_pattern("  "), None);
    }
}
