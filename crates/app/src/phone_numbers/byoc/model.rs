//! What a connection is made of, checked before anything is sent to a
//! carrier: the carrier, the credentials (sealed at rest, never shown) and
//! a SIP trunk's settings (not secret). Pure; unit-tested here.
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};

/// The carriers an account can be connected from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = CarrierKind)]
pub enum CarrierKind {
    Twilio,
    Telnyx,
    /// A generic SIP trunk: no API to verify or list numbers.
    Sip,
}

impl CarrierKind {
    pub const ALL: [CarrierKind; 3] = [CarrierKind::Twilio, CarrierKind::Telnyx, CarrierKind::Sip];

    pub fn as_str(self) -> &'static str {
        match self {
            CarrierKind::Twilio => "twilio",
            CarrierKind::Telnyx => "telnyx",
            CarrierKind::Sip => "sip",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CarrierKind::Twilio => "Twilio",
            CarrierKind::Telnyx => "Telnyx",
            CarrierKind::Sip => "SIP trunk",
        }
    }

    pub fn parse(raw: &str) -> Option<CarrierKind> {
        CarrierKind::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// The credentials as sealed (JSON). `Debug` never prints a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    TwilioToken {
        account_sid: String,
        auth_token: String,
    },
    TwilioKey {
        account_sid: String,
        key_sid: String,
        key_secret: String,
        /// What Twilio signs callbacks with (API keys cannot): optional.
        auth_token: Option<String>,
    },
    Telnyx {
        api_key: String,
    },
    Sip {
        username: String,
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl Credentials {
    /// The auth token Twilio signs this account's callbacks with, if known.
    pub fn twilio_signing_token(&self) -> Option<&str> {
        match self {
            Credentials::TwilioToken { auth_token, .. } => Some(auth_token),
            Credentials::TwilioKey { auth_token, .. } => auth_token.as_deref(),
            _ => None,
        }
    }
}

/// A SIP trunk's settings: stored in the clear (`settings`), shown on the page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SipSettings {
    pub termination_uri: String,
    pub allowed_origins: Vec<String>,
}

/// The non-secret JSON of an account (`carrier_accounts.settings`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<SipSettings>,
    /// Telnyx: the TeXML application (a connection) numbers are pointed at;
    /// Telnyx sends calls to a connection, not to URLs on the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telnyx_connection_id: Option<String>,
    /// The numbers whose callbacks could not be reset at disconnection,
    /// with the carrier's reason: shown on the account page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reset_failures: Vec<ResetFailure>,
}

/// A number whose callbacks are still pointed at Switchboard at the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CallbackResetFailure)]
pub struct ResetFailure {
    /// E.164.
    #[schema(example = "+14155550100")]
    pub e164: String,
    /// The carrier's answer, safe to show.
    pub reason: String,
}

/// A connect form or request, as sent. Only the fields of its carrier are read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawConnection {
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub account_sid: String,
    #[serde(default)]
    pub auth_token: String,
    #[serde(default)]
    pub api_key_sid: String,
    #[serde(default)]
    pub api_key_secret: String,
    #[serde(default)]
    pub api_key: String,
    /// Telnyx: the TeXML application's connection ID.
    #[serde(default)]
    pub connection_id: String,
    #[serde(default)]
    pub termination_uri: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// One per line or comma-separated.
    #[serde(default)]
    pub allowed_origins: String,
}

/// A checked connection, ready to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub carrier: CarrierKind,
    pub credentials: Credentials,
    pub sip: Option<SipSettings>,
    pub telnyx_connection_id: Option<String>,
}

const MAX_FIELD: usize = 200;

fn sid(raw: &str, prefix: &str) -> bool {
    raw.len() == 34 && raw.starts_with(prefix) && raw[2..].chars().all(|c| c.is_ascii_hexdigit())
}

fn secret_ok(raw: &str) -> bool {
    !raw.is_empty() && raw.len() <= MAX_FIELD && !raw.chars().any(char::is_whitespace)
}

