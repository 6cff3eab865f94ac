//! The consent rules: the workspace's mode and keywords (Admins), and
//! consent records, which are append-only and move the suppression list in
//! the same transaction ([`record_in`]). Pages, the API, the inbound-SMS
//! keywords and the CSV import all come through here.
use chrono::{DateTime, SubsecRound, Utc};
use switchboard_core::{ConsentRecordId, ContactId, WorkspaceId};
use switchboard_db::Tx;

use super::model::{Channel, ConsentMode, ConsentStatus, Keywords, Source};
use super::store::{self, ConsentRecord, ConsentSettings, Whose};
use crate::api::pagination;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::suppressions::model::{NewEntry, Subject, SuppressionChannel};
use crate::suppressions::store::Suppression;

/// The workspace's mode and keywords (every role may read them).
pub async fn settings(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<ConsentSettings> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(store::settings(&state.db, &ctx.workspace.id).await?)
}

fn settings_target(ctx: &WorkspaceCtx) -> Target {
    Target::new("consent_settings", &ctx.workspace.id, "Consent settings")
}

/// Sets the mode; no entry when it is already that. Entries already on the
/// suppression list stay as they are: the check applies the mode when it
/// reads them.
pub async fn set_mode(state: &AppState, ctx: &WorkspaceCtx, mode: ConsentMode) -> AppResult<ConsentSettings> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let mut settings = store::settings_for_update(&mut tx, &ctx.workspace.id, now).await?;
    if settings.mode != mode {
        let changes = Changes::new().field("mode", settings.mode, mode);
        settings.mode = mode;
        store::save(&mut tx, &ctx.workspace.id, &settings, now).await?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::MODE_CHANGED, &settings_target(ctx), &changes, now)
            .await?;
    }
    let settings = store::settings(&mut tx, &ctx.workspace.id).await?;
    tx.commit().await?;
    Ok(settings)
}

/// Replaces both keyword lists (checked by [`Keywords::parse`]); no entry
/// when nothing changed.
pub async fn set_keywords(state: &AppState, ctx: &WorkspaceCtx, keywords: Keywords) -> AppResult<ConsentSettings> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let mut settings = store::settings_for_update(&mut tx, &ctx.workspace.id, now).await?;
    let changes = Changes::new().field("opt_out_keywords", &settings.keywords.opt_out, &keywords.opt_out).field(
        "opt_in_keywords",
        &settings.keywords.opt_in,
        &keywords.opt_in,
    );
    if !changes.is_empty() {
        settings.keywords = keywords;
        store::save(&mut tx, &ctx.workspace.id, &settings, now).await?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::KEYWORDS_CHANGED, &settings_target(ctx), &changes, now)
            .await?;
    }
    let settings = store::settings(&mut tx, &ctx.workspace.id).await?;
    tx.commit().await?;
    Ok(settings)
}

/// A consent record to write.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub subject: Subject,
    /// The contact it is about, when the caller knows it; otherwise the
    /// contacts with that phone number are looked up ([`linked_contacts`]).
    pub contact_id: Option<ContactId>,
    pub channel: Channel,
    pub status: ConsentStatus,
    pub source: Source,
    /// The message text and its carrier message ID, a URL, a note.
    pub proof: String,
}

/// What [`record_in`] wrote: the records (one per linked contact, or one
/// without a contact) and the suppression entries it added or lifted.
#[derive(Debug, Default)]
pub struct Recorded {
    pub records: Vec<ConsentRecord>,
    pub added: Vec<Suppression>,
    pub removed: Vec<Suppression>,
}

/// The contacts a phone number's consent belongs to (every contact with
/// that phone). Consent given by email is kept against the email only.
async fn linked_contacts(tx: &mut Tx, ws: &WorkspaceId, subject: &Subject) -> Result<Vec<ContactId>, sqlx::Error> {
    match subject.phone() {
        Some(phone) => crate::contacts::store::ids_by_phone(&mut *tx, ws, phone).await,
        None => Ok(Vec::new()),
    }
}

