//! A custom voice, its samples and consent record, the workspace's voice
//! settings, and the rules for what an Admin types (name, description,
//! language, gender). Pure; unit-tested here.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{UserId, VoiceId, VoiceSampleId, WorkspaceId};
pub use switchboard_providers::voices::Gender;

use crate::error::{AppError, AppResult, FieldError};

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Most samples one voice is cloned from.
pub const MAX_SAMPLES: usize = 25;
/// Largest sample.
pub const MAX_SAMPLE_BYTES: u64 = 10 * 1024 * 1024;

/// The statement an Admin confirms before cloning; stored word for word
/// with the consent record.
pub const CONSENT_STATEMENT: &str = "I confirm that I have the right to clone this voice: the samples are my own \
     voice, or I have the speaker's written permission to create and use a synthetic copy of their voice.";

/// A language a voice can be cloned in: BCP 47 code and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Language {
    pub code: &'static str,
    pub label: &'static str,
}

/// The languages offered for cloning: Thoughtly's fifteen first, then a
/// few more the instant-clone model speaks.
pub const LANGUAGES: &[Language] = &[
    Language { code: "en", label: "English" },
    Language { code: "es", label: "Spanish" },
    Language { code: "fr", label: "French" },
    Language { code: "de", label: "German" },
    Language { code: "it", label: "Italian" },
    Language { code: "pt", label: "Portuguese" },
    Language { code: "nl", label: "Dutch" },
    Language { code: "pl", label: "Polish" },
    Language { code: "hi", label: "Hindi" },
    Language { code: "ja", label: "Japanese" },
    Language { code: "ko", label: "Korean" },
    Language { code: "zh", label: "Chinese" },
    Language { code: "ar", label: "Arabic" },
    Language { code: "ru", label: "Russian" },
    Language { code: "tr", label: "Turkish" },
    Language { code: "sv", label: "Swedish" },
    Language { code: "uk", label: "Ukrainian" },
    Language { code: "cs", label: "Czech" },
    Language { code: "id", label: "Indonesian" },
    Language { code: "vi", label: "Vietnamese" },
];

/// The offered language `raw` names (`es`, `ES`, `es-MX` → `es`).
pub fn language(raw: &str) -> Option<&'static Language> {
    let primary = raw.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    LANGUAGES.iter().find(|l| l.code == primary)
}

/// The label of a language code (`en-GB` → `English`), or the code.
pub fn language_label(code: &str) -> String {
    language(code).map_or_else(|| code.to_string(), |l| l.label.to_string())
}

/// Where a custom voice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VoiceStatus {
    /// The clone job has not finished.
    Processing,
    Ready,
    /// The provider refused; `failure_reason` says why.
    Failed,
}

impl VoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VoiceStatus::Processing => "PROCESSING",
            VoiceStatus::Ready => "READY",
            VoiceStatus::Failed => "FAILED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VoiceStatus::Processing => "Processing",
            VoiceStatus::Ready => "Ready",
            VoiceStatus::Failed => "Failed",
        }
    }

    pub fn parse(raw: &str) -> Option<VoiceStatus> {
        [VoiceStatus::Processing, VoiceStatus::Ready, VoiceStatus::Failed]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// Whose provider account holds a clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProviderAccount {
    /// The platform's (`[voices]`).
    Platform,
    /// The workspace's own ElevenLabs key.
    Workspace,
}

impl ProviderAccount {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderAccount::Platform => "PLATFORM",
            ProviderAccount::Workspace => "WORKSPACE",
        }
    }

    pub fn parse(raw: &str) -> Option<ProviderAccount> {
        match raw {
            "PLATFORM" => Some(ProviderAccount::Platform),
            "WORKSPACE" => Some(ProviderAccount::Workspace),
            _ => None,
        }
    }
}

/// A custom voice of the workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voice {
    pub id: VoiceId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    /// BCP 47 (`en`, `es`…).
    pub language: String,
    pub gender: Gender,
    /// `sandbox` or `elevenlabs`.
    pub provider: String,
    pub provider_account: ProviderAccount,
    /// The provider's voice ID, once the clone exists.
    pub provider_voice_id: Option<String>,
    pub status: VoiceStatus,
    pub failure_reason: Option<String>,
    pub speech_ms: i64,
    pub duration_ms: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

/// One sample a voice was cloned from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceSample {
    pub id: VoiceSampleId,
    pub voice_id: VoiceId,
    pub position: i32,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of the file as received.
    pub sha256: String,
    /// Where the bytes are kept until the clone is made; `None` after.
    pub object_key: Option<String>,
    /// The sample's quality report (JSON of `analysis::SampleReport`).
    pub report: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Who confirmed the consent statement, when, from where, over which samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consent {
    pub voice_id: VoiceId,
    pub statement: String,
    pub user_id: Option<UserId>,
    pub user_email: String,
    pub ip: Option<String>,
    pub sample_sha256: Vec<String>,
    pub confirmed_at: DateTime<Utc>,
}

/// The workspace's voice settings. The sealed key never leaves the store
/// except to be opened by [`super::provider`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VoiceSettings {
    /// A library voice's provider ID or a custom voice's `vce_…` ID.
    pub default_voice: Option<String>,
    /// Whether the workspace brought its own ElevenLabs key.
    pub has_own_key: bool,
    /// Whose account the key opens, as the provider names it.
    pub own_key_label: Option<String>,
}

