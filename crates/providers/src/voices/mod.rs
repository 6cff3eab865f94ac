//! Voices behind one trait (SPEC §9): the provider's stock voices (the
//! library), instant voice clones made from samples, their previews, and
//! deleting or renaming a clone. The **sandbox** ([`sandbox`], the default)
//! needs no account: about twenty stock voices with short preview clips
//! shipped in the binary, and clones kept as files under the data folder so
//! every process of one installation sees the same voices. **ElevenLabs**
//! talks to the vendor's API, or to a local mock of it (its base URL is a
//! setting); a workspace may bring its own key, the same client built from
//! it.
//!
//! [`catalogue`] and [`find`] are the sandbox's fixed stock voices, which
//! agents created before the library existed refer to by `sbv_…` ID.
pub mod cache;
pub mod elevenlabs;
pub mod sandbox;

use async_trait::async_trait;

/// A ready-made voice anyone can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StockVoice {
    /// Stable ID stored on agents (`sbv_…` for the sandbox's voices).
    pub id: &'static str,
    pub name: &'static str,
    /// BCP 47 language tag, e.g. `en-US`.
    pub language: &'static str,
    pub gender: Gender,
    /// `American`, `British`, …
    pub accent: &'static str,
    /// How it sounds, for the picker: accent and voice.
    pub description: &'static str,
}

/// Every stock voice, in the order a picker lists them.
pub fn catalogue() -> &'static [StockVoice] {
    sandbox::VOICES
}

/// The stock voice with `id`, if there is one.
pub fn find(id: &str) -> Option<&'static StockVoice> {
    catalogue().iter().find(|v| v.id == id)
}

/// How a voice sounds, as SPEC §9 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Gender {
    Male,
    Female,
    NotSpecified,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Male, Gender::Female, Gender::NotSpecified];

    /// As stored and sent: `MALE`, `FEMALE`, `NOT_SPECIFIED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
            Gender::NotSpecified => "NOT_SPECIFIED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::NotSpecified => "Not specified",
        }
    }

    /// `MALE`, `male`, `not_specified`, `Not specified`…
    pub fn parse(raw: &str) -> Option<Gender> {
        let raw = raw.trim().replace([' ', '-'], "_");
        Gender::ALL.into_iter().find(|g| g.as_str().eq_ignore_ascii_case(&raw))
    }
}

/// A stock voice of the provider's library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryVoice {
    /// The provider's voice ID (`sbv_…` in the sandbox, ElevenLabs'
    /// `voice_id`): what agents store.
    pub id: String,
    pub name: String,
    /// BCP 47 tag (`en-US`) or a bare language (`en`) when the provider
    /// gives no region.
    pub language: String,
    pub gender: Gender,
    /// `American`, `British`, … when the provider says.
    pub accent: Option<String>,
    pub description: String,
}

/// Audio bytes and their media type (`audio/mpeg`, `audio/ogg`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One sample sent for cloning.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// What a clone is made from.
#[derive(Debug, Clone, Copy)]
pub struct CloneRequest<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// BCP 47 language of the samples (`en`, `es`, …).
    pub language: &'a str,
    pub gender: Gender,
    /// Ours (the voice's ID): stored with the clone at the provider (as a
    /// label) so a retried job finds a clone made before a crash instead of
    /// making a second one ([`VoiceProvider::find_clone`]).
    pub reference: &'a str,
    pub samples: &'a [Sample<'a>],
}

/// Who a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The provider's ID for the account (ElevenLabs' `user_id`).
    pub account_ref: String,
    /// A name to show, or a masked ID.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoiceError {
    /// The key was refused (401/403).
    #[error("the voice provider refused the key")]
    Unauthorized,
    /// The voice does not exist (404).
    #[error("not found at the voice provider")]
    NotFound,
    /// The request cannot work (bad samples, a quota reached): the
    /// provider's message, safe to show.
    #[error("{0}")]
    Rejected(String),
    /// The provider could not be reached or failed: worth retrying.
    #[error("the voice provider is unavailable: {0}")]
    Unavailable(String),
}

/// A voice provider account. Every call may be retried with the same
/// arguments.
#[async_trait]
pub trait VoiceProvider: Send + Sync + 'static {
    /// `sandbox` or `elevenlabs`: stored with each custom voice.
    fn name(&self) -> &'static str;

    /// Checks the key; says whose account it opens.
    async fn verify(&self) -> Result<AccountInfo, VoiceError>;

    /// The provider's stock voices (not the account's clones), in the order
    /// a picker lists them. Callers cache it.
    async fn library(&self) -> Result<Vec<LibraryVoice>, VoiceError>;

    /// A short clip of the voice speaking (a stock voice's or a clone's),
    /// for the page's player. Callers cache it.
    async fn preview(&self, voice_id: &str) -> Result<Audio, VoiceError>;

    /// Makes an instant clone; answers the provider's voice ID.
    async fn clone_voice(&self, request: &CloneRequest<'_>) -> Result<String, VoiceError>;

    /// The clone made for `reference` before, if any.
    async fn find_clone(&self, reference: &str) -> Result<Option<String>, VoiceError>;

    /// Renames a clone or changes its description.
    async fn edit_voice(&self, voice_id: &str, name: &str, description: &str) -> Result<(), VoiceError>;

    /// Deletes a clone. Deleting one that is already gone succeeds.
    async fn delete_voice(&self, voice_id: &str) -> Result<(), VoiceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_have_unique_prefixed_ids_and_are_found_by_them() {
        let all = catalogue();
        assert!(all.len() >= 8);
        for (i, v) in all.iter().enumerate() {
            assert!(v.id.starts_with("sbv_"), "{}", v.id);
            assert!(all[..i].iter().all(|w| w.id != v.id), "duplicate {}", v.id);
            assert_eq!(find(v.id), Some(v));
        }
        assert_eq!(find("sbv_nobody"), None);
    }

    #[test]
    fn genders_parse_from_what_forms_and_providers_send() {
        assert_eq!(Gender::parse("male"), Some(Gender::Male));
        assert_eq!(Gender::parse("Not specified"), Some(Gender::NotSpecified));
        assert_eq!(Gender::parse("NOT_SPECIFIED"), Some(Gender::NotSpecified));
        assert_eq!(Gender::parse("robot"), None);
    }
}
