//! Consent as values: the workspace's mode, channels, statuses, sources,
//! the keyword lists and the rule an inbound SMS is matched by, and the
//! phone and email parsing the consent and suppression APIs share. Pure;
//! unit-tested here.
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};

/// How opt-outs apply across channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConsentMode {
    /// An opt-out on one channel blocks every channel (the default).
    #[default]
    Universal,
    /// Each channel (calls, SMS) has its own consent.
    Granular,
}

impl ConsentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMode::Universal => "UNIVERSAL",
            ConsentMode::Granular => "GRANULAR",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsentMode::Universal => "Universal",
            ConsentMode::Granular => "Granular",
        }
    }

    pub fn parse(raw: &str) -> Option<ConsentMode> {
        let raw = raw.trim();
        [ConsentMode::Universal, ConsentMode::Granular].into_iter().find(|m| m.as_str().eq_ignore_ascii_case(raw))
    }
}

impl TryFrom<String> for ConsentMode {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        ConsentMode::parse(&raw).ok_or_else(|| format!("unknown consent mode {raw:?}"))
    }
}

/// A channel consent is given or refused for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Channel {
    Calls,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Calls, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Calls => "CALLS",
            Channel::Sms => "SMS",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Calls => "Calls",
            Channel::Sms => "SMS",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        let raw = raw.trim();
        Channel::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(raw))
    }

    /// The other channel.
    pub fn other(self) -> Channel {
        match self {
            Channel::Calls => Channel::Sms,
            Channel::Sms => Channel::Calls,
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Channel::parse(&raw).ok_or_else(|| format!("unknown channel {raw:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentStatus {
    OptedIn,
    OptedOut,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::OptedIn => "OPTED_IN",
            ConsentStatus::OptedOut => "OPTED_OUT",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsentStatus::OptedIn => "Opted in",
            ConsentStatus::OptedOut => "Opted out",
        }
    }

    pub fn parse(raw: &str) -> Option<ConsentStatus> {
        let raw = raw.trim();
        [ConsentStatus::OptedIn, ConsentStatus::OptedOut].into_iter().find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }
}

impl TryFrom<String> for ConsentStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        ConsentStatus::parse(&raw).ok_or_else(|| format!("unknown consent status {raw:?}"))
    }
}

/// Where a consent record or a suppression entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Source {
    /// A CSV import.
    Import,
    /// The API (a service reporting it).
    Api,
    /// An inbound SMS matching one of the workspace's keywords.
    Keyword,
    /// A person on the Settings pages.
    Manual,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Import, Source::Api, Source::Keyword, Source::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Import => "IMPORT",
            Source::Api => "API",
            Source::Keyword => "KEYWORD",
            Source::Manual => "MANUAL",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Import => "Import",
            Source::Api => "API",
            Source::Keyword => "Keyword",
            Source::Manual => "Manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Source> {
        let raw = raw.trim();
        Source::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }
}

impl TryFrom<String> for Source {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Source::parse(&raw).ok_or_else(|| format!("unknown source {raw:?}"))
    }
}

pub const DEFAULT_OPT_OUT: [&str; 5] = ["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
pub const DEFAULT_OPT_IN: [&str; 1] = ["START"];
pub const MAX_KEYWORD_CHARS: usize = 20;
pub const MAX_KEYWORDS: usize = 20;

/// The workspace's keyword lists: upper-case words of letters and digits,
/// no word in both lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keywords {
    pub opt_out: Vec<String>,
    pub opt_in: Vec<String>,
}