/// A new voice's fields as typed (form fields or multipart parts).
#[derive(Debug, Clone, Default)]
pub struct RawVoice<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub language: &'a str,
    pub gender: &'a str,
}

/// A new voice's fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceFields {
    pub name: String,
    pub description: String,
    /// An offered language's code.
    pub language: &'static str,
    pub gender: Gender,
}

/// Checks a name: required, at most [`MAX_NAME_CHARS`], no control characters.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "Give the voice a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new("name", format!("Use at most {MAX_NAME_CHARS} characters.")));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "The name cannot contain control characters."));
    }
    Ok(name.to_string())
}

/// Checks a description: optional, at most [`MAX_DESCRIPTION_CHARS`].
pub fn parse_description(raw: &str) -> Result<String, FieldError> {
    let description = raw.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new("description", format!("Use at most {MAX_DESCRIPTION_CHARS} characters.")));
    }
    if description.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new("description", "The description cannot contain control characters."));
    }
    Ok(description.to_string())
}

impl RawVoice<'_> {
    /// Checks every field; each bad one gets its own message.
    pub fn parse(&self) -> AppResult<VoiceFields> {
        let mut errors = Vec::new();
        let name = parse_name(self.name).map_err(|e| errors.push(e)).ok();
        let description = parse_description(self.description).map_err(|e| errors.push(e)).ok();
        let language = language(self.language).filter(|_| !self.language.trim().is_empty());
        if language.is_none() {
            errors.push(FieldError::new("language", "Choose one of the languages offered."));
        }
        let gender = match self.gender.trim() {
            "" => Some(Gender::NotSpecified),
            raw => Gender::parse(raw),
        };
        if gender.is_none() {
            errors.push(FieldError::new("gender", "Use MALE, FEMALE or NOT_SPECIFIED."));
        }
        match (name, description, language, gender) {
            (Some(name), Some(description), Some(language), Some(gender)) if errors.is_empty() => {
                Ok(VoiceFields { name, description, language: language.code, gender })
            }
            _ => Err(AppError::validation(errors)),
        }
    }
}

/// A form's "I confirm" value: `true`, `on`, `yes`, `1`.
pub fn confirmed(raw: Option<&str>) -> bool {
    matches!(raw.map(|r| r.trim().to_ascii_lowercase()).as_deref(), Some("true" | "on" | "yes" | "1"))
}

/// Whether `id` names a custom voice (`vce_…`) rather than a library voice.
pub fn is_custom_id(id: &str) -> bool {
    id.starts_with("vce_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(name: &'a str, language: &'a str, gender: &'a str) -> RawVoice<'a> {
        RawVoice { name, description: "", language, gender }
    }

    #[test]
    fn thoughtlys_fifteen_languages_are_offered_with_labels() {
        for code in ["en", "es", "fr", "de", "it", "pt", "nl", "pl", "hi", "ja", "ko", "zh", "ar", "ru", "tr"] {
            assert!(language(code).is_some(), "{code}");
        }
        assert_eq!(language("es-MX").map(|l| l.code), Some("es"));
        assert_eq!(language("EN_gb").map(|l| l.label), Some("English"));
        assert_eq!(language("xx"), None);
        assert_eq!(language_label("pt-BR"), "Portuguese");
        for (i, l) in LANGUAGES.iter().enumerate() {
            assert!(LANGUAGES[..i].iter().all(|m| m.code != l.code), "duplicate {}", l.code);
        }
    }

    #[test]
    fn a_valid_voice_is_trimmed_and_gender_defaults_to_not_specified() {
        let fields = raw("  Ada  ", "en-US", "").parse().expect("valid");
        assert_eq!(fields.name, "Ada");
        assert_eq!(fields.language, "en");
        assert_eq!(fields.gender, Gender::NotSpecified);
        assert_eq!(raw("Ada", "fr", "female").parse().expect("valid").gender, Gender::Female);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let long_description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        let bad = RawVoice { name: " ", description: &long_description, language: "klingon", gender: "robot" };
        let err = bad.parse().expect_err("invalid");
        let fields = err.field_messages().expect("fields");
        for field in ["name", "description", "language", "gender"] {
            assert!(fields.contains_key(field), "{field}: {fields:?}");
        }
        assert!(raw(&"n".repeat(MAX_NAME_CHARS + 1), "en", "").parse().is_err());
        assert!(raw(&"n".repeat(MAX_NAME_CHARS), "en", "").parse().is_ok());
        assert!(raw("a\u{7}b", "en", "").parse().is_err());
        assert!(raw("Ada", "", "").parse().is_err());
    }

    #[test]
    fn consent_is_confirmed_only_by_a_yes() {
        for yes in ["true", "on", "YES", "1"] {
            assert!(confirmed(Some(yes)), "{yes}");
        }
        for no in ["false", "", "0", "maybe"] {
            assert!(!confirmed(Some(no)), "{no}");
        }
        assert!(!confirmed(None));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [VoiceStatus::Processing, VoiceStatus::Ready, VoiceStatus::Failed] {
            assert_eq!(VoiceStatus::parse(s.as_str()), Some(s));
        }
        assert!(is_custom_id("vce_01J"));
        assert!(!is_custom_id("sbv_aria"));
    }
}
