//! The suppression list's rules: add (Members and Admins through the API,
//! Admins on the Suppression tab), remove (Admins), list and search, the
//! check, and the transaction-level functions consent records and the CSV
//! import use ([`add_in`], [`add_from_consent_in`], [`lift_in`]). Every
//! change writes `suppression.added` / `suppression.removed` in its
//! transaction.
use chrono::{DateTime, SubsecRound, Utc};
use switchboard_core::{ConsentRecordId, SuppressionId};
use switchboard_db::Tx;

use super::model::{NewEntry, Subject, SuppressionChannel, search_text};
use super::store::{self, CheckRow, NewSuppression, Suppression};
use crate::api::pagination;
use crate::audit::{self, Changes, Origin, Target};
use crate::consent::model::{Channel, ConsentMode, Source};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

pub fn not_found() -> AppError {
    AppError::not_found("The suppression")
}

pub fn parse_id(raw: &str) -> AppResult<SuppressionId> {
    raw.parse().map_err(|_| not_found())
}

fn target(s: &Suppression) -> Target {
    Target::new("suppression", &s.id, s.subject().label())
}

/// The entry's fields as an audit entry's changes (all before, or all after).
fn fields(s: &Suppression, added: bool) -> Changes {
    let pick = |v: Option<&str>| if added { (None, v.map(str::to_string)) } else { (v.map(str::to_string), None) };
    let mut changes = Changes::new();
    for (name, value) in [
        ("phone", s.phone.as_deref()),
        ("email", s.email.as_deref()),
        ("channel", Some(s.channel.as_str())),
        ("reason", Some(s.reason.as_str()).filter(|r| !r.is_empty())),
        ("source", Some(s.source.as_str())),
    ] {
        let (before, after) = pick(value);
        changes = changes.field(name, before, after);
    }
    changes
}

/// What [`add_in`] did.
#[derive(Debug)]
pub enum Added {
    /// The entry was written (with its audit entry and event).
    New(Suppression),
    /// The list already had that phone or email for that channel; nothing was written.
    Existing(Suppression),
}

async fn insert_in(
    tx: &mut Tx,
    origin: &Origin,
    entry: &NewEntry,
    source: Source,
    consent_record_id: Option<&ConsentRecordId>,
    now: DateTime<Utc>,
) -> Result<Added, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let ws = &origin.workspace_id;
    let id = SuppressionId::new();
    let text = search_text(&entry.subject, &entry.reason);
    let new = NewSuppression {
        id: &id,
        subject: &entry.subject,
        channel: entry.channel,
        reason: &entry.reason,
        source,
        created_by: &origin.actor_name,
        consent_record_id,
        search_text: &text,
        now,
    };
    if !store::insert(&mut *tx, ws, &new).await? {
        let existing = store::find_entry(&mut *tx, ws, &entry.subject, entry.channel).await?;
        return existing.map(Added::Existing).ok_or(sqlx::Error::RowNotFound);
    }
    let added = store::find(&mut *tx, ws, &id).await?.ok_or(sqlx::Error::RowNotFound)?;
    audit::record(tx, origin, &super::ADDED, &target(&added), &fields(&added, true), now).await?;
    Ok(Added::New(added))
}

/// Adds an entry to the list in the caller's transaction (the CSV import
/// calls this per row): [`Added::New`], or [`Added::Existing`] when the
/// list already had that phone or email for that channel (nothing written).
pub async fn add_in(
    tx: &mut Tx,
    origin: &Origin,
    entry: &NewEntry,
    source: Source,
    now: DateTime<Utc>,
) -> Result<Added, sqlx::Error> {
    insert_in(tx, origin, entry, source, None, now).await
}

/// The entry an opt-out record writes (marked with the record, so an
/// opt-in may lift it later); `None` when the list already had one.
pub async fn add_from_consent_in(
    tx: &mut Tx,
    origin: &Origin,
    entry: &NewEntry,
    source: Source,
    record: Option<&ConsentRecordId>,
    now: DateTime<Utc>,
) -> Result<Option<Suppression>, sqlx::Error> {
    Ok(match insert_in(tx, origin, entry, source, record, now).await? {
        Added::New(s) => Some(s),
        Added::Existing(_) => None,
    })
}

async fn remove_in(tx: &mut Tx, origin: &Origin, s: &Suppression, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    if !store::delete(&mut *tx, &origin.workspace_id, &s.id).await? {
        return Ok(false);
    }
    audit::record(tx, origin, &super::REMOVED, &target(s), &fields(s, false), now.trunc_subsecs(6)).await?;
    Ok(true)
}

