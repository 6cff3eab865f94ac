//! The account emails: a password reset link, and the note to an account's
//! owner that someone tried to sign up with their address. Subjects are
//! fixed text: nothing a visitor typed goes into them.
use switchboard_providers::email::EmailMessage;

use crate::jobs::email::{escape_html, html_with_button};

/// The reset link, valid once for [`super::reset::VALID_MINUTES`].
pub fn reset_link(to: &str, link: &str, message_id: String) -> EmailMessage {
    let minutes = super::reset::VALID_MINUTES;
    let text = format!(
        "Someone (hopefully you) asked to reset the password of your Switchboard account.\n\n\
         Choose a new password:\n{link}\n\n\
         The link works once and expires in {minutes} minutes. Using it signs you out everywhere.\n\
         If you did not ask for this, ignore this email: your password stays as it is.\n"
    );
    let html = html_with_button(
        &[
            "Someone (hopefully you) asked to reset the password of your Switchboard account.".into(),
            format!(
                "The link works once and expires in {minutes} minutes. Using it signs you out everywhere. \
                 If you did not ask for this, ignore this email: your password stays as it is."
            ),
        ],
        "Choose a new password",
        link,
        "",
    );
    EmailMessage { to: to.to_string(), subject: "Reset your Switchboard password".into(), text, html, message_id }
}

/// To the owner of an address someone tried to sign up with.
pub fn signup_attempt(to: &str, signin_link: &str, forgot_link: &str, message_id: String) -> EmailMessage {
    let text = format!(
        "Someone tried to create a Switchboard account with this email address, which already has one.\n\n\
         If it was you, sign in instead:\n{signin_link}\n\n\
         Forgot your password? Reset it here:\n{forgot_link}\n\n\
         If it was not you, you can ignore this email: nothing about your account has changed.\n"
    );
    let html = html_with_button(
        &[
            "Someone tried to create a Switchboard account with this email address, which already has one.".into(),
            format!(
                "Forgot your password? <a href=\"{}\">Reset it</a>. If it was not you, you can ignore this email: \
                 nothing about your account has changed.",
                escape_html(forgot_link)
            ),
        ],
        "Sign in",
        signin_link,
        "",
    );
    EmailMessage {
        to: to.to_string(),
        subject: "Someone tried to sign up with your email address".into(),
        text,
        html,
        message_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_carries_the_link_and_a_fixed_subject() {
        let mail = reset_link("ada@example.com", "https://sb.example.com/password/reset/abc", "m1@sb".into());
        assert_eq!(mail.subject, "Reset your Switchboard password");
        assert!(mail.text.contains("https://sb.example.com/password/reset/abc"));
        assert!(mail.html.contains("https://sb.example.com/password/reset/abc"));
        assert!(mail.text.contains("60 minutes"));
    }

    #[test]
    fn the_signup_attempt_email_links_to_sign_in_and_reset() {
        let mail =
            signup_attempt("ada@example.com", "https://x/signin", "https://x/password/forgot?a=1&b=2", "m".into());
        assert!(mail.text.contains("https://x/signin"));
        assert!(mail.html.contains("https://x/password/forgot?a=1&amp;b=2"));
    }
}
