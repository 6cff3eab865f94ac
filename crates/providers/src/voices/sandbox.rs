//! The sandbox voice provider: twenty fixed stock voices with short preview
//! clips shipped in the binary, and instant "clones" kept as files in a
//! folder (two per clone: `<id>.json`, what was asked, and `<id>.sample`,
//! the first sample's bytes), so every process sharing the data folder sees
//! the same voices, as they would at a real provider.
//!
//! The sandbox cannot synthesise speech: a clone's preview is its own first
//! sample played back, and a stock voice's is its recorded clip. The clips
//! (`assets/voices/<name>.ogg`, mono Ogg/Opus, 3–5 s each) were made by
//! `scripts/make-voice-previews` with eSpeak NG and ffmpeg; each voice
//! introduces itself in its language ("Hi, I'm Aria. How can I help you
//! today?").
use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{AccountInfo, Audio, CloneRequest, Gender, LibraryVoice, StockVoice, VoiceError, VoiceProvider};

const fn voice(
    id: &'static str,
    name: &'static str,
    language: &'static str,
    gender: Gender,
    accent: &'static str,
    description: &'static str,
) -> StockVoice {
    StockVoice { id, name, language, gender, accent, description }
}

use Gender::{Female, Male};

/// The stock voices, in the order a picker lists them. The first eight are
/// the IDs agents stored before the library existed: keep them.
pub const VOICES: &[StockVoice] = &[
    voice("sbv_aria", "Aria", "en-US", Female, "American", "American English, warm female voice"),
    voice("sbv_ben", "Ben", "en-US", Male, "American", "American English, calm male voice"),
    voice("sbv_chloe", "Chloe", "en-GB", Female, "British", "British English, bright female voice"),
    voice("sbv_daniel", "Daniel", "en-GB", Male, "British", "British English, deep male voice"),
    voice("sbv_elena", "Elena", "es-ES", Female, "Castilian", "Castilian Spanish, friendly female voice"),
    voice("sbv_felix", "Felix", "de-DE", Male, "German", "German, clear male voice"),
    voice("sbv_grace", "Grace", "en-AU", Female, "Australian", "Australian English, upbeat female voice"),
    voice("sbv_hugo", "Hugo", "fr-FR", Male, "Parisian", "French, soft male voice"),
    voice("sbv_isabella", "Isabella", "it-IT", Female, "Italian", "Italian, lively female voice"),
    voice("sbv_jonas", "Jonas", "nl-NL", Male, "Dutch", "Dutch, steady male voice"),
    voice("sbv_kasia", "Kasia", "pl-PL", Female, "Polish", "Polish, kind female voice"),
    voice("sbv_lucas", "Lucas", "pt-BR", Male, "Brazilian", "Brazilian Portuguese, relaxed male voice"),
    voice("sbv_mei", "Mei", "zh-CN", Female, "Mandarin", "Mandarin Chinese, gentle female voice"),
    voice("sbv_nikhil", "Nikhil", "hi-IN", Male, "Indian", "Hindi, confident male voice"),
    voice("sbv_omar", "Omar", "ar-SA", Male, "Gulf", "Arabic, measured male voice"),
    voice("sbv_priya", "Priya", "en-IN", Female, "Indian", "Indian English, cheerful female voice"),
    voice("sbv_sakura", "Sakura", "ja-JP", Female, "Tokyo", "Japanese, polite female voice"),
    voice("sbv_minjun", "Minjun", "ko-KR", Male, "Seoul", "Korean, friendly male voice"),
    voice("sbv_tatiana", "Tatiana", "ru-RU", Female, "Moscow", "Russian, composed female voice"),
    voice("sbv_emre", "Emre", "tr-TR", Male, "Istanbul", "Turkish, warm male voice"),
];

/// The clips' media type.
pub const PREVIEW_CONTENT_TYPE: &str = "audio/ogg";

/// The recorded clip of stock voice `id` (`sbv_<name>` plays `<name>.ogg`).
pub fn stock_preview(id: &str) -> Option<&'static [u8]> {
    macro_rules! clips {
        ($($name:literal),* $(,)?) => {
            match id.strip_prefix("sbv_")? {
                $($name => Some(include_bytes!(concat!("../../assets/voices/", $name, ".ogg")).as_slice()),)*
                _ => None,
            }
        };
    }
    clips!(
        "aria", "ben", "chloe", "daniel", "elena", "felix", "grace", "hugo", "isabella", "jonas", "kasia", "lucas",
        "mei", "nikhil", "omar", "priya", "sakura", "minjun", "tatiana", "emre",
    )
}

impl StockVoice {
    /// As the library lists it.
    pub fn to_library(&self) -> LibraryVoice {
        LibraryVoice {
            id: self.id.to_string(),
            name: self.name.to_string(),
            language: self.language.to_string(),
            gender: self.gender,
            accent: Some(self.accent.to_string()),
            description: self.description.to_string(),
        }
    }
}

/// The prefix of a sandbox clone's ID.
pub const CLONE_PREFIX: &str = "sbc_";

/// What is kept per clone (`<id>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CloneRecord {
    id: String,
    name: String,
    description: String,
    language: String,
    /// [`Gender::as_str`].
    gender: String,
    reference: String,
    /// The media type of `<id>.sample`.
    sample_content_type: String,
}

