//! Opt-out and opt-in keywords in inbound SMS: the one function the
//! carriers' SMS callback (`phone_numbers::inbound::keep_sms`) calls, in
//! the transaction that keeps the message, and only when the message was
//! new — so a retried callback with the same carrier message ID records
//! nothing twice.
//!
//! The rule ([`super::model::Keywords::match_message`]): the whole message,
//! trimmed of white space and punctuation, compared case-insensitively
//! with the workspace's keywords. `stop`, ` STOP `, `Stop.` match;
//! `please stop calling` does not.
use chrono::{DateTime, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::model::{Channel, ConsentMode, ConsentStatus, KeywordMatch, MAX_PROOF_CHARS, Source};
use super::service::{NewRecord, Recorded, record_in};
use super::store;
use crate::audit::Origin;
use crate::suppressions::model::Subject;

/// The SMS as the carrier described it.
pub struct InboundSms<'a> {
    /// The sender, E.164 when it parsed as a number.
    pub from: &'a str,
    pub body: &'a str,
    /// `twilio`, `telnyx`.
    pub carrier: &'a str,
    /// The carrier's message ID.
    pub message_ref: &'a str,
}

/// Records consent when the message is one of the workspace's keywords
/// (by the System): an opt-out keyword opts the sender out of SMS — of
/// every channel in UNIVERSAL mode, one record per channel — and an
/// opt-in keyword opts them back in; the suppression list follows in the
/// same transaction. `None` when the message is not a keyword or the
/// sender is not a phone number.
pub async fn on_inbound_sms(
    tx: &mut Tx,
    ws: &WorkspaceId,
    sms: &InboundSms<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Recorded>, sqlx::Error> {
    let settings = store::settings(&mut *tx, ws).await?;
    let Some(matched) = settings.keywords.match_message(sms.body) else { return Ok(None) };
    let Some(from) = crate::phone_numbers::model::parse_e164(sms.from) else { return Ok(None) };
    let status = match matched {
        KeywordMatch::OptOut => ConsentStatus::OptedOut,
        KeywordMatch::OptIn => ConsentStatus::OptedIn,
    };
    let channels: &[Channel] = match settings.mode {
        ConsentMode::Universal => &Channel::ALL,
        ConsentMode::Granular => &[Channel::Sms],
    };
    let text: String = sms.body.trim().chars().take(MAX_PROOF_CHARS - 200).collect();
    let proof = format!("SMS \"{text}\" ({} message {})", sms.carrier, sms.message_ref);
    let origin = Origin::system(ws.clone());
    let mut out = Recorded::default();
    for channel in channels {
        let new = NewRecord {
            subject: Subject::Phone(from.clone()),
            contact_id: None,
            channel: *channel,
            status,
            source: Source::Keyword,
            proof: proof.clone(),
        };
        let recorded = record_in(tx, &origin, &new, now).await?;
        out.records.extend(recorded.records);
        out.added.extend(recorded.added);
        out.removed.extend(recorded.removed);
    }
    Ok(Some(out))
}
