//! The `email.send` job: an [`EmailMessage`] delivered through
//! `state.email`, so a request never waits on (or loses) a send.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{JobId, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::email::{EmailError, EmailMessage};

use super::{Job, JobError, JobHandler, NewJob};
use crate::state::AppState;

pub const KIND: &str = "email.send";

/// Enqueues `message` in the caller's transaction, due at `now`.
pub async fn enqueue_email(
    tx: &mut Tx,
    workspace_id: Option<WorkspaceId>,
    message: &EmailMessage,
    now: DateTime<Utc>,
) -> Result<JobId, sqlx::Error> {
    let payload = serde_json::to_value(message).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    super::enqueue(tx, NewJob { kind: KIND, payload, workspace_id, run_at: now }).await
}

/// Sends an `email.send` job's message. A transient failure is retried; a
/// permanent one (bad address, refused) fails the job.
pub struct SendEmail;

#[async_trait]
impl JobHandler for SendEmail {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let message: EmailMessage = job.payload_as()?;
        send(state, &message).await
    }
}

/// Sends `message` through `state.email` as a job does: a transient failure
/// is retried, a permanent one fails the job.
pub async fn send(state: &AppState, message: &EmailMessage) -> Result<(), JobError> {
    tracing::debug!(sender = state.email.kind(), message_id = %message.message_id, "sending email");
    state.email.send(message).await.map_err(|err| match err {
        EmailError::Transient(msg) => JobError::Retry(msg),
        EmailError::Permanent(msg) => JobError::Permanent(msg),
    })
}

/// `s` safe inside HTML text and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The HTML part of an email that asks for one action: the `lead`
/// paragraphs (already HTML), a button to `href`, then the link spelled out
/// for clients that hide buttons, followed by `after_link` (already HTML).
pub fn html_with_button(lead: &[String], label: &str, href: &str, after_link: &str) -> String {
    let lead: String = lead.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">{lead}\
         <p><a href=\"{href}\" style=\"display:inline-block;padding:8px 14px;background:#4338ca;color:#fff;border-radius:6px;text-decoration:none\">{label}</a></p>\
         <p style=\"color:#555\">Or open this link: {href}{after_link}</p></body></html>",
        href = escape_html(href),
        label = escape_html(label),
    )
}
