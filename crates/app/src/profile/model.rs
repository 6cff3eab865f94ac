//! A phone number, validated with libphonenumber's metadata and kept in
//! E.164 form.
use phonenumber::Mode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// `Ok(None)` for an empty input: the field is optional. Numbers must be
    /// international (start with `+` and the country code), since a profile
    /// has no country to assume.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let input = raw.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let help =
            "Enter the number in international format, starting with + and the country code, e.g. +44 20 7946 0958.";
        if !input.starts_with('+') && !input.starts_with("00") {
            return Err(help.to_string());
        }
        if input.len() > 40 || !input.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
            return Err(help.to_string());
        }
        let normalized = match input.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => input.to_string(),
        };
        let number = phonenumber::parse(None, &normalized).map_err(|_| help.to_string())?;
        if !phonenumber::is_valid(&number) {
            return Err("That is not a valid phone number. Check the country code and the number of digits.".into());
        }
        Ok(Some(Self(number.format().mode(Mode::E164).to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> Option<String> {
        PhoneNumber::parse(raw).expect("valid").map(|p| p.as_str().to_string())
    }

    #[test]
    fn numbers_are_stored_as_e164() {
        assert_eq!(e164("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(e164("+1 (415) 555-2671").as_deref(), Some("+14155552671"));
        assert_eq!(e164("0033 1 42 68 53 00").as_deref(), Some("+33142685300"));
        assert_eq!(e164("  ").as_deref(), None);
    }

    #[test]
    fn invalid_numbers_get_a_clear_error() {
        for bad in ["12345", "+1 555", "+999 123456", "+44 20 7946 0958 ext", "phone", "+1 415 555 26711111111"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
