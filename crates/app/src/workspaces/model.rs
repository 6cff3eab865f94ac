//! Workspace fields as SPEC §3 defines them, parsed into types that can
//! only hold valid values.
use std::fmt;

use chrono_tz::Tz;

pub const MIN_NAME_CHARS: usize = 3;
pub const MAX_NAME_CHARS: usize = 64;

/// Trimmed, 3–64 characters, no control, invisible or text-direction
/// characters (`switchboard_core::text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 {
            return Err("Enter a workspace name.".into());
        }
        if count < MIN_NAME_CHARS {
            return Err(format!("Workspace name must be at least {MIN_NAME_CHARS} characters."));
        }
        if count > MAX_NAME_CHARS {
            return Err(format!("Workspace name must be at most {MAX_NAME_CHARS} characters."));
        }
        if let Err(problem) = switchboard_core::text::check_display_text(name) {
            return Err(format!("Workspace name {problem}; remove it."));
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

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An http(s) URL with a host. `example.com` becomes `https://example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyWebsite(String);

impl CompanyWebsite {
    /// `Ok(None)` for an empty input: the field is optional.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let input = raw.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let invalid = || "Enter a website address like example.com or https://example.com.".to_string();
        if input.len() > 2048 || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let has_scheme = input.contains("://");
        let candidate = if has_scheme { input.to_string() } else { format!("https://{input}") };
        let url = url::Url::parse(&candidate).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("The website must start with http:// or https://.".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("The website address cannot contain a user name or password.".into());
        }
        let host = url.host_str().ok_or_else(invalid)?;
        let is_ip = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
        let labels_ok = host.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !is_ip && (!host.contains('.') || !labels_ok) {
            return Err(invalid());
        }
        let mut text = url.to_string();
        // `Url` always renders an empty path as "/"; people write the bare origin.
        if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
            text.pop();
        }
        Ok(Some(Self(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name known to the tz database, e.g. `Europe/Paris`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(Tz);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Choose a timezone.".into());
        }
        Tz::from_str_insensitive(name).map(Self).map_err(|_| {
            format!("“{}” is not a timezone we know. Choose one from the list, e.g. Europe/Paris.", truncate(name, 60))
        })
    }

    pub fn utc() -> Self {
        Self(Tz::UTC)
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every IANA name, sorted, for the searchable list.
    pub fn all_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        names.sort_unstable();
        names
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_must_be_3_to_64_characters() {
        assert_eq!(WorkspaceName::parse("  Acme Voice  ").expect("ok").as_str(), "Acme Voice");
        assert_eq!(WorkspaceName::parse("ab"), Err("Workspace name must be at least 3 characters.".into()));
        assert_eq!(WorkspaceName::parse("   "), Err("Enter a workspace name.".into()));
        assert_eq!(WorkspaceName::parse("  ab  "), Err("Workspace name must be at least 3 characters.".into()));
        assert!(WorkspaceName::parse(&"a".repeat(64)).is_ok());
        assert_eq!(WorkspaceName::parse(&"a".repeat(65)), Err("Workspace name must be at most 64 characters.".into()));
        assert!(WorkspaceName::parse("abc\ndef").is_err());
    }

    #[test]
    fn name_length_counts_characters_not_bytes() {
        assert!(WorkspaceName::parse("日本語").is_ok());
        assert!(WorkspaceName::parse(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn websites_are_normalised_to_https_urls() {
        let parse = |s: &str| CompanyWebsite::parse(s).expect("valid").map(|w| w.as_str().to_string());
        assert_eq!(parse("example.com").as_deref(), Some("https://example.com"));
        assert_eq!(parse("  Example.COM ").as_deref(), Some("https://example.com"));
        assert_eq!(parse("http://example.com/").as_deref(), Some("http://example.com"));
        assert_eq!(parse("https://example.com/about?x=1").as_deref(), Some("https://example.com/about?x=1"));
        assert_eq!(parse("").as_deref(), None);
        assert_eq!(parse("   ").as_deref(), None);
    }

    #[test]
    fn bad_websites_are_refused() {
        for bad in [
            "not a url",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://",
            "localhost",
            "https://exa mple.com",
            "https://user:pw@example.com",
            "https://-bad-.com",
            "example",
        ] {
            assert!(CompanyWebsite::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn timezones_are_iana_names() {
        assert_eq!(Timezone::parse("Europe/Paris").expect("ok").name(), "Europe/Paris");
        assert_eq!(Timezone::parse("europe/paris").expect("ok").name(), "Europe/Paris");
        assert!(Timezone::parse("Mars/Olympus_Mons").is_err());
        assert!(Timezone::parse("").is_err());
        assert!(Timezone::all_names().len() > 400);
        assert!(Timezone::all_names().contains(&"America/New_York"));
    }
}
