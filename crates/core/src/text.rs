//! The one rule for text shown to other people as a name or label (person
//! and workspace names, token names, webhook descriptions): no control
//! characters and no invisible or text-direction characters. A right-to-left
//! override (U+202E) or a zero-width space in a name makes it read as
//! something else (`Acme<U+202E>nimdA` is displayed as "AcmeAdmin" in the
//! Members table or an audit entry; two workspace names look identical), so
//! such text is refused where it is typed, with a message naming the
//! character.
use std::fmt;

/// Why a text cannot be a display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// A C0/C1 control character: line breaks, tabs, NUL, escape…
    Control(char),
    /// A character that is invisible or changes the direction of the text
    /// around it: bidi embeddings, overrides and isolates, zero-width
    /// characters, the byte order mark, other format characters.
    Invisible(char),
}

impl TextProblem {
    pub fn character(self) -> char {
        match self {
            TextProblem::Control(c) | TextProblem::Invisible(c) => c,
        }
    }
}

/// Reads as the end of a sentence: "The name {problem}; remove it."
impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Control(c) => {
                write!(f, "contains a line break, tab or other control character (U+{:04X})", u32::from(*c))
            }
            TextProblem::Invisible(c) => {
                write!(f, "contains an invisible or text-direction character (U+{:04X})", u32::from(*c))
            }
        }
    }
}

/// The first character that makes `text` unfit to be shown as a name.
pub fn check_display_text(text: &str) -> Result<(), TextProblem> {
    for c in text.chars() {
        if c.is_control() {
            return Err(TextProblem::Control(c));
        }
        if is_invisible(c) {
            return Err(TextProblem::Invisible(c));
        }
    }
    Ok(())
}

/// Unicode's format characters (general category Cf, as of Unicode 16),
/// the line and paragraph separators, and the few letters and marks that
/// render as nothing at all (Hangul fillers, the combining grapheme joiner).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                       // soft hyphen
        | '\u{034F}'                     // combining grapheme joiner
        | '\u{0600}'..='\u{0605}'        // Arabic number signs
        | '\u{061C}'                     // Arabic letter mark (bidi)
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{115F}'..='\u{1160}'        // Hangul choseong/jungseong fillers
        | '\u{180E}'                     // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'        // zero-width space, (non-)joiner, LRM, RLM
        | '\u{2028}'..='\u{2029}'        // line and paragraph separators
        | '\u{202A}'..='\u{202E}'        // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'        // word joiner, invisible operators
        | '\u{2066}'..='\u{206F}'        // bidi isolates, deprecated format characters
        | '\u{3164}'                     // Hangul filler
        | '\u{FEFF}'                     // zero-width no-break space (BOM)
        | '\u{FFA0}'                     // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'        // interlinear annotation
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'      // Egyptian hieroglyph format controls
        | '\u{1BCA0}'..='\u{1BCA3}'      // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'      // musical symbol format controls
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}'      // tag characters
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_in_any_script_pass() {
        for ok in ["Ada Lovelace", "Acme Voice", "日本語チーム", "Émile Zola", "O'Brien & Co.", "مرحبا", "🎧 Support"]
        {
            assert_eq!(check_display_text(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn bidi_and_zero_width_characters_are_refused() {
        let listed = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200B}\u{200C}\u{200D}\
                      \u{200E}\u{200F}\u{2060}\u{FEFF}\u{061C}\u{00AD}\u{2028}\u{3164}\u{E0041}";
        for c in listed.chars() {
            let text = format!("Acme{c}Admin");
            assert_eq!(check_display_text(&text), Err(TextProblem::Invisible(c)), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn control_characters_are_refused_and_named() {
        for c in ['\0', '\n', '\r', '\t', '\u{1B}', '\u{7F}', '\u{85}'] {
            assert_eq!(check_display_text(&format!("a{c}b")), Err(TextProblem::Control(c)));
        }
        let message = check_display_text("Acme\u{202E}nimdA").expect_err("refused").to_string();
        assert_eq!(message, "contains an invisible or text-direction character (U+202E)");
    }
}
