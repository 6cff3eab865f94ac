//! What people send to create or change an endpoint, and its checks.
use serde::Deserialize;
use utoipa::ToSchema;

use super::ssrf;
use crate::error::AppError;
use crate::events;

const MAX_URL: usize = 2_000;
const MAX_DESCRIPTION: usize = 500;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where to POST events: `https://…` (or `http://…`).
    #[schema(example = "https://hooks.example.com/switchboard")]
    pub url: String,
    #[serde(default)]
    #[schema(example = "Sync members to our CRM")]
    pub description: String,
    /// Event types to receive; empty or left out: every type.
    #[serde(default)]
    #[schema(example = json!(["member.joined", "member.removed"]))]
    pub event_types: Vec<String>,
    /// Defaults to true.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Sync members to our CRM", "event_types": [], "enabled": true}))]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl NewEndpoint {
    pub fn validated(self, allow_private: bool) -> Result<NewEndpoint, AppError> {
        Ok(NewEndpoint {
            url: check_url(&self.url, allow_private)?,
            description: check_description(&self.description)?,
            event_types: check_event_types(self.event_types)?,
            enabled: self.enabled,
        })
    }
}

impl EndpointChange {
    pub fn validated(self, allow_private: bool) -> Result<EndpointChange, AppError> {
        Ok(EndpointChange {
            url: self.url.map(|u| check_url(&u, allow_private)).transpose()?,
            description: self.description.map(|d| check_description(&d)).transpose()?,
            event_types: self.event_types.map(check_event_types).transpose()?,
            enabled: self.enabled,
        })
    }
}

/// An absolute http(s) URL without credentials; unless private targets are
/// allowed, not an internal IP address (names are checked again, resolved,
/// at every delivery).
pub fn check_url(raw: &str, allow_private: bool) -> Result<String, AppError> {
    let raw = raw.trim();
    let bad = |msg: &str| AppError::field("url", msg.to_string());
    if raw.is_empty() {
        return Err(bad("Enter the URL to send events to."));
    }
    if raw.len() > MAX_URL {
        return Err(bad("The URL is too long (at most 2,000 characters)."));
    }
    let url =
        url::Url::parse(raw).map_err(|_| bad("Enter a full URL, such as https://hooks.example.com/switchboard."))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad("The URL must start with https:// (or http://)."));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("The URL needs a host name."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("Leave credentials out of the URL; verify the signature instead."));
    }
    if !allow_private && let Some(reason) = ssrf::literal_host_reason(&url) {
        return Err(AppError::field(
            "url",
            format!("The URL points to a {reason} address; webhooks may only call public addresses."),
        ));
    }
    Ok(url.to_string())
}

fn check_description(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field("description", "The description is too long (at most 500 characters)."));
    }
    if let Err(problem) = switchboard_core::text::check_display_text(text) {
        return Err(AppError::field("description", format!("The description {problem}; remove it.")));
    }
    Ok(text.to_string())
}

fn check_event_types(types: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.trim().to_string();
        if !events::find(&t).is_some_and(|e| e.subscribable) {
            return Err(AppError::field("event_types", format!("{t:?} is not an event type; see the catalogue.")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            check_url(" https://hooks.example.com/x ", false).ok().as_deref(),
            Some("https://hooks.example.com/x")
        );
        for bad in ["", "ftp://x.example.com", "https://", "not a url", "https://u:p@hooks.example.com/"] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        for internal in ["http://127.0.0.1:9000/", "http://169.254.169.254/", "http://[::1]/", "http://localhost/"] {
            assert!(check_url(internal, false).is_err(), "{internal}");
            assert!(check_url(internal, true).is_ok(), "{internal} allowed by the flag");
        }
    }

    #[test]
    fn event_types_come_from_the_catalogue() {
        crate::feature::install(&crate::registry::all());
        let types = check_event_types(vec!["member.left".into(), "workspace.updated".into(), "member.left".into()]);
        assert_eq!(types.ok(), Some(vec!["member.left".to_string(), "workspace.updated".to_string()]));
        assert!(check_event_types(vec!["member.exploded".into()]).is_err());
        assert!(check_event_types(vec![events::WEBHOOK_TEST.name.into()]).is_err());
    }
}