impl Default for Keywords {
    fn default() -> Self {
        Keywords {
            opt_out: DEFAULT_OPT_OUT.iter().map(|s| s.to_string()).collect(),
            opt_in: DEFAULT_OPT_IN.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What a keyword match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordMatch {
    OptOut,
    OptIn,
}

impl Keywords {
    /// Checks both lists (words as typed, in any case); every problem by
    /// its field (`opt_out_keywords`, `opt_in_keywords`). The opt-out list
    /// may not be empty: an SMS sender must always have a way out.
    pub fn parse(opt_out: &[String], opt_in: &[String]) -> Result<Keywords, AppError> {
        let mut errors = Vec::new();
        let out = parse_list("opt_out_keywords", opt_out, &mut errors);
        let inn = parse_list("opt_in_keywords", opt_in, &mut errors);
        if out.is_empty() && !errors.iter().any(|e: &FieldError| e.field == "opt_out_keywords") {
            errors.push(FieldError::new("opt_out_keywords", "Keep at least one opt-out keyword, e.g. STOP."));
        }
        if let Some(both) = out.iter().find(|w| inn.contains(w)) {
            errors.push(FieldError::new(
                "opt_in_keywords",
                format!("{both} is also an opt-out keyword; a word can only be one of the two."),
            ));
        }
        if errors.is_empty() { Ok(Keywords { opt_out: out, opt_in: inn }) } else { Err(AppError::validation(errors)) }
    }

    /// Words typed in one box, separated by commas, spaces or new lines.
    pub fn split(raw: &str) -> Vec<String> {
        raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_string).collect()
    }

    /// Whether a whole inbound message is one of the keywords. The rule
    /// (the carriers' convention): surrounding white space and punctuation
    /// are ignored and case does not matter, but the message must be the
    /// keyword alone — `stop`, ` STOP `, `Stop.` and `"Stop!"` match;
    /// `please stop calling` and `STOP STOP` do not.
    pub fn match_message(&self, body: &str) -> Option<KeywordMatch> {
        let word = normalise_message(body)?;
        if self.opt_out.contains(&word) {
            Some(KeywordMatch::OptOut)
        } else if self.opt_in.contains(&word) {
            Some(KeywordMatch::OptIn)
        } else {
            None
        }
    }
}

/// The message as one upper-case word, or `None` when it is not one word
/// (or too long to be a keyword).
fn normalise_message(body: &str) -> Option<String> {
    let trimmed = body
        .trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || c == '\u{201C}' || c == '\u{201D}');
    if trimmed.is_empty() || trimmed.chars().count() > MAX_KEYWORD_CHARS || !trimmed.chars().all(char::is_alphanumeric)
    {
        return None;
    }
    Some(trimmed.to_uppercase())
}

fn parse_list(field: &str, words: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in words {
        let word = raw.trim();
        if word.is_empty() {
            errors.push(FieldError::new(field, "Remove the empty keyword."));
            return out;
        }
        if word.chars().count() > MAX_KEYWORD_CHARS {
            errors
                .push(FieldError::new(field, format!("Keep each keyword to at most {MAX_KEYWORD_CHARS} characters.")));
            return out;
        }
        if !word.chars().all(char::is_alphanumeric) {
            errors.push(FieldError::new(
                field,
                format!(
                    "Use one word of letters and digits per keyword (“{}” is not one).",
                    word.chars().take(30).collect::<String>()
                ),
            ));
            return out;
        }
        let word = word.to_uppercase();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    if out.len() > MAX_KEYWORDS {
        errors.push(FieldError::new(field, format!("Use at most {MAX_KEYWORDS} keywords.")));
    }
    out
}

pub const MAX_PROOF_CHARS: usize = 2_000;
pub const MAX_EMAIL_CHARS: usize = 254;

/// A phone number typed in any common way, as E.164, with `default_country`
/// (ISO 3166 alpha-2) for numbers written without a country code.
///
/// A number already in strict E.164 (`+` and 8–15 digits) is taken as it
/// is, without libphonenumber — the hot path of the suppression check and
/// the form the carriers send; fictional ranges count, as for inbound SMS.
/// Other international forms (`+1 (415) 555-0100`, `0044…`) are reduced to
/// their digits; national forms are parsed with libphonenumber for the
/// default country and must be valid numbers there.
pub fn parse_phone(raw: &str, default_country: &str) -> Result<String, String> {
    let raw = raw.trim();
    let bytes = raw.as_bytes();
    if bytes.first() == Some(&b'+') && (9..=16).contains(&bytes.len()) && bytes[1..].iter().all(u8::is_ascii_digit) {
        return Ok(raw.to_string());
    }
    let help = "Enter a phone number, e.g. +1 415 555 0100 (a national number needs the right default country).";
    if raw.is_empty() || raw.len() > 40 {
        return Err(help.into());
    }
    if raw.starts_with('+') || raw.starts_with("00") {
        return crate::phone_numbers::model::parse_e164(raw).ok_or_else(|| help.to_string());
    }
    if !raw.chars().all(|c| c.is_ascii_digit() || " -().".contains(c)) {
        return Err(help.into());
    }
    let country: phonenumber::country::Id = default_country
        .trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| "Use a two-letter country code, e.g. US.".to_string())?;
    let number = phonenumber::parse(Some(country), raw).map_err(|_| help.to_string())?;
    if !phonenumber::is_valid(&number) {
        return Err(format!(
            "That is not a valid phone number in {}. Check the digits or the country.",
            country.as_ref()
        ));
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// An email address, lower-cased; only its shape is checked.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok { Ok(email) } else { Err("Enter an email address like name@example.com.".into()) }
}

/// Free text (a reason, a proof): trimmed, at most `max` characters, no
/// control characters other than line breaks.
pub fn parse_text(raw: &str, max: usize, what: &str) -> Result<String, String> {
    let text = raw.trim().replace("\r\n", "\n");
    if text.chars().count() > max {
        return Err(format!("Keep the {what} to at most {max} characters."));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("The {what} contains a control character; remove it."));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whole_messages_match_and_sentences_do_not() {
        let k = Keywords::default();
        for body in ["stop", " STOP ", "Stop.", "\"Stop!\"", "unsubscribe\n", "Quit"] {
            assert_eq!(k.match_message(body), Some(KeywordMatch::OptOut), "{body:?}");
        }
        assert_eq!(k.match_message(" start "), Some(KeywordMatch::OptIn));
        for body in ["please stop calling", "STOP STOP", "stopp", "", "...", "HELP", "st op"] {
            assert_eq!(k.match_message(body), None, "{body:?}");
        }
    }

    #[test]
    fn keyword_lists_are_checked() {
        let ok = Keywords::parse(&words(&["stop", "Arrêt", "STOP"]), &words(&["start", "yes"])).expect("ok");
        assert_eq!(ok.opt_out, ["STOP", "ARRÊT"]);
        assert_eq!(ok.opt_in, ["START", "YES"]);
        assert_eq!(ok.match_message("arrêt"), Some(KeywordMatch::OptOut));
        for (out, inn) in [
            (words(&[]), words(&["START"])),
            (words(&["stop now"]), words(&[])),
            (words(&["STOP", ""]), words(&[])),
            (words(&["x".repeat(21).as_str()]), words(&[])),
            (words(&["STOP"]), words(&["stop"])),
        ] {
            assert!(Keywords::parse(&out, &inn).is_err(), "{out:?} {inn:?}");
        }
        assert_eq!(Keywords::split("stop, end\nquit  "), ["stop", "end", "quit"]);
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(parse_phone("+14155550100", "US").as_deref(), Ok("+14155550100"));
        assert_eq!(parse_phone("+1 (415) 555-0100", "US").as_deref(), Ok("+14155550100"));
        assert_eq!(parse_phone("(415) 555-0100", "US").as_deref(), Ok("+14155550100"));
        assert_eq!(parse_phone("020 7946 0958", "gb").as_deref(), Ok("+442079460958"));
        for bad in ["", "12", "abc", "+1 415", "(415) 555-0100 x", "+1 415 555 0100 ext 2"] {
            assert!(parse_phone(bad, "US").is_err(), "{bad:?}");
        }
        assert!(parse_phone("555 0100", "US").is_err());
        assert!(parse_phone("(415) 555-0100", "XX").is_err());
    }

    #[test]
    fn emails_are_lower_cased() {
        assert_eq!(parse_email(" Ada@Example.COM ").as_deref(), Ok("ada@example.com"));
        for bad in ["ada", "ada@", "@example.com", "ada@example", "a b@example.com"] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        assert_eq!(ConsentMode::parse("granular"), Some(ConsentMode::Granular));
        assert_eq!(Channel::parse("sms"), Some(Channel::Sms));
        assert_eq!(ConsentStatus::parse("opted_out"), Some(ConsentStatus::OptedOut));
    }
}