impl RawConnection {
    /// Checks the fields of the chosen carrier; every refusal by its field.
    pub fn parse(&self) -> Result<Connection, AppError> {
        let carrier = CarrierKind::parse(&self.carrier)
            .ok_or_else(|| AppError::field("carrier", "Choose twilio, telnyx or sip."))?;
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        let mut telnyx_connection_id = None;
        let (credentials, sip) = match carrier {
            CarrierKind::Twilio => {
                let account_sid = self.account_sid.trim().to_string();
                if !sid(&account_sid, "AC") {
                    bad("account_sid", "Enter the Account SID from the Twilio Console: AC followed by 32 hex digits.");
                }
                let token = self.auth_token.trim();
                let key_sid = self.api_key_sid.trim();
                let key_secret = self.api_key_secret.trim();
                let auth_token = (!token.is_empty()).then(|| token.to_string());
                if !token.is_empty() && !secret_ok(token) {
                    bad("auth_token", "The auth token has no spaces; paste it again from the Twilio Console.");
                }
                if key_sid.is_empty() && key_secret.is_empty() {
                    if token.is_empty() {
                        bad("auth_token", "Enter the account's Auth Token, or an API key SID and secret.");
                    }
                    (Credentials::TwilioToken { account_sid, auth_token: token.to_string() }, None)
                } else {
                    if !sid(key_sid, "SK") {
                        bad("api_key_sid", "Enter the API key's SID: SK followed by 32 hex digits.");
                    }
                    if !secret_ok(key_secret) {
                        bad("api_key_secret", "Enter the API key's secret (shown once when the key was created).");
                    }
                    let creds = Credentials::TwilioKey {
                        account_sid,
                        key_sid: key_sid.to_string(),
                        key_secret: key_secret.to_string(),
                        auth_token,
                    };
                    (creds, None)
                }
            }
            CarrierKind::Telnyx => {
                let api_key = self.api_key.trim();
                if !secret_ok(api_key) {
                    bad("api_key", "Enter an API key from the Telnyx Portal (Account settings → Keys & Credentials).");
                }
                let connection = self.connection_id.trim();
                if connection.is_empty()
                    || connection.len() > 64
                    || !connection.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    bad(
                        "connection_id",
                        "Enter the ID of the TeXML Application that sends calls to Switchboard (digits, from the Telnyx Portal).",
                    );
                }
                telnyx_connection_id = Some(connection.to_string());
                (Credentials::Telnyx { api_key: api_key.to_string() }, None)
            }
            CarrierKind::Sip => {
                let termination_uri = match parse_sip_uri(&self.termination_uri) {
                    Ok(uri) => uri,
                    Err(message) => {
                        bad("termination_uri", message);
                        String::new()
                    }
                };
                let (username, password) = (self.username.trim(), self.password.as_str());
                if username.is_empty() || username.len() > MAX_FIELD || username.chars().any(char::is_whitespace) {
                    bad("username", "Enter the trunk's username (no spaces).");
                }
                if password.is_empty() || password.len() > MAX_FIELD {
                    bad("password", "Enter the trunk's password.");
                }
                let allowed_origins = match parse_origins(&self.allowed_origins) {
                    Ok(list) => list,
                    Err(message) => {
                        bad("allowed_origins", &message);
                        Vec::new()
                    }
                };
                let creds = Credentials::Sip { username: username.to_string(), password: password.to_string() };
                (creds, Some(SipSettings { termination_uri, allowed_origins }))
            }
        };
        if errors.is_empty() {
            Ok(Connection { carrier, credentials, sip, telnyx_connection_id })
        } else {
            Err(AppError::validation(errors))
        }
    }
}

/// `sip:` or `sips:` then a host name, an IPv4 address or a bracketed
/// IPv6 address, and an optional port; returned lower-cased.
pub fn parse_sip_uri(raw: &str) -> Result<String, &'static str> {
    const HINT: &str =
        "Enter the trunk's termination URI as sip:host or sips:host:port, e.g. sip:acme.pstn.example.com.";
    let raw = raw.trim().to_ascii_lowercase();
    let Some(rest) = raw.strip_prefix("sips:").or_else(|| raw.strip_prefix("sip:")) else { return Err(HINT) };
    if rest.is_empty() || rest.len() > 253 || rest.contains(['@', '/', ';', '?']) {
        return Err(HINT);
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or(HINT)?;
        addr.parse::<std::net::Ipv6Addr>().map_err(|_| HINT)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(HINT)?),
        };
        (None, port)
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(rest), None),
        }
    };
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err("The port after the host must be a number from 1 to 65535."),
        }
    }
    if let Some(host) = host {
        let is_ipv4 = host.parse::<std::net::Ipv4Addr>().is_ok();
        let is_name = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        }) && host.contains('.');
        if !is_ipv4 && !is_name {
            return Err(HINT);
        }
    }
    Ok(raw)
}