/// Writes a consent record and, in the same transaction, moves the
/// suppression list (the CSV import calls this per row):
///
/// - an opt-out adds an entry — the record's channel in GRANULAR mode,
///   `ALL` in UNIVERSAL mode — unless the list already has it;
/// - an opt-in lifts the entries that block that channel (in UNIVERSAL:
///   all of them), but only entries a consent record wrote. An entry added
///   to the list directly (by an Admin on the Suppression tab, a service
///   through the suppressions API, a list import) is never lifted by START
///   or an opt-in record: only removing it does. That is the safe choice
///   for compliance — a manual block is a decision a person made.
///
/// Each record gets its `consent.changed` entry, each entry added or lifted
/// its `suppression.added` / `suppression.removed`, all by `origin`.
pub async fn record_in(
    tx: &mut Tx,
    origin: &Origin,
    new: &NewRecord,
    now: DateTime<Utc>,
) -> Result<Recorded, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let ws = &origin.workspace_id;
    let mode = store::settings(&mut *tx, ws).await?.mode;
    let contacts = match &new.contact_id {
        Some(id) => vec![id.clone()],
        None => linked_contacts(tx, ws, &new.subject).await?,
    };
    let contacts: Vec<Option<ContactId>> =
        if contacts.is_empty() { vec![None] } else { contacts.into_iter().map(Some).collect() };
    let mut out = Recorded::default();
    for contact in contacts {
        let record = ConsentRecord {
            id: ConsentRecordId::new(),
            contact_id: contact.map(|c| c.to_string()),
            phone: new.subject.phone().map(str::to_string),
            email: new.subject.email().map(str::to_string),
            channel: new.channel,
            status: new.status,
            source: new.source,
            proof: new.proof.clone(),
            actor: origin.actor_name.clone(),
            created_at: now,
        };
        store::insert_record(&mut *tx, ws, &record).await?;
        let changes = Changes::new()
            .field("phone", None::<&str>, record.phone.as_deref())
            .field("email", None::<&str>, record.email.as_deref())
            .field("contact_id", None::<&str>, record.contact_id.as_deref())
            .field("channel", None::<&str>, Some(record.channel.as_str()))
            .field("status", None::<&str>, Some(record.status.as_str()))
            .field("source", None::<&str>, Some(record.source.as_str()))
            .field("proof", None::<&str>, Some(record.proof.as_str()));
        let target = Target::new("consent_record", &record.id, new.subject.label());
        audit::record(tx, origin, &super::CHANGED, &target, &changes, now).await?;
        out.records.push(record);
    }
    let first = out.records.first().map(|r| r.id.clone());
    match new.status {
        ConsentStatus::OptedOut => {
            let channel = match mode {
                ConsentMode::Universal => SuppressionChannel::All,
                ConsentMode::Granular => SuppressionChannel::of(new.channel),
            };
            let entry = NewEntry { subject: new.subject.clone(), channel, reason: opt_out_reason(new) };
            let added =
                crate::suppressions::service::add_from_consent_in(tx, origin, &entry, new.source, first.as_ref(), now)
                    .await?;
            out.added.extend(added);
        }
        ConsentStatus::OptedIn => {
            let lifted =
                crate::suppressions::service::lift_in(tx, origin, &new.subject, new.channel, mode, now).await?;
            out.added.extend(lifted.added);
            out.removed.extend(lifted.removed);
        }
    }
    Ok(out)
}

fn opt_out_reason(new: &NewRecord) -> String {
    match new.source {
        Source::Keyword => format!("Opted out by SMS ({})", new.channel.label()),
        Source::Import => format!("Opted out ({}), imported", new.channel.label()),
        Source::Api => format!("Opted out ({}), reported through the API", new.channel.label()),
        Source::Manual => format!("Opted out ({})", new.channel.label()),
    }
}

/// A consent record from the API (Members and Admins): written with the
/// suppression list's change in one transaction.
pub async fn record(state: &AppState, ctx: &WorkspaceCtx, new: NewRecord) -> AppResult<Recorded> {
    ctx.require(Permission::EditResources)?;
    let mut tx = state.db.begin().await?;
    let recorded = record_in(&mut tx, &Origin::from_ctx(ctx), &new, state.clock.now()).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// One page of a phone's, email's or contact's consent history, newest
/// first, and the cursor of the next page.
pub async fn history(
    state: &AppState,
    ctx: &WorkspaceCtx,
    whose: Whose<'_>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<ConsentRecord>, Option<String>)> {
    ctx.require(Permission::ViewWorkspace)?;
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(cursor)?;
    let after = match after {
        Some((at, id)) => Some((
            at,
            id.parse::<ConsentRecordId>()
                .map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?,
        )),
        None => None,
    };
    let rows = store::records(&state.db, &ctx.workspace.id, whose, after.as_ref().map(|(at, id)| (*at, id)), limit + 1)
        .await?;
    Ok(pagination::page(rows, limit, |r| (r.created_at, r.id.to_string())))
}
