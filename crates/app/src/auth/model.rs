//! Parsed account inputs: an email address, a password, a person's name.
use std::fmt;

/// An email address, trimmed; compared case-insensitively through
/// [`EmailAddress::normalized`].
///
/// [`EmailAddress::parse`] accepts what can safely be stored and mailed
/// (checked before anything is queued): the RFC 5321 `Mailbox` with a
/// dot-atom local part (no quoted strings, comments or IP literals, which no
/// person types and which hide a second address or header text) and a
/// domain name of at least two labels, within the RFC's lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// RFC 5321 §4.5.3.1: local part, domain and whole path.
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_ADDRESS: usize = 254;
const MAX_LABEL: usize = 63;

impl EmailAddress {
    /// A new address someone typed: for sign-up, invitations and anything
    /// that sends mail to it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        let invalid = || "Enter an email address like name@example.com.".to_string();
        if email.is_empty() {
            return Err("Enter your email address.".into());
        }
        if let Some(c) = email.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(if c == ' ' {
                "An email address cannot contain spaces.".into()
            } else {
                "An email address cannot contain line breaks, tabs or other control characters.".into()
            });
        }
        if switchboard_core::text::check_display_text(email).is_err() {
            return Err("An email address cannot contain invisible or text-direction characters.".into());
        }
        if email.len() > MAX_ADDRESS {
            return Err(format!("An email address can be at most {MAX_ADDRESS} characters."));
        }
        let (local, domain) = match email.split('@').collect::<Vec<_>>()[..] {
            [local, domain] => (local, domain),
            [_] => return Err(invalid()),
            _ => return Err("An email address has exactly one @.".into()),
        };
        if !local_part_ok(local) {
            return Err(invalid());
        }
        if !domain_ok(domain) {
            return Err(invalid());
        }
        Ok(Self(email.to_string()))
    }

    /// An address to look an existing account up by (sign-in): only trimmed
    /// and non-empty, so an account made under older, looser rules can still
    /// sign in. Never send mail to an address made this way.
    pub fn lookup(raw: &str) -> Option<Self> {
        let email = raw.trim();
        (!email.is_empty() && email.len() <= MAX_ADDRESS && email.contains('@')).then(|| Self(email.to_string()))
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

/// A dot-atom (RFC 5322 §3.2.3): atext characters in dot-separated runs.
fn local_part_ok(local: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// A host name of two or more labels (letters, digits, hyphens; no hyphen
/// at either end), or its internationalised form, which must convert to
/// one (IDNA, as browsers do); the top-level label is not all digits, so an
/// IP address is not a domain.
fn domain_ok(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > MAX_DOMAIN || domain.ends_with('.') {
        return false;
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => return false,
        }
    };
    let labels: Vec<&str> = ascii.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= MAX_LABEL
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    labels.len() >= 2
        && ascii.len() <= MAX_DOMAIN
        && labels.iter().all(label_ok)
        && labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
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
        if let Err(problem) = switchboard_core::text::check_display_text(name) {
            return Err(format!("Name {problem}; remove it."));
        }
        Ok(Self(name.to_string()))
    }

    /// A name read back from the database, valid under the rules of its
    /// day: kept as it is when another field changes.
    pub fn stored(name: &str) -> Self {
        Self(name.to_string())
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
            // Accepted before: a second address, header text, quoting.
            "ada@evil.example@example.com",
            "ada,bob@example.com",
            "ada;bob@example.com",
            "<ada@example.com>",
            "ada@example.com>",
            "\"ada\"@example.com",
            "\"ada bob\"@example.com",
            "ada(comment)@example.com",
            "ada\\@example.com",
            ".ada@example.com",
            "ada.@example.com",
            "ada..lovelace@example.com",
            "ada@[127.0.0.1]",
            "ada@127.0.0.1",
            "ada@exa_mple.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@example.com.",
            "adà@example.com",
            "ada\u{202E}@example.com",
            "ada@exa\u{200B}mple.com",
            "ada@example.com\r\nBcc: eve@example.com",
            "ada@example.com\u{0}",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("ada@{}.com", "a".repeat(64));
        let long_address = format!("ada@{}.com", vec!["a".repeat(60); 5].join("."));
        for bad in [long_local, long_label, long_address] {
            assert!(EmailAddress::parse(&bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ordinary_addresses_pass() {
        for ok in [
            "ada@example.com",
            "Ada.Lovelace@Example.COM",
            "o'brien+switchboard@mail.example.co.uk",
            "x_y-z@sub-domain.example.io",
            "ada@bücher.de",
            "ada@xn--bcher-kva.de",
            "1234@123.example",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
        assert_eq!(EmailAddress::parse("a b@example.com"), Err("An email address cannot contain spaces.".into()));
        assert_eq!(EmailAddress::parse("a@b@example.com"), Err("An email address has exactly one @.".into()));
    }

    #[test]
    fn lookups_accept_what_older_rules_stored() {
        assert_eq!(EmailAddress::lookup(" a@b@example.com ").map(|e| e.normalized()), Some("a@b@example.com".into()));
        assert_eq!(EmailAddress::lookup("  "), None);
        assert_eq!(EmailAddress::lookup("ada"), None);
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
        let err = PersonName::parse("Ada\u{202E}nimda").expect_err("bidi override");
        assert_eq!(err, "Name contains an invisible or text-direction character (U+202E); remove it.");
        assert!(PersonName::parse("Ada\u{200B}").is_err(), "zero-width space");
    }

    #[test]
    fn initials_take_first_and_last_words() {
        assert_eq!(initials("Acme Voice Labs"), "AL");
        assert_eq!(initials("acme"), "A");
        assert_eq!(initials("  "), "");
        assert_eq!(initials("Émile Zola"), "ÉZ");
    }
}
