//! Sending email: SMTP (lettre) or, by default, an outbox folder of `.eml`
//! files. Callers never send directly from a request: they enqueue a job,
//! and the job worker calls [`EmailSender::send`].
//!
//! [`from_config`] picks the sender: [`SmtpSender`] when an SMTP URL is
//! configured (see [`SmtpConfig::from_url`]), otherwise [`OutboxSender`],
//! which writes one `.eml` file per message and logs where it is (never
//! its links: they may be single-use secrets); a developer opens the file
//! to follow an invitation without a mail server.
use std::path::PathBuf;
use std::sync::Arc;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};

mod outbox;
mod smtp;

pub use outbox::OutboxSender;
pub use smtp::{SmtpConfig, SmtpSecurity, SmtpSender};

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Switchboard <no-reply@switchboard.localhost>";

/// One message, with plain-text and HTML parts. `message_id` is stable for
/// one logical send (e.g. one invitation send), so a retried delivery
/// carries the same `Message-ID` header and receivers can de-duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets, e.g. `inv_01J….1@switchboard.local`.
    pub message_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Worth retrying later (connection refused, 4xx reply, timeout).
    #[error("temporary email failure: {0}")]
    Transient(String),
    /// Retrying will not help (bad address, 5xx reply, bad configuration).
    #[error("permanent email failure: {0}")]
    Permanent(String),
}

#[async_trait::async_trait]
pub trait EmailSender: Send + Sync + 'static {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError>;
    /// `smtp` or `outbox`, for logs and `/metrics`.
    fn kind(&self) -> &'static str;
}

/// The sender for this configuration: SMTP when `smtp_url` is given (a
/// `from=` in the URL wins over `from`), else the outbox folder.
pub fn from_config(
    smtp_url: Option<&str>,
    from: &str,
    outbox_dir: PathBuf,
) -> Result<Arc<dyn EmailSender>, EmailError> {
    parse_mailbox("sender", from)?;
    match smtp_url.map(str::trim).filter(|url| !url.is_empty()) {
        Some(url) => {
            let config = SmtpConfig::from_url_with_default_from(url, from)?;
            Ok(Arc::new(SmtpSender::new(config)?))
        }
        None => Ok(Arc::new(OutboxSender::new(outbox_dir, from.to_string()))),
    }
}

/// Builds the RFC 5322 message: `From`, `To`, `Subject`, `Date`,
/// `Message-ID: <{message_id}>` and a multipart/alternative body with a
/// text/plain and a text/html part (UTF-8). Bad addresses or a malformed
/// message ID are [`EmailError::Permanent`]: retrying cannot fix them.
pub fn build_message(from: &str, msg: &EmailMessage) -> Result<Message, EmailError> {
    let from = parse_mailbox("sender", from)?;
    let to = parse_mailbox("recipient", &msg.to)?;
    check_message_id(&msg.message_id)?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(msg.subject.as_str())
        .date_now()
        .message_id(Some(format!("<{}>", msg.message_id)))
        .multipart(MultiPart::alternative_plain_html(msg.text.clone(), msg.html.clone()))
        .map_err(|e| EmailError::Permanent(format!("cannot build the message: {e}")))
}

fn parse_mailbox(role: &str, address: &str) -> Result<Mailbox, EmailError> {
    address.trim().parse().map_err(|e| EmailError::Permanent(format!("invalid {role} address {address:?}: {e}")))
}

/// `id-left@id-right` without brackets, whitespace or control characters
/// (it goes into a header verbatim).
fn check_message_id(id: &str) -> Result<(), EmailError> {
    let well_formed = id.len() <= 250
        && id.split_once('@').is_some_and(|(left, right)| !left.is_empty() && !right.is_empty())
        && id.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\'));
    if well_formed { Ok(()) } else { Err(EmailError::Permanent(format!("invalid message ID {id:?}"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> EmailMessage {
        EmailMessage {
            to: "Bob <bob@example.com>".into(),
            subject: "Join Acme — on Switchboard".into(),
            text: "Hello Bob, accept: https://sb.example.com/invitations/abc".into(),
            html: "<p>Hello Bob</p>".into(),
            message_id: "inv_1.1@sb.example.com".into(),
        }
    }

    fn formatted(msg: &EmailMessage) -> String {
        let built = build_message(DEFAULT_FROM, msg).expect("builds");
        String::from_utf8(built.formatted()).expect("utf-8")
    }

    #[test]
    fn message_has_headers_and_both_parts() {
        let text = formatted(&message());
        assert!(text.contains("Message-ID: <inv_1.1@sb.example.com>\r\n"), "{text}");
        assert!(text.contains("To: Bob <bob@example.com>\r\n"), "{text}");
        assert!(text.contains("From: Switchboard <no-reply@switchboard.localhost>\r\n"), "{text}");
        assert!(text.contains("\r\nDate: "), "{text}");
        assert!(text.contains("Content-Type: multipart/alternative;"), "{text}");
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"), "{text}");
        assert!(text.contains("Content-Type: text/html; charset=utf-8"), "{text}");
    }

    #[test]
    fn bad_addresses_and_ids_are_permanent() {
        let bad_to = EmailMessage { to: "not an address".into(), ..message() };
        assert!(matches!(build_message(DEFAULT_FROM, &bad_to), Err(EmailError::Permanent(_))));
        assert!(matches!(build_message("nobody", &message()), Err(EmailError::Permanent(_))));
        for id in ["", "no-at-sign", "a b@c", "<a@b>", "a@b\r\nBcc: x@y"] {
            let bad_id = EmailMessage { message_id: id.into(), ..message() };
            assert!(matches!(build_message(DEFAULT_FROM, &bad_id), Err(EmailError::Permanent(_))), "{id:?}");
        }
    }

    #[test]
    fn a_newline_in_the_subject_cannot_add_a_header() {
        let text = formatted(&EmailMessage { subject: "Hi\r\nBcc: eve@example.com".into(), ..message() });
        assert!(!text.contains("\nBcc:"), "{text}");
    }

    #[test]
    fn from_config_picks_smtp_or_the_outbox() {
        let dir = std::env::temp_dir();
        let outbox = from_config(None, DEFAULT_FROM, dir.clone()).expect("outbox");
        assert_eq!(outbox.kind(), "outbox");
        let blank = from_config(Some("  "), DEFAULT_FROM, dir.clone()).expect("outbox");
        assert_eq!(blank.kind(), "outbox");
        let smtp = from_config(Some("smtp://mail.example.com?security=none"), DEFAULT_FROM, dir.clone()).expect("smtp");
        assert_eq!(smtp.kind(), "smtp");
        assert!(matches!(from_config(None, "nobody", dir.clone()), Err(EmailError::Permanent(_))));
        assert!(matches!(from_config(Some("http://x"), DEFAULT_FROM, dir), Err(EmailError::Permanent(_))));
    }
}
