//! How a number reads on the pages: words for its status, type, source and
//! capabilities, credits with separators, times in the workspace's zone.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use switchboard_core::Credits;
use switchboard_providers::carriers::Capabilities;

use crate::phone_numbers::model::{PhoneNumber, Role};
use crate::web::format::credits;
use crate::web::time::{self, TimeView};

/// The capabilities as words: `Voice, SMS, MMS`.
pub fn capabilities(c: Capabilities) -> String {
    let mut words = Vec::new();
    if c.voice {
        words.push("Voice");
    }
    if c.sms {
        words.push("SMS");
    }
    if c.mms {
        words.push("MMS");
    }
    if words.is_empty() { "None".to_string() } else { words.join(", ") }
}

/// An agent a number serves, in one role.
#[derive(Serialize)]
pub struct RoleView {
    pub role: &'static str,
    pub label: &'static str,
    pub agent_id: Option<String>,
    pub agent: Option<String>,
}

#[derive(Serialize)]
pub struct NumberView {
    pub id: String,
    pub e164: String,
    pub display: String,
    pub friendly_name: String,
    pub country: String,
    pub number_type: &'static str,
    pub capabilities: String,
    pub sms: bool,
    pub source: &'static str,
    pub carrier: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub status_detail: Option<String>,
    pub live: bool,
    pub allow_outbound: bool,
    pub roles: Vec<RoleView>,
    /// Serves any agent.
    pub assigned: bool,
    /// Credits a month, e.g. `150`.
    pub monthly_price: String,
    pub created: TimeView,
    pub renews_on: Option<DateView>,
}

/// A day to come (a renewal): the local date, with the instant for `<time>`.
#[derive(Serialize)]
pub struct DateView {
    pub iso: String,
    pub text: String,
}

pub fn date(at: DateTime<Utc>, tz: Tz) -> DateView {
    DateView {
        iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        text: at.with_timezone(&tz).format("%-d %b %Y").to_string(),
    }
}

impl NumberView {
    /// `names`: agent names by ID (a missing one reads as its ID).
    pub fn new(n: &PhoneNumber, names: &HashMap<String, String>, tz: Tz, now: DateTime<Utc>) -> NumberView {
        let roles = Role::ALL
            .into_iter()
            .map(|role| {
                let agent_id = n.agent(role).map(|a| a.to_string());
                let agent = agent_id.as_ref().map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()));
                RoleView { role: role.as_str(), label: role.label(), agent_id, agent }
            })
            .collect();
        NumberView {
            id: n.id.to_string(),
            e164: n.e164.clone(),
            display: n.display(),
            friendly_name: n.friendly_name.clone(),
            country: n.country.clone(),
            number_type: n.number_type.label(),
            capabilities: capabilities(n.capabilities),
            sms: n.capabilities.sms,
            source: n.source.label(),
            carrier: n.carrier.clone(),
            status: n.status.as_str(),
            status_label: n.status.label(),
            status_detail: n.status_detail.clone(),
            live: n.status.is_live(),
            allow_outbound: n.allow_outbound,
            assigned: Role::ALL.into_iter().any(|r| n.agent(r).is_some()),
            roles,
            monthly_price: credits(Credits::from_millis(n.monthly_price)),
            created: time::view(n.created_at, tz, now),
            renews_on: n.renews_on.map(|at| date(at, tz)),
        }
    }
}

/// The agent IDs the numbers serve, for one name look-up.
pub fn agent_ids(numbers: &[PhoneNumber]) -> Vec<String> {
    let mut ids: Vec<String> =
        numbers.iter().flat_map(|n| Role::ALL.into_iter().filter_map(|r| n.agent(r).map(|a| a.to_string()))).collect();
    ids.sort();
    ids.dedup();
    ids
}