/// The sandbox provider; clones live in its folder.
pub struct SandboxVoices {
    dir: PathBuf,
}

impl SandboxVoices {
    /// Clones live in `dir` (created when missing), e.g. a folder under the
    /// data folder.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<SandboxVoices> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(SandboxVoices { dir })
    }

    /// `<dir>/<id>.<extension>` for a well-formed clone ID only, so an ID
    /// from a request cannot name another file.
    fn path_of(&self, id: &str, extension: &str) -> Option<PathBuf> {
        let body = id.strip_prefix(CLONE_PREFIX)?;
        (!body.is_empty() && body.len() <= 40 && body.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| self.dir.join(format!("{id}.{extension}")))
    }

    fn record(&self, id: &str) -> Result<Option<CloneRecord>, VoiceError> {
        match self.path_of(id, "json") {
            Some(path) => crate::fs_util::read_json(&path).map_err(|e| unavailable(&e)),
            None => Ok(None),
        }
    }

    fn write(&self, record: &CloneRecord) -> Result<(), VoiceError> {
        let path = self.path_of(&record.id, "json").ok_or_else(|| unavailable(&"malformed clone ID"))?;
        let bytes = serde_json::to_vec(record).map_err(|e| unavailable(&e))?;
        crate::fs_util::write_atomically(&path, &bytes).map_err(|e| unavailable(&e))
    }

    fn records(&self) -> Result<Vec<CloneRecord>, VoiceError> {
        let mut out: Vec<CloneRecord> =
            crate::fs_util::read_json_files(&self.dir, |name| name.starts_with(CLONE_PREFIX))
                .map_err(|e| unavailable(&e))?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

fn unavailable(e: &dyn std::fmt::Display) -> VoiceError {
    VoiceError::Unavailable(format!("sandbox voices: {e}"))
}

fn stock_refused() -> VoiceError {
    VoiceError::Rejected("stock voices cannot be changed or deleted".into())
}

#[async_trait]
impl VoiceProvider for SandboxVoices {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn verify(&self) -> Result<AccountInfo, VoiceError> {
        Ok(AccountInfo { account_ref: "sandbox".into(), label: "Sandbox".into() })
    }

    async fn library(&self) -> Result<Vec<LibraryVoice>, VoiceError> {
        Ok(VOICES.iter().map(StockVoice::to_library).collect())
    }

    async fn preview(&self, voice_id: &str) -> Result<Audio, VoiceError> {
        if let Some(clip) = stock_preview(voice_id) {
            return Ok(Audio { content_type: PREVIEW_CONTENT_TYPE.into(), bytes: clip.to_vec() });
        }
        let record = self.record(voice_id)?.ok_or(VoiceError::NotFound)?;
        let path = self.path_of(&record.id, "sample").ok_or(VoiceError::NotFound)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Audio { content_type: record.sample_content_type, bytes }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(VoiceError::NotFound),
            Err(e) => Err(unavailable(&e)),
        }
    }

    async fn clone_voice(&self, request: &CloneRequest<'_>) -> Result<String, VoiceError> {
        let Some(first) = request.samples.first() else {
            return Err(VoiceError::Rejected("a clone needs at least one sample".into()));
        };
        if request.name.trim().is_empty() {
            return Err(VoiceError::Rejected("a clone needs a name".into()));
        }
        let id = format!("{CLONE_PREFIX}{}", ulid::Ulid::new());
        let sample = self.path_of(&id, "sample").ok_or_else(|| unavailable(&"malformed clone ID"))?;
        // The sample first: the record's existence is what makes the clone exist.
        crate::fs_util::write_atomically(&sample, first.bytes).map_err(|e| unavailable(&e))?;
        let content_type = match first.content_type.trim() {
            "" => "application/octet-stream",
            given => given,
        };
        self.write(&CloneRecord {
            id: id.clone(),
            name: request.name.to_string(),
            description: request.description.to_string(),
            language: request.language.to_string(),
            gender: request.gender.as_str().to_string(),
            reference: request.reference.to_string(),
            sample_content_type: content_type.to_string(),
        })?;
        Ok(id)
    }

    async fn find_clone(&self, reference: &str) -> Result<Option<String>, VoiceError> {
        Ok(self.records()?.into_iter().find(|r| r.reference == reference).map(|r| r.id))
    }

    async fn edit_voice(&self, voice_id: &str, name: &str, description: &str) -> Result<(), VoiceError> {
        if super::find(voice_id).is_some() {
            return Err(stock_refused());
        }
        if name.trim().is_empty() {
            return Err(VoiceError::Rejected("a voice needs a name".into()));
        }
        let mut record = self.record(voice_id)?.ok_or(VoiceError::NotFound)?;
        record.name = name.to_string();
        record.description = description.to_string();
        self.write(&record)
    }

    async fn delete_voice(&self, voice_id: &str) -> Result<(), VoiceError> {
        if super::find(voice_id).is_some() {
            return Err(stock_refused());
        }
        // The record first: once it is gone the clone is gone, and a crash
        // before the sample goes leaves only an unreferenced file.
        for extension in ["json", "sample"] {
            let Some(path) = self.path_of(voice_id, extension) else { return Ok(()) };
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(unavailable(&e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
