//! A contact's consent, on its page (issue 17): the current consent per
//! channel (what the suppression check answers, the mode applied), the
//! consent history newest first in keyset pages, and the "Record consent"
//! form for Members and Admins. The form's POST writes a `MANUAL` record
//! through [`crate::consent::service::record`], the same write the API
//! uses: an opt-out adds the suppression entry and an opt-in lifts the
//! entries consent records put there, in one transaction with their audit
//! entries. The section is drawn by `consent/_contact_history.html`.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::pages::{FormState, render_form};
use super::service;
use super::store::Contact;
use crate::consent::model::{Channel, ConsentMode, ConsentStatus, MAX_PROOF_CHARS, Source, parse_text};
use crate::consent::service::{self as consent, NewRecord};
use crate::consent::store::{ConsentRecord, Whose};
use crate::error::{AppResult, FieldError};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::suppressions::model::Subject;
use crate::web::{Flash, Page, redirect_with_flash, time};

/// Records per page of the history.
const HISTORY_PAGE: i64 = 20;

/// What the section shows besides the stored data: the page of the history
/// asked for (`?consent_cursor=`), and a refused form's values and messages.
#[derive(Debug, Default)]
pub struct Shown {
    pub cursor: Option<String>,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct RecordView {
    channel: &'static str,
    status: &'static str,
    opted_in: bool,
    source: &'static str,
    when: time::TimeView,
    proof: String,
    /// The proof as a link, when it is one http(s) URL and nothing else.
    proof_url: Option<String>,
    actor: String,
}

#[derive(Serialize)]
struct ChannelView {
    label: &'static str,
    allowed: bool,
    /// The blocking entry's reason ("Opted out (SMS)", "Asked us by email").
    reason: Option<String>,
}

/// A proof that is a single http(s) URL; anything else (a `javascript:`
/// URL included) is shown as text only.
fn proof_link(proof: &str) -> Option<String> {
    let text = proof.trim();
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Who consent is recorded for: the contact's phone, or its email when it
/// has no phone (the same subject the suppression check is asked about).
fn subject_of(contact: &Contact) -> Option<Subject> {
    match (&contact.phone, &contact.email) {
        (Some(phone), _) => Some(Subject::Phone(phone.clone())),
        (None, Some(email)) => Some(Subject::Email(email.clone())),
        (None, None) => None,
    }
}

/// The section's context (`consent` in the contact page's template).
pub async fn context(
    state: &AppState,
    ctx: &WorkspaceCtx,
    contact: &Contact,
    shown: &Shown,
) -> AppResult<minijinja::Value> {
    let id = contact.id.to_string();
    let cursor = shown.cursor.as_deref().filter(|c| !c.is_empty());
    let (rows, next) = consent::history(state, ctx, Whose::Contact(&id), cursor, HISTORY_PAGE).await?;
    let (now, tz) = (state.clock.now(), ctx.workspace.tz());
    let records: Vec<RecordView> = rows
        .into_iter()
        .map(|r: ConsentRecord| RecordView {
            channel: r.channel.label(),
            status: r.status.label(),
            opted_in: r.status == ConsentStatus::OptedIn,
            source: r.source.label(),
            when: time::view(r.created_at, tz, now),
            proof_url: proof_link(&r.proof),
            proof: r.proof,
            actor: r.actor,
        })
        .collect();
    let mut current = Vec::new();
    if let Some(subject) = subject_of(contact) {
        for channel in Channel::ALL {
            let (allowed, blocking) = crate::suppressions::service::check(state, ctx, &subject, channel).await?;
            let reason = blocking.into_iter().next().map(|b| b.reason).filter(|r| !r.is_empty());
            current.push(ChannelView { label: channel.label(), allowed, reason });
        }
    }
    let mode = consent::settings(state, ctx).await?.mode;
    let older_url = next.map(|next| {
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("consent_cursor", &next).finish();
        format!("/contacts/{id}?{query}#consent-history")
    });
    let value = |k: &str| shown.values.get(k).cloned().unwrap_or_default();
    Ok(context! {
        records => records,
        first_page => cursor.is_none(),
        older_url => older_url,
        newest_url => format!("/contacts/{id}#consent-history"),
        current => current,
        mode => mode.label(),
        universal => mode == ConsentMode::Universal,
        action => format!("/contacts/{id}/consent"),
        channels => Channel::ALL.iter().map(|c| (c.as_str(), c.label())).collect::<Vec<_>>(),
        statuses => [ConsentStatus::OptedIn, ConsentStatus::OptedOut]
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect::<Vec<_>>(),
        values => context! { channel => value("channel"), status => value("status"), proof => value("proof") },
        errors => shown.errors.clone(),
        max_proof => MAX_PROOF_CHARS,
    })
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    proof: String,
}

impl ConsentForm {
    /// The record to write, or each problem by its field.
    fn parse(&self, contact: &Contact) -> Result<NewRecord, Vec<FieldError>> {
        let mut errors = Vec::new();
        let channel = Channel::parse(&self.channel);
        if channel.is_none() {
            errors.push(FieldError::new("channel", "Choose Calls or SMS."));
        }
        let status = ConsentStatus::parse(&self.status);
        if status.is_none() {
            errors.push(FieldError::new("status", "Choose Opted in or Opted out."));
        }
        let proof = parse_text(&self.proof, MAX_PROOF_CHARS, "proof")
            .map_err(|m| errors.push(FieldError::new("proof", m)))
            .ok();
        let subject = subject_of(contact);
        if subject.is_none() {
            errors.push(FieldError::new("channel", "Give the contact a phone number or an email first."));
        }
        match (subject, channel, status, proof) {
            (Some(subject), Some(channel), Some(status), Some(proof)) if errors.is_empty() => Ok(NewRecord {
                subject,
                contact_id: Some(contact.id.clone()),
                channel,
                status,
                source: Source::Manual,
                proof,
            }),
            _ => Err(errors),
        }
    }

    fn refused(self, errors: Vec<FieldError>) -> Shown {
        let values = BTreeMap::from([
            ("channel".to_string(), self.channel),
            ("status".to_string(), self.status),
            ("proof".to_string(), self.proof),
        ]);
        let mut by_field = BTreeMap::new();
        for e in errors {
            by_field.entry(e.field).or_insert(e.message);
        }
        Shown { cursor: None, values, errors: by_field }
    }
}

/// `POST /contacts/{id}/consent`: records the contact's consent by hand.
pub async fn record_consent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ConsentForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let contact = service::find(&state, &ctx, &id).await?;
    match form.parse(&contact) {
        Ok(new) => {
            let message = format!("Consent recorded: {} — {}.", new.channel.label(), new.status.label());
            consent::record(&state, &ctx, new).await?;
            Ok(redirect_with_flash(&format!("/contacts/{}", contact.id), Flash::success(message)))
        }
        Err(errors) => {
            let mut shown = FormState::of(&contact);
            shown.consent = form.refused(errors);
            render_form(&state, &ctx, &page, Some(&contact), shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::proof_link;

    #[test]
    fn only_a_lone_http_url_is_a_link() {
        assert_eq!(proof_link(" https://forms.example/1 ").as_deref(), Some("https://forms.example/1"));
        assert!(proof_link("http://example.com/a?b=c").is_some());
        for text in ["javascript:alert(1)", "SMS \"STOP\" (twilio message SM1)", "see https://x.example", "", "ftp://x"]
        {
            assert_eq!(proof_link(text), None, "{text:?}");
        }
    }
}
