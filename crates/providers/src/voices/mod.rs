//! Voices an agent can speak with. Until the voice library exists (issue
//! 16, ElevenLabs and cloned voices), the catalogue is the sandbox's small
//! set of stock voices; the library replaces [`catalogue`] and [`find`]
//! with its own lookups, and callers keep asking by voice ID.
pub mod sandbox;

/// A ready-made voice anyone can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StockVoice {
    /// Stable ID stored on agents (`sbv_…` for the sandbox's voices).
    pub id: &'static str,
    pub name: &'static str,
    /// BCP 47 language tag, e.g. `en-US`.
    pub language: &'static str,
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
}
