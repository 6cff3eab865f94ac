//! Delivery over SMTP with lettre's async tokio transport (rustls for TLS).
//!
//! Configured by one URL, e.g.
//! `smtp://user:pass@mail.example.com:587?security=starttls&from=Switchboard%20%3Cno-reply%40example.com%3E`:
//!
//! - `smtp://` uses STARTTLS (required, never downgraded) on port 587;
//!   `smtps://` uses TLS from the first byte on port 465.
//! - `security=none|starttls|tls` overrides the scheme's default (`none` is
//!   plain text, for local test servers; its default port is 25).
//! - `from=` sets the sender (percent-encoded); `timeout=SECONDS` the
//!   network timeout (default 30).
//! - User name and password are percent-decoded.
use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use percent_encoding::percent_decode_str;

use super::{DEFAULT_FROM, EmailError, EmailMessage, EmailSender, build_message, parse_mailbox};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text. Only for servers on the same machine or in tests.
    None,
    /// Plain connect, then STARTTLS (refusing servers that do not offer it).
    StartTls,
    /// TLS from the start ("implicit TLS", SMTPS).
    Tls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// Where and how to deliver. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From` mailbox, e.g. `Switchboard <no-reply@example.com>`.
    pub from: String,
    /// Network timeout for connecting and for each SMTP command.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmtpConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Parses an `smtp://` or `smtps://` URL (see the module docs); without
    /// `from=` the sender is [`DEFAULT_FROM`].
    pub fn from_url(url: &str) -> Result<SmtpConfig, EmailError> {
        Self::from_url_with_default_from(url, DEFAULT_FROM)
    }

    /// Like [`SmtpConfig::from_url`], with the sender to use when the URL
    /// has no `from=`.
    pub fn from_url_with_default_from(url: &str, default_from: &str) -> Result<SmtpConfig, EmailError> {
        // Error messages never repeat the URL: it may hold a password.
        let bad = |why: String| EmailError::Permanent(format!("invalid SMTP URL: {why}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let scheme_security = match parsed.scheme() {
            "smtp" => SmtpSecurity::StartTls,
            "smtps" => SmtpSecurity::Tls,
            other => return Err(bad(format!("scheme must be smtp:// or smtps://, not {other}://"))),
        };
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if parsed.path() != "" && parsed.path() != "/" {
            return Err(bad("a path is not allowed".into()));
        }
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| bad("credentials are not UTF-8".into()))
        };
        let username = Some(parsed.username()).filter(|u| !u.is_empty()).map(decode).transpose()?;
        let password = parsed.password().map(decode).transpose()?;

        let mut security = scheme_security;
        let mut from = default_from.to_string();
        let mut timeout = Self::DEFAULT_TIMEOUT;
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "security" => {
                    security = match value.to_ascii_lowercase().as_str() {
                        "none" | "plain" => SmtpSecurity::None,
                        "starttls" => SmtpSecurity::StartTls,
                        "tls" | "ssl" => SmtpSecurity::Tls,
                        other => return Err(bad(format!("security must be none, starttls or tls, not {other:?}"))),
                    };
                    if scheme_security == SmtpSecurity::Tls && security != SmtpSecurity::Tls {
                        return Err(bad("smtps:// always uses TLS; use smtp:// for other security".into()));
                    }
                }
                "from" => from = value.into_owned(),
                "timeout" => {
                    let seconds: u64 =
                        value.trim_end_matches('s').parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                            bad(format!("timeout must be a positive number of seconds, not {value:?}"))
                        })?;
                    timeout = Duration::from_secs(seconds);
                }
                other => return Err(bad(format!("unknown parameter {other:?} (known: security, from, timeout)"))),
            }
        }
        parse_mailbox("sender", &from)?;
        Ok(SmtpConfig {
            port: parsed.port().unwrap_or(security.default_port()),
            host,
            security,
            username,
            password,
            from,
            timeout,
        })
    }
}

/// Sends each message over a fresh SMTP connection.
pub struct SmtpSender {
    config: SmtpConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender").field("config", &self.config).finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(config: SmtpConfig) -> Result<SmtpSender, EmailError> {
        parse_mailbox("sender", &config.from)?;
        let tls_parameters = || {
            TlsParameters::new(config.host.clone())
                .map_err(|e| EmailError::Permanent(format!("cannot set up TLS for {}: {e}", config.host)))
        };
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(username) = &config.username {
            builder =
                builder.credentials(Credentials::new(username.clone(), config.password.clone().unwrap_or_default()));
        }
        Ok(SmtpSender { transport: builder.build(), config })
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }
}

