//! The platform provider's library of stock voices, filtered by language
//! and gender for the pages and the API. The list comes from
//! `AppState::voices` (the providers crate's `CachedLibrary`:
//! stale-while-revalidate, per process — every process fetches its own
//! copy of the same list).
use switchboard_providers::voices::{Gender, LibraryVoice};

use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A library filter as typed (query parameters or a GET form).
#[derive(Debug, Clone, Default)]
pub struct LibraryFilter<'a> {
    /// A language code (`en`, `en-GB`); empty: every language.
    pub language: &'a str,
    /// `MALE`, `FEMALE`, `NOT_SPECIFIED`; empty: every gender.
    pub gender: &'a str,
}

/// Whether a voice speaking `voice_language` matches the asked `language`:
/// `en` matches `en-US` and `en-GB`; `en-GB` only `en-GB` (and a bare `en`).
fn language_matches(voice_language: &str, language: &str) -> bool {
    let (v, l) =
        (voice_language.to_ascii_lowercase().replace('_', "-"), language.to_ascii_lowercase().replace('_', "-"));
    if l.contains('-') {
        v == l || !v.contains('-') && l.split('-').next() == Some(v.as_str())
    } else {
        v.split('-').next() == Some(l.as_str())
    }
}

/// The library's voices matching `filter`, in the provider's order (every role).
pub async fn list(state: &AppState, ctx: &WorkspaceCtx, filter: &LibraryFilter<'_>) -> AppResult<Vec<LibraryVoice>> {
    ctx.require(Permission::ViewWorkspace)?;
    let language = filter.language.trim();
    let mut errors = Vec::new();
    if language.len() > 35 || !language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        errors.push(crate::error::FieldError::new("language", "Use a language code like en or en-GB."));
    }
    let gender = match filter.gender.trim() {
        "" => None,
        raw => {
            let parsed = Gender::parse(raw);
            if parsed.is_none() {
                errors.push(crate::error::FieldError::new("gender", "Use MALE, FEMALE or NOT_SPECIFIED."));
            }
            parsed
        }
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let all = state.voices.voices().await.map_err(super::provider::provider_error)?;
    Ok(all
        .iter()
        .filter(|v| language.is_empty() || language_matches(&v.language, language))
        .filter(|v| gender.is_none_or(|g| v.gender == g))
        .cloned()
        .collect())
}

/// The library voice `id`, if the platform's library has it.
pub async fn find(state: &AppState, id: &str) -> AppResult<Option<LibraryVoice>> {
    let all = state.voices.voices().await.map_err(super::provider::provider_error)?;
    Ok(all.iter().find(|v| v.id == id).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_language_matches_its_regions_and_a_region_only_itself() {
        assert!(language_matches("en-US", "en"));
        assert!(language_matches("en-GB", "EN"));
        assert!(language_matches("en-GB", "en-gb"));
        assert!(!language_matches("en-US", "en-GB"));
        assert!(language_matches("en", "en-GB"));
        assert!(!language_matches("es-ES", "en"));
    }
}
