//! The invitation email: plain text and HTML naming the workspace and the
//! inviter (escaped in the HTML). The subject is fixed: it is the one line a
//! mail client shows before anyone opens the message, and names chosen by
//! whoever invites (a workspace called "Your account is locked, call …")
//! must not be able to write it.
use chrono::{DateTime, Utc};
use switchboard_providers::email::EmailMessage;

use crate::jobs::email::{escape_html, html_with_button};

pub struct InvitationEmail<'a> {
    pub to: &'a str,
    pub inviter: &'a str,
    pub workspace: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    /// Stable per send, so a retried delivery repeats the same Message-ID.
    pub message_id: String,
}

/// The subject of every invitation email.
pub const SUBJECT: &str = "You're invited to a workspace on Switchboard";

impl InvitationEmail<'_> {
    pub fn message(&self) -> EmailMessage {
        let expires = self.expires_at.format("%-d %B %Y, %H:%M UTC");
        let subject = SUBJECT.to_string();
        let text = format!(
            "{inviter} invited you to join {workspace} on Switchboard as {role}.\n\n\
             Accept the invitation:\n{link}\n\n\
             The link works once and expires on {expires}. If you did not expect this email, you can ignore it.\n",
            inviter = self.inviter,
            workspace = self.workspace,
            role = self.role,
            link = self.link,
        );
        let html = html_with_button(
            &[format!(
                "<strong>{inviter}</strong> invited you to join <strong>{workspace}</strong> on Switchboard as {role}.",
                inviter = escape_html(self.inviter),
                workspace = escape_html(self.workspace),
                role = escape_html(self.role),
            )],
            "Accept the invitation",
            self.link,
            &format!(
                "<br>It works once and expires on {expires}. If you did not expect this email, you can ignore it."
            ),
        );
        EmailMessage { to: self.to.to_string(), subject, text, html, message_id: self.message_id.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_names_inviter_and_workspace_and_escapes_html() {
        let mail = InvitationEmail {
            to: "bob@example.com",
            inviter: "Ada <script>",
            workspace: "Acme & Co",
            role: "Member",
            link: "https://sb.example.com/invite/abc",
            expires_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            message_id: "inv_1.1@switchboard".into(),
        }
        .message();
        assert_eq!(mail.subject, "You're invited to a workspace on Switchboard");
        assert!(mail.text.contains("Ada <script> invited you to join Acme & Co on Switchboard as Member."));
        assert!(mail.text.contains("https://sb.example.com/invite/abc"));
        assert!(mail.html.contains("Ada &lt;script&gt;"));
        assert!(mail.html.contains("Acme &amp; Co"));
        assert!(!mail.html.contains("<script>"));
    }
}