/// IPv4/IPv6 addresses or CIDR ranges, one per line or comma-separated; at
/// least one, at most 50, each normalised (`10.0.0.0/8`, `2001:db8::/32`).
pub fn parse_origins(raw: &str) -> Result<Vec<String>, String> {
    let items: Vec<&str> = raw.split([',', '\n', '\r', ' ', '\t']).map(str::trim).filter(|s| !s.is_empty()).collect();
    if items.is_empty() {
        return Err("Enter the IP addresses or CIDR ranges your trunk sends calls from, one per line.".into());
    }
    if items.len() > 50 {
        return Err("Enter at most 50 addresses or ranges.".into());
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let parsed = match item.parse::<IpNet>() {
            Ok(net) if net.trunc() == net => net.to_string(),
            Ok(net) => {
                return Err(format!("{item} is not the start of its range; did you mean {}?", net.trunc()));
            }
            Err(_) => match item.parse::<IpAddr>() {
                Ok(ip) => ip.to_string(),
                Err(_) => {
                    return Err(format!(
                        "{item} is not an IP address or CIDR range (e.g. 203.0.113.10, 203.0.113.0/24, 2001:db8::/32)."
                    ));
                }
            },
        };
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(out)
}

/// The host (and port) of a termination URI: a SIP trunk's account reference.
pub fn sip_account_ref(uri: &str) -> String {
    uri.trim_start_matches("sips:").trim_start_matches("sip:").to_string()
}

/// What may be shown of an account reference: a Twilio Account SID is not
/// secret; anything else secret-like (a key fingerprint) keeps its last 4.
pub fn masked_ref(carrier: CarrierKind, account_ref: &str) -> String {
    match carrier {
        CarrierKind::Twilio | CarrierKind::Sip => account_ref.to_string(),
        CarrierKind::Telnyx => {
            let tail: String = account_ref.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("••••{tail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const KEY: &str = "SK0123456789abcdef0123456789abcdef";

    fn fields(err: AppError) -> Vec<String> {
        err.field_messages().map(|m| m.into_keys().collect()).unwrap_or_default()
    }

    #[test]
    fn twilio_takes_a_token_or_a_key() {
        let raw = RawConnection {
            carrier: "twilio".into(),
            account_sid: SID.into(),
            auth_token: "tok".into(),
            ..Default::default()
        };
        assert!(matches!(raw.parse().map(|c| c.credentials), Ok(Credentials::TwilioToken { .. })));
        let raw = RawConnection {
            carrier: "twilio".into(),
            account_sid: SID.into(),
            api_key_sid: KEY.into(),
            api_key_secret: "s3cret".into(),
            ..Default::default()
        };
        let creds = raw.parse().map(|c| c.credentials).ok();
        assert!(matches!(creds, Some(Credentials::TwilioKey { auth_token: None, .. })));
        let raw = RawConnection { carrier: "twilio".into(), account_sid: "AC12".into(), ..Default::default() };
        assert_eq!(fields(raw.parse().expect_err("refused")), ["account_sid", "auth_token"]);
        let raw = RawConnection {
            carrier: "twilio".into(),
            account_sid: SID.into(),
            api_key_sid: "SKx".into(),
            ..Default::default()
        };
        assert_eq!(fields(raw.parse().expect_err("refused")), ["api_key_secret", "api_key_sid"]);
    }

    #[test]
    fn sip_uris_and_origins_are_checked() {
        assert_eq!(parse_sip_uri(" SIP:Trunk.Example.com:5061").as_deref(), Ok("sip:trunk.example.com:5061"));
        assert!(parse_sip_uri("sips:[2001:db8::1]:5061").is_ok());
        assert!(parse_sip_uri("sip:203.0.113.9").is_ok());
        for bad in [
            "http://x.example.com",
            "sip:",
            "sip:user@host.example.com",
            "sip:host.example.com:0",
            "sip:localhost",
            "sip:[::1",
        ] {
            assert!(parse_sip_uri(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_origins("203.0.113.10, 198.51.100.0/24\n2001:db8::/32\n203.0.113.10"),
            Ok(vec!["203.0.113.10".to_string(), "198.51.100.0/24".to_string(), "2001:db8::/32".to_string()])
        );
        assert!(parse_origins("").is_err());
        assert!(parse_origins("10.0.0.1/8").expect_err("refused").contains("10.0.0.0/8"));
        assert!(parse_origins("300.1.1.1").is_err());
    }

    #[test]
    fn sip_refusals_name_their_fields_and_secrets_stay_out_of_debug() {
        let raw = RawConnection { carrier: "sip".into(), termination_uri: "ftp://x".into(), ..Default::default() };
        assert_eq!(
            fields(raw.parse().expect_err("refused")),
            ["allowed_origins", "password", "termination_uri", "username"]
        );
        let raw = RawConnection {
            carrier: "telnyx".into(),
            api_key: "KEY123".into(),
            connection_id: "12 3".into(),
            ..Default::default()
        };
        assert_eq!(fields(raw.parse().expect_err("refused")), ["connection_id"]);
        let creds = Credentials::Telnyx { api_key: "KEY_very_secret".into() };
        assert!(!format!("{creds:?}").contains("very_secret"));
        assert_eq!(masked_ref(CarrierKind::Telnyx, "abcdef123456"), "••••3456");
    }
}
