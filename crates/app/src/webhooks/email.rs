//! The email Admins get when an endpoint is disabled automatically.
use switchboard_providers::email::EmailMessage;

use super::store::EndpointRow;
use crate::jobs::email::escape_html;

pub fn disabled_endpoint(
    to: &str,
    workspace: &str,
    endpoint: &EndpointRow,
    reason: &str,
    link: &str,
    index: usize,
) -> EmailMessage {
    let subject = format!("Webhook endpoint disabled in {workspace}");
    let text = format!(
        "Switchboard stopped sending webhooks to {url} in {workspace}.\n\n{reason}\n\n\
         Fix the endpoint, then enable it again and use Recover to resend what it missed:\n{link}\n",
        url = endpoint.url,
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
         <p>Switchboard stopped sending webhooks to <strong>{url}</strong> in <strong>{workspace}</strong>.</p>\
         <p>{reason}</p>\
         <p>Fix the endpoint, then enable it again and use Recover to resend what it missed: \
         <a href=\"{link}\">{link}</a></p></body></html>",
        url = escape_html(&endpoint.url),
        workspace = escape_html(workspace),
        reason = escape_html(reason),
        link = escape_html(link),
    );
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html,
        message_id: format!("{}.disabled.{}.{index}@switchboard.local", endpoint.id, endpoint.updated_at.timestamp()),
    }
}
