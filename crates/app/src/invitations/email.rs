//! The invitation email: plain text and HTML naming the workspace and the
//! inviter (escaped in the HTML). The subject is fixed: it is the one line a
//! mail client shows before anyone opens the message, and names chosen by
//! whoever invites (a workspace called "Your account is locked, call …")
//! must not be able to write it.
use chrono::{DateTime, Utc};
use switchboard_providers::email::EmailMessage;

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

/// HTML-escapes text for the email's HTML part.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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
        let html = format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
             <p><strong>{inviter}</strong> invited you to join <strong>{workspace}</strong> on Switchboard as {role}.</p>\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:8px 14px;background:#4338ca;color:#fff;border-radius:6px;text-decoration:none\">Accept the invitation</a></p>\
             <p style=\"color:#555\">Or open this link: {link}<br>It works once and expires on {expires}. If you did not expect this email, you can ignore it.</p>\
             </body></html>",
            inviter = escape(self.inviter),
            workspace = escape(self.workspace),
            role = escape(self.role),
            link = escape(self.link),
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
