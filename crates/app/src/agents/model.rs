//! An agent's fields as people and API clients send them: the rules for a
//! name, a description, a status and a default voice. Pure; unit-tested
//! here. Pages, the API and any future CLI parse through [`AgentFields`].
use serde::{Deserialize, Serialize};
use switchboard_core::text::check_display_text;
use switchboard_providers::voices;

use crate::error::{AppError, FieldError};

pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Whether an agent takes calls: a `DRAFT` is being set up, a `LIVE` one
/// answers its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schema(as = AgentStatus)]
pub enum AgentStatus {
    Draft,
    Live,
}

impl AgentStatus {
    pub const ALL: [AgentStatus; 2] = [AgentStatus::Draft, AgentStatus::Live];

    /// As stored and sent: `DRAFT`, `LIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Draft => "DRAFT",
            AgentStatus::Live => "LIVE",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            AgentStatus::Draft => "Draft",
            AgentStatus::Live => "Live",
        }
    }

    /// `DRAFT` or `LIVE`, in any case, surrounding spaces ignored.
    pub fn parse(raw: &str) -> Option<AgentStatus> {
        let raw = raw.trim();
        AgentStatus::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }
}

impl TryFrom<String> for AgentStatus {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        AgentStatus::parse(&raw).ok_or_else(|| format!("unknown agent status {raw:?}"))
    }
}

/// A valid set of an agent's editable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFields {
    pub name: String,
    pub description: String,
    pub status: AgentStatus,
    /// A voice ID of the catalogue (`None`: no default voice).
    pub default_voice: Option<String>,
}

/// Raw input, before the rules: what a form or a JSON body holds once
/// a partial update has been laid over the agent's current values.
#[derive(Debug, Clone, Default)]
pub struct RawAgent<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub status: &'a str,
    /// Empty or absent: no default voice.
    pub default_voice: Option<&'a str>,
}

impl AgentFields {
    /// Checks every field and reports every problem at once, each by the
    /// name of its field.
    pub fn parse(raw: RawAgent<'_>) -> Result<AgentFields, AppError> {
        let mut errors = Vec::new();
        let name = raw.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Give the agent a name, e.g. “Front desk”."));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new("name", format!("Use at most {MAX_NAME_CHARS} characters for the name.")));
        } else if let Err(problem) = check_display_text(name) {
            errors.push(FieldError::new("name", format!("The name {problem}; remove it.")));
        }
        // Line breaks are fine in a description; other invisible or
        // control characters are not.
        let description = raw.description.trim().replace("\r\n", "\n");
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new(
                "description",
                format!("Use at most {MAX_DESCRIPTION_CHARS} characters for the description."),
            ));
        } else if let Some(problem) = description.split('\n').find_map(|line| check_display_text(line).err()) {
            errors.push(FieldError::new("description", format!("The description {problem}; remove it.")));
        }
        let status = AgentStatus::parse(raw.status);
        if status.is_none() {
            errors.push(FieldError::new("status", "Choose DRAFT or LIVE."));
        }
        let default_voice = match raw.default_voice.map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            // The sandbox's fixed catalogue here; a library voice of the
            // platform's provider or a custom voice (`vce_…`) is checked by
            // the service against the library and the workspace's READY voices.
            Some(id) if voices::find(id).is_some() || plausible_voice_id(id) => Some(id.to_string()),
            Some(_) => {
                errors.push(FieldError::new("default_voice", "Choose a voice from the list, or no default voice."));
                None
            }
        };
        match status {
            Some(status) if errors.is_empty() => {
                Ok(AgentFields { name: name.to_string(), description, status, default_voice })
            }
            _ => Err(AppError::validation(errors)),
        }
    }
}

/// Whether `id` has the shape of a voice ID (a provider's or `vce_…`).
pub fn plausible_voice_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The name of a voice ID for display (the ID itself if the catalogue no
/// longer has it).
pub fn voice_name(id: &str) -> String {
    voices::find(id).map_or_else(|| id.to_string(), |v| v.name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(name: &'a str, description: &'a str, status: &'a str, voice: Option<&'a str>) -> RawAgent<'a> {
        RawAgent { name, description, status, default_voice: voice }
    }

    fn fields_of(err: AppError) -> Vec<String> {
        let AppError::Client(problem) = err else { panic!("a client error") };
        problem.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_valid_agent_is_trimmed_and_keeps_its_voice() {
        let ok =
            AgentFields::parse(raw("  Front desk ", " Answers\r\nthe phone ", "live", Some("sbv_aria"))).expect("ok");
        assert_eq!(ok.name, "Front desk");
        assert_eq!(ok.description, "Answers\nthe phone");
        assert_eq!(ok.status, AgentStatus::Live);
        assert_eq!(ok.default_voice.as_deref(), Some("sbv_aria"));
        let none = AgentFields::parse(raw("x", "", "DRAFT", Some(" "))).expect("ok");
        assert_eq!(none.default_voice, None);
    }

    #[test]
    fn every_bad_field_is_reported_by_name() {
        let err =
            AgentFields::parse(raw("  ", &"d".repeat(501), "paused", Some("no such voice!"))).expect_err("refused");
        assert_eq!(fields_of(err), ["name", "description", "status", "default_voice"]);
        assert!(AgentFields::parse(raw(&"n".repeat(81), "", "DRAFT", None)).is_err());
        assert!(AgentFields::parse(raw(&"n".repeat(80), &"d".repeat(500), "DRAFT", None)).is_ok());
        assert!(AgentFields::parse(raw("a\u{202E}b", "", "DRAFT", None)).is_err());
        assert!(AgentFields::parse(raw("ab", "x\u{7}y", "DRAFT", None)).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in AgentStatus::ALL {
            assert_eq!(AgentStatus::try_from(s.as_str().to_string()), Ok(s));
        }
        assert!(AgentStatus::try_from("ACTIVE".to_string()).is_err());
    }
}
