//! The verification email. No user-chosen text goes in the subject.
use chrono::{DateTime, Utc};
use switchboard_providers::email::EmailMessage;

use crate::jobs::email::html_with_button;

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
        let html = html_with_button(
            &["Confirm that this is your email address for Switchboard.".into()],
            "Verify my email address",
            self.link,
            &format!(
                "<br>It works once and expires on {expires}. \
                 If you did not create a Switchboard account, you can ignore this email."
            ),
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
