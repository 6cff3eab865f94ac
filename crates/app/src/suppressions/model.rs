//! A suppression entry as people and API clients send it: a phone number
//! (E.164) or an email (lower-cased), a channel (`CALLS`, `SMS` or `ALL`)
//! and a reason. Pure; unit-tested here.
use serde::{Deserialize, Serialize};

use crate::consent::model::{Channel, ConsentMode, MAX_EMAIL_CHARS, parse_email, parse_phone, parse_text};
use crate::error::{AppError, FieldError};

pub const MAX_REASON_CHARS: usize = 500;
pub const DEFAULT_COUNTRY: &str = "US";

/// What an entry blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SuppressionChannel {
    Calls,
    Sms,
    All,
}

impl SuppressionChannel {
    pub const ALL: [SuppressionChannel; 3] =
        [SuppressionChannel::All, SuppressionChannel::Calls, SuppressionChannel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionChannel::Calls => "CALLS",
            SuppressionChannel::Sms => "SMS",
            SuppressionChannel::All => "ALL",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SuppressionChannel::Calls => "Calls",
            SuppressionChannel::Sms => "SMS",
            SuppressionChannel::All => "All channels",
        }
    }

    pub fn parse(raw: &str) -> Option<SuppressionChannel> {
        let raw = raw.trim();
        SuppressionChannel::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(raw))
    }

    pub fn of(channel: Channel) -> SuppressionChannel {
        match channel {
            Channel::Calls => SuppressionChannel::Calls,
            Channel::Sms => SuppressionChannel::Sms,
        }
    }

    /// Whether an entry of this channel blocks `channel` under `mode`:
    /// in UNIVERSAL every entry blocks every channel; in GRANULAR an entry
    /// blocks its own channel, and `ALL` blocks both.
    pub fn blocks(self, channel: Channel, mode: ConsentMode) -> bool {
        mode == ConsentMode::Universal || self == SuppressionChannel::All || self == SuppressionChannel::of(channel)
    }
}

impl TryFrom<String> for SuppressionChannel {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        SuppressionChannel::parse(&raw).ok_or_else(|| format!("unknown suppression channel {raw:?}"))
    }
}

/// Who an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// E.164.
    Phone(String),
    /// Lower-cased.
    Email(String),
}

impl Subject {
    pub fn phone(&self) -> Option<&str> {
        match self {
            Subject::Phone(p) => Some(p),
            Subject::Email(_) => None,
        }
    }

    pub fn email(&self) -> Option<&str> {
        match self {
            Subject::Email(e) => Some(e),
            Subject::Phone(_) => None,
        }
    }

    /// As shown and audited.
    pub fn label(&self) -> String {
        match self {
            Subject::Phone(p) => crate::phone_numbers::model::display(p),
            Subject::Email(e) => e.clone(),
        }
    }

    /// Exactly one of a phone (with its default country) or an email;
    /// the problem by its field (`phone`, `email`).
    pub fn parse(phone: Option<&str>, email: Option<&str>, default_country: &str) -> Result<Subject, FieldError> {
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        match (phone, email) {
            (Some(_), Some(_)) => Err(FieldError::new("email", "Give a phone number or an email address, not both.")),
            (None, None) => Err(FieldError::new("phone", "Give a phone number or an email address.")),
            (Some(p), None) => {
                parse_phone(p, default_country).map(Subject::Phone).map_err(|m| FieldError::new("phone", m))
            }
            (None, Some(e)) => parse_email(e).map(Subject::Email).map_err(|m| FieldError::new("email", m)),
        }
    }
}

/// A valid entry to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub subject: Subject,
    pub channel: SuppressionChannel,
    pub reason: String,
}

/// Raw input of a form or a JSON body.
#[derive(Debug, Clone, Default)]
pub struct RawEntry<'a> {
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub default_country: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl NewEntry {
    /// Every field's problem at once (`phone`/`email`, `channel`, `reason`).
    pub fn parse(raw: RawEntry<'_>) -> Result<NewEntry, AppError> {
        NewEntry::check(raw).map_err(AppError::validation)
    }

    /// [`parse`](Self::parse) with the problems as field errors (an
    /// imported row's).
    pub fn check(raw: RawEntry<'_>) -> Result<NewEntry, Vec<FieldError>> {
        let mut errors = Vec::new();
        let country = raw.default_country.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(DEFAULT_COUNTRY);
        let subject = Subject::parse(raw.phone, raw.email, country).map_err(|e| errors.push(e)).ok();
        let channel = match raw.channel.map(str::trim).filter(|c| !c.is_empty()) {
            None => Some(SuppressionChannel::All),
            Some(c) => SuppressionChannel::parse(c).or_else(|| {
                errors.push(FieldError::new("channel", "Choose CALLS, SMS or ALL."));
                None
            }),
        };
        let reason = parse_text(raw.reason.unwrap_or(""), MAX_REASON_CHARS, "reason")
            .map_err(|m| errors.push(FieldError::new("reason", m)))
            .ok();
        match (subject, channel, reason) {
            (Some(subject), Some(channel), Some(reason)) if errors.is_empty() => {
                Ok(NewEntry { subject, channel, reason })
            }
            _ => Err(errors),
        }
    }
}

/// The lower-cased text the list's search looks in.
pub fn search_text(subject: &Subject, reason: &str) -> String {
    match subject {
        Subject::Phone(p) => format!("{p} {}", reason.to_lowercase()),
        Subject::Email(e) => format!("{e} {}", reason.to_lowercase()),
    }
}

/// A search term as the list matches it: lower-cased; a term that looks
/// like a phone number loses its spaces and punctuation so `+1 415 555`
/// finds `+1415555…`.
pub fn search_term(raw: &str) -> String {
    let raw = raw.trim();
    let phone_like =
        raw.chars().any(|c| c.is_ascii_digit()) && raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like {
        raw.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
    } else {
        raw.chars().take(MAX_EMAIL_CHARS).collect::<String>().to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_needs_one_phone_or_email() {
        let e =
            NewEntry::parse(RawEntry { phone: Some("(415) 555-0100"), reason: Some(" asked "), ..Default::default() })
                .expect("ok");
        assert_eq!(e.subject, Subject::Phone("+14155550100".into()));
        assert_eq!((e.channel, e.reason.as_str()), (SuppressionChannel::All, "asked"));
        let e = NewEntry::parse(RawEntry { email: Some("A@B.co"), channel: Some("sms"), ..Default::default() })
            .expect("ok");
        assert_eq!((e.subject, e.channel), (Subject::Email("a@b.co".into()), SuppressionChannel::Sms));
        for raw in [
            RawEntry::default(),
            RawEntry { phone: Some("12"), ..Default::default() },
            RawEntry { phone: Some("+14155550100"), email: Some("a@b.co"), ..Default::default() },
            RawEntry { phone: Some("+14155550100"), channel: Some("FAX"), ..Default::default() },
        ] {
            assert!(NewEntry::parse(raw).is_err());
        }
    }

    #[test]
    fn the_mode_decides_what_blocks() {
        use ConsentMode::*;
        use SuppressionChannel as S;
        assert!(S::Sms.blocks(Channel::Calls, Universal));
        assert!(!S::Sms.blocks(Channel::Calls, Granular));
        assert!(S::Sms.blocks(Channel::Sms, Granular));
        assert!(S::All.blocks(Channel::Calls, Granular));
    }

    #[test]
    fn search_terms_are_normalised() {
        assert_eq!(search_term(" +1 (415) 555 "), "+1415555");
        assert_eq!(search_term("Asked Twice"), "asked twice");
    }
}