#[async_trait::async_trait]
impl EmailSender for SmtpSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        let built = build_message(&self.config.from, message)?;
        // lettre's timeout applies to each step; this bounds the whole send.
        let limit = self.config.timeout.saturating_mul(4);
        let result = tokio::time::timeout(limit, self.transport.send(built)).await;
        match result {
            Ok(Ok(response)) => {
                tracing::info!(
                    to = %message.to,
                    subject = %message.subject,
                    message_id = %message.message_id,
                    server = %self.config.host,
                    reply = %response.code(),
                    "email sent over SMTP"
                );
                Ok(())
            }
            Ok(Err(err)) => Err(classify(&err)),
            Err(_) => Err(EmailError::Transient(format!(
                "SMTP send to {}:{} timed out after {limit:?}",
                self.config.host, self.config.port
            ))),
        }
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }
}

/// 5xx replies and client-side refusals (no STARTTLS offered, no usable
/// authentication mechanism) will fail again: permanent. Everything else
/// (4xx replies, connection failures, timeouts, TLS handshakes, garbled
/// replies) is worth retrying.
fn classify(err: &SmtpError) -> EmailError {
    let text = format!("SMTP: {err}");
    if err.is_permanent() || err.is_client() { EmailError::Permanent(text) } else { EmailError::Transient(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_url_defaults_to_starttls_on_587() {
        let config = SmtpConfig::from_url("smtp://mail.example.com").expect("parses");
        assert_eq!(config.host, "mail.example.com");
        assert_eq!(config.port, 587);
        assert_eq!(config.security, SmtpSecurity::StartTls);
        assert_eq!(config.username, None);
        assert_eq!(config.password, None);
        assert_eq!(config.from, DEFAULT_FROM);
        assert_eq!(config.timeout, SmtpConfig::DEFAULT_TIMEOUT);
    }

    #[test]
    fn smtps_url_uses_tls_on_465() {
        let config = SmtpConfig::from_url("smtps://mail.example.com").expect("parses");
        assert_eq!((config.port, config.security), (465, SmtpSecurity::Tls));
        assert!(SmtpConfig::from_url("smtps://mail.example.com?security=none").is_err());
    }

    #[test]
    fn full_url_is_decoded() {
        let config = SmtpConfig::from_url(
            "smtp://us%40er:p%40ss%3Aword@127.0.0.1:2525?security=none&timeout=5&from=Switchboard%20%3Cno-reply%40example.com%3E",
        )
        .expect("parses");
        assert_eq!(config.host, "127.0.0.1");
        assert_eq!(config.port, 2525);
        assert_eq!(config.security, SmtpSecurity::None);
        assert_eq!(config.username.as_deref(), Some("us@er"));
        assert_eq!(config.password.as_deref(), Some("p@ss:word"));
        assert_eq!(config.from, "Switchboard <no-reply@example.com>");
        assert_eq!(config.timeout, Duration::from_secs(5));
        let config = SmtpConfig::from_url("smtp://[::1]?security=none").expect("parses");
        assert_eq!((config.host.as_str(), config.port), ("::1", 25));
    }

    #[test]
    fn the_url_from_wins_over_the_default_from() {
        let config =
            SmtpConfig::from_url_with_default_from("smtp://h?from=a%40example.com", "b@example.com").expect("parses");
        assert_eq!(config.from, "a@example.com");
        let config = SmtpConfig::from_url_with_default_from("smtp://h", "b@example.com").expect("parses");
        assert_eq!(config.from, "b@example.com");
    }

    #[test]
    fn bad_urls_are_permanent_and_never_echo_the_password() {
        for url in [
            "http://u:sekrit@h",
            "smtp://u:sekrit@h?security=maybe",
            "smtp://u:sekrit@h?tls=yes",
            "smtp://u:sekrit@h?timeout=0",
            "smtp://u:sekrit@h/path",
            "smtp://u:sekrit@h?from=not-an-address",
            "smtp://",
            "not a url sekrit",
        ] {
            match SmtpConfig::from_url(url) {
                Err(EmailError::Permanent(message)) => assert!(!message.contains("sekrit"), "{url}: {message}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn debug_output_redacts_the_password() {
        let config = SmtpConfig::from_url("smtp://user:sekrit@mail.example.com").expect("parses");
        let config_debug = format!("{config:?}");
        assert!(config_debug.contains("<redacted>") && !config_debug.contains("sekrit"), "{config_debug}");
        let sender = SmtpSender::new(config).expect("sender");
        let sender_debug = format!("{sender:?}");
        assert!(sender_debug.contains("<redacted>") && !sender_debug.contains("sekrit"), "{sender_debug}");
    }
}
