//! The verification email. No user-chosen text goes in the subject.
use chrono::{DateTime, Utc};
use switchboard_providers::email::EmailMessage;

use crate::invitations::email::escape;

pub struct VerificationEmail<'a> {
    pub to: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    pub message_id: String,
}

impl VerificationEmail<'_> {
    pub fn message(&self) -> EmailMessage {
        let expires = self.expires_at.format("%-d %B %Y, %H:%M UTC");
        let text = format!(
            "Confirm that this is your email address for Switchboard:\n{link}\n\n\
             The link works once and expires on {expires}. If you did not create a Switchboard account, \
             you can ignore this email.\n",
            link = self.link,
        );
        let html = format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
             <p>Confirm that this is your email address for Switchboard.</p>\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:8px 14px;background:#4338ca;color:#fff;border-radius:6px;text-decoration:none\">Verify my email address</a></p>\
             <p style=\"color:#555\">Or open this link: {link}<br>It works once and expires on {expires}. \
             If you did not create a Switchboard account, you can ignore this email.</p>\
             </body></html>",
            link = escape(self.link),
        );
        EmailMessage {
            to: self.to.to_string(),
            subject: "Verify your email address for Switchboard".into(),
            text,
            html,
            message_id: self.message_id.clone(),
        }
    }
}
