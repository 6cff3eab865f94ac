//! The email Admins get three days before a trial ends.
use switchboard_providers::email::EmailMessage;

use super::plans::Catalogue;
use super::renewal::next_terms;
use super::store::SubscriptionRow;
use crate::jobs::email::{escape_html, html_with_button};

pub fn trial_ending(
    catalogue: &Catalogue,
    sub: &SubscriptionRow,
    to: &str,
    workspace: &str,
    link: &str,
    index: usize,
) -> EmailMessage {
    let trial = catalogue.resolve(&sub.plan_key);
    let ends = sub.trial_ends_at.unwrap_or(sub.period_end).format("%-d %b %Y").to_string();
    let next = next_terms(catalogue, sub);
    let after = if next.plan.is_free() {
        format!(
            "Unless you choose a plan and add a payment method, {workspace} moves to the {} plan then.",
            next.plan.name
        )
    } else {
        format!(
            "{workspace} then moves to the {} plan ({}), charged to the saved payment method.",
            next.plan.name,
            next.cycle.label()
        )
    };
    let subject = format!("Your {} trial ends on {ends}", trial.name);
    let text =
        format!("The {} trial of {workspace} ends on {ends}.\n\n{after}\n\nChoose a plan here:\n{link}\n", trial.name);
    let lead = [
        format!(
            "The {} trial of <strong>{}</strong> ends on <strong>{ends}</strong>.",
            escape_html(&trial.name),
            escape_html(workspace)
        ),
        escape_html(&after),
    ];
    let html = html_with_button(&lead, "Choose a plan", link, "");
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html,
        message_id: format!("{}.trial-ending.{index}@switchboard.local", sub.workspace_id),
    }
}
