//! Outgoing email: `--smtp-url`, `--email-from`, their environment
//! variables and the TOML `[email]` table (`smtp_url`, `from`).
use clap::Args;
use serde::{Deserialize, Serialize};

use super::values::text;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailArgs {
    /// SMTP server for outgoing email, e.g. `smtp://user:pass@mail.example.com:587`
    /// (`smtps://` for TLS, `?security=none` for a local test server); without it,
    /// each email is written to `<data-dir>/outbox/` as an `.eml` file.
    #[arg(long, env = "SWITCHBOARD_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// The `From` of outgoing email.
    #[arg(
        id = "email_from",
        value_name = "MAILBOX",
        long = "email-from",
        env = "SWITCHBOARD_EMAIL_FROM",
        global = true
    )]
    pub from: Option<String>,
}

/// `Debug` prints the SMTP URL without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// Outgoing email goes over SMTP when set, else to `<data_dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// The `From` mailbox of outgoing email.
    pub from: String,
}

impl EmailArgs {
    pub fn resolve(&self) -> EmailSettings {
        EmailSettings {
            smtp_url: text(&self.smtp_url),
            from: text(&self.from).unwrap_or_else(|| switchboard_providers::email::DEFAULT_FROM.to_string()),
        }
    }
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(crate::server::redact_url))
            .field("from", &self.from)
            .finish()
    }
}
