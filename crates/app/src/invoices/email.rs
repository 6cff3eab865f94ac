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
    // A failed auto-recharge turns auto-recharge off (credits::auto_recharge).
    let off = if invoice.kind == super::store::Kind::AutoRecharge {
        "Auto-recharge has been turned off. Turn it back on in the billing settings once the payment method works."
    } else {
        ""
    };
    let subject = if off.is_empty() {
        format!("Payment failed for {workspace}")
    } else {
        format!("Payment failed for {workspace}: auto-recharge turned off")
    };
    let text = format!(
        "A payment of {amount} for invoice {number} in {workspace} failed.\n\n{reason}\n\n{off}{sep}\
         Update the payment method or top up here:\n{link}\n",
        sep = if off.is_empty() { "" } else { "\n\n" },
        number = invoice.number,
    );
    let mut lead = vec![
        format!(
            "A payment of <strong>{amount}</strong> for invoice {number} in <strong>{workspace}</strong> failed.",
            number = escape_html(&invoice.number),
            workspace = escape_html(workspace),
        ),
        escape_html(reason),
    ];
    if !off.is_empty() {
        lead.push(off.to_string());
    }
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
