//! The kinds of usage and what their quantities count.
use serde::{Deserialize, Serialize};

/// What a usage event measures. The quantity is in [`UsageType::unit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = UsageType)]
pub enum UsageType {
    CallMinutes,
    Sms,
    TtsCharacters,
    PhoneNumberRental,
    VoiceClone,
    Training,
}

impl UsageType {
    /// Every type, in the order of the chart's stack and its legend.
    pub const ALL: [UsageType; 6] = [
        UsageType::CallMinutes,
        UsageType::Sms,
        UsageType::TtsCharacters,
        UsageType::PhoneNumberRental,
        UsageType::VoiceClone,
        UsageType::Training,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageType::CallMinutes => "call_minutes",
            UsageType::Sms => "sms",
            UsageType::TtsCharacters => "tts_characters",
            UsageType::PhoneNumberRental => "phone_number_rental",
            UsageType::VoiceClone => "voice_clone",
            UsageType::Training => "training",
        }
    }

    /// The name people read (legends, tables, CSV headers stay `as_str`).
    pub fn label(self) -> &'static str {
        match self {
            UsageType::CallMinutes => "Calls",
            UsageType::Sms => "SMS",
            UsageType::TtsCharacters => "Text to speech",
            UsageType::PhoneNumberRental => "Number rental",
            UsageType::VoiceClone => "Voice cloning",
            UsageType::Training => "Training",
        }
    }

    /// What one unit of `quantity` is.
    pub fn unit(self) -> &'static str {
        match self {
            UsageType::CallMinutes => "seconds",
            UsageType::Sms => "segments",
            UsageType::TtsCharacters => "characters",
            UsageType::PhoneNumberRental => "number-days",
            UsageType::VoiceClone => "clones",
            UsageType::Training => "seconds",
        }
    }

    /// The chart colour: the Okabe–Ito palette, which stays distinct for
    /// colour-blind readers.
    pub fn colour(self) -> &'static str {
        match self {
            UsageType::CallMinutes => "#0072B2",
            UsageType::Sms => "#E69F00",
            UsageType::TtsCharacters => "#009E73",
            UsageType::PhoneNumberRental => "#CC79A7",
            UsageType::VoiceClone => "#D55E00",
            UsageType::Training => "#56B4E9",
        }
    }

    pub fn parse(s: &str) -> Option<UsageType> {
        UsageType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl TryFrom<String> for UsageType {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        UsageType::parse(&s).ok_or_else(|| format!("unknown usage type {s:?}"))
    }
}

impl std::fmt::Display for UsageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for t in UsageType::ALL {
            assert_eq!(UsageType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).ok(), Some(serde_json::Value::String(t.as_str().to_string())));
        }
        assert_eq!(UsageType::parse("calls"), None);
    }
}
