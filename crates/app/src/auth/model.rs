//! Parsed account inputs: an email address, a password, a person's name.
use std::fmt;

/// An email address, trimmed; compared case-insensitively through
/// [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        let invalid = || "Enter an email address like name@example.com.".to_string();
        if email.is_empty() {
            return Err("Enter your email address.".into());
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form stored in the unique index: lower-case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Long enough for any passphrase, short enough that hashing cannot be
/// turned into a denial of service.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A new password that meets the rules. Its `Debug` never prints it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let count = raw.chars().count();
        if count < MIN_PASSWORD_CHARS {
            return Err(format!("Password must be at least {MIN_PASSWORD_CHARS} characters."));
        }
        if count > MAX_PASSWORD_CHARS {
            return Err(format!("Password must be at most {MAX_PASSWORD_CHARS} characters."));
        }
        if raw.trim().is_empty() {
            return Err("Password cannot be only spaces.".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A person's display name: trimmed, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter your name.".into());
        }
        if name.chars().count() > 100 {
            return Err("Name must be at most 100 characters.".into());
        }
        if name.chars().any(char::is_control) {
            return Err("Name cannot contain control characters.".into());
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Up to two initials for an avatar or logo placeholder.
pub fn initials(name: &str) -> String {
    let mut letters = name.split_whitespace().filter_map(|w| w.chars().find(|c| c.is_alphanumeric()));
    let first = letters.next();
    let last = letters.next_back();
    first.into_iter().chain(last).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_normalised_case_insensitively() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace@example.com");
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada @example.com",
            "ada@.com",
            "ada@example..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(Password::parse("123456789").is_err());
        assert!(Password::parse("1234567890").is_ok());
        assert!(Password::parse("          ").is_err());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-secret").expect("ok")), "Password(<redacted>)");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ada  ").expect("ok").as_str(), "Ada");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn initials_take_first_and_last_words() {
        assert_eq!(initials("Acme Voice Labs"), "AL");
        assert_eq!(initials("acme"), "A");
        assert_eq!(initials("  "), "");
        assert_eq!(initials("Émile Zola"), "ÉZ");
    }
}