/// What an opt-in changed on the list.
#[derive(Debug, Default)]
pub struct Lifted {
    pub removed: Vec<Suppression>,
    /// In GRANULAR mode an `ALL` entry lifted for one channel is replaced by
    /// one for the other channel, which stays blocked.
    pub added: Vec<Suppression>,
}

/// An opt-in for `channel`: lifts the entries a consent record wrote that
/// block it — in UNIVERSAL every one of the subject's; in GRANULAR the
/// channel's own and `ALL` (narrowed to the other channel). Entries added
/// directly (no consent record) stay.
pub async fn lift_in(
    tx: &mut Tx,
    origin: &Origin,
    subject: &Subject,
    channel: Channel,
    mode: ConsentMode,
    now: DateTime<Utc>,
) -> Result<Lifted, sqlx::Error> {
    let mut out = Lifted::default();
    let entries = store::entries_of(&mut *tx, &origin.workspace_id, subject).await?;
    for e in entries.into_iter().filter(|e| e.consent_record_id.is_some() && e.channel.blocks(channel, mode)) {
        if !remove_in(tx, origin, &e, now).await? {
            continue;
        }
        if mode == ConsentMode::Granular && e.channel == SuppressionChannel::All {
            let record: Option<ConsentRecordId> = e.consent_record_id.as_deref().and_then(|id| id.parse().ok());
            let narrowed = NewEntry {
                subject: subject.clone(),
                channel: SuppressionChannel::of(channel.other()),
                reason: e.reason.clone(),
            };
            if let Some(added) = add_from_consent_in(tx, origin, &narrowed, e.source, record.as_ref(), now).await? {
                out.added.push(added);
            }
        }
        out.removed.push(e);
    }
    Ok(out)
}

/// Adds an entry by hand (Members and Admins; the Suppression tab and the
/// API). A duplicate is a 409 `already_suppressed`.
pub async fn add(state: &AppState, ctx: &WorkspaceCtx, entry: NewEntry, source: Source) -> AppResult<Suppression> {
    ctx.require(Permission::EditResources)?;
    let mut tx = state.db.begin().await?;
    let added = add_in(&mut tx, &Origin::from_ctx(ctx), &entry, source, state.clock.now()).await?;
    match added {
        Added::New(s) => {
            tx.commit().await?;
            Ok(s)
        }
        Added::Existing(existing) => Err(AppError::conflict(
            "already_suppressed",
            format!(
                "{} is already on the suppression list for {}.",
                existing.subject().label(),
                match existing.channel {
                    SuppressionChannel::All => "all channels".to_string(),
                    c => c.label().to_string(),
                }
            ),
        )),
    }
}

/// Removes an entry (Admins). Consent records stay: they are the history.
pub async fn remove(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Suppression> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(id)?;
    let mut tx = state.db.begin().await?;
    let s = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if !remove_in(&mut tx, &Origin::from_ctx(ctx), &s, state.clock.now()).await? {
        return Err(not_found());
    }
    tx.commit().await?;
    Ok(s)
}

pub async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Suppression> {
    ctx.require(Permission::ViewWorkspace)?;
    let id = parse_id(id)?;
    store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

/// One page of the list, newest first, searched by phone, email or reason.
pub async fn list_page(
    state: &AppState,
    ctx: &WorkspaceCtx,
    search: &str,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<Suppression>, Option<String>)> {
    ctx.require(Permission::ViewWorkspace)?;
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(cursor)?;
    let after = match after {
        Some((at, id)) => Some((
            at,
            id.parse::<SuppressionId>()
                .map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?,
        )),
        None => None,
    };
    let term = super::model::search_term(search);
    let rows =
        store::list(&state.db, &ctx.workspace.id, &term, after.as_ref().map(|(at, id)| (*at, id)), limit + 1).await?;
    Ok(pagination::page(rows, limit, |s| (s.created_at, s.id.to_string())))
}

/// The check's answer: whether `subject` may be contacted on `channel`,
/// and the entries that block it.
pub async fn check(
    state: &AppState,
    ctx: &WorkspaceCtx,
    subject: &Subject,
    channel: Channel,
) -> AppResult<(bool, Vec<CheckRow>)> {
    ctx.require(Permission::ViewWorkspace)?;
    let rows = store::check(&state.db, &ctx.workspace.id, subject).await?;
    let blocking: Vec<CheckRow> = rows.into_iter().filter(|r| r.channel.blocks(channel, r.mode())).collect();
    Ok((blocking.is_empty(), blocking))
}
