//! The email Admins get when a payment fails.
use switchboard_providers::email::EmailMessage;

use super::store::Invoice;
use crate::jobs::email::{escape_html, html_with_button};

pub fn payment_failed(
    to: &str,
    workspace: &str,
    invoice: &Invoice,
    reason: &str,
    link: &str,
    index: usize,
) -> EmailMessage {
    let amount = crate::web::format::money(invoice.total_cents);
    let subject = format!("Payment failed for {workspace}");
    let text = format!(
        "A payment of {amount} for invoice {number} in {workspace} failed.\n\n{reason}\n\n\
         Update the payment method or top up here:\n{link}\n",
        number = invoice.number,
    );
    let lead = [
        format!(
            "A payment of <strong>{amount}</strong> for invoice {number} in <strong>{workspace}</strong> failed.",
            number = escape_html(&invoice.number),
            workspace = escape_html(workspace),
        ),
        escape_html(reason),
    ];
    let html = html_with_button(&lead, "Open billing settings", link, "");
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html,
        message_id: format!(
            "{}.failed.{}.{index}@switchboard.local",
            invoice.id,
            invoice.updated_at.timestamp_micros()
        ),
    }
}
