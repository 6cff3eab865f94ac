//! A phone number as the pages and the API show it: its status, where it
//! came from, how it reads for people. Pure; unit-tested here.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{AgentId, CarrierAccountId, PhoneNumberId, WorkspaceId};
use switchboard_providers::carriers::{Capabilities, NumberType};

/// Where a number stands (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = PhoneNumberStatus)]
pub enum NumberStatus {
    /// Charged, the carrier's order not yet complete.
    Pending,
    Active,
    /// The renewal could not be paid; released after a 7-day grace.
    PastDue,
    /// The carrier refused the order (the charge was refunded).
    Failed,
    Released,
    /// Imported from a carrier account that was disconnected.
    Disconnected,
}

impl NumberStatus {
    pub const ALL: [NumberStatus; 6] = [
        NumberStatus::Pending,
        NumberStatus::Active,
        NumberStatus::PastDue,
        NumberStatus::Failed,
        NumberStatus::Released,
        NumberStatus::Disconnected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Pending => "PENDING",
            NumberStatus::Active => "ACTIVE",
            NumberStatus::PastDue => "PAST_DUE",
            NumberStatus::Failed => "FAILED",
            NumberStatus::Released => "RELEASED",
            NumberStatus::Disconnected => "DISCONNECTED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberStatus::Pending => "Pending",
            NumberStatus::Active => "Active",
            NumberStatus::PastDue => "Past due",
            NumberStatus::Failed => "Failed",
            NumberStatus::Released => "Released",
            NumberStatus::Disconnected => "Disconnected",
        }
    }

    pub fn parse(raw: &str) -> Option<NumberStatus> {
        let raw = raw.trim();
        NumberStatus::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }

    /// Held by the workspace (counts against the plan's limit, can take calls).
    pub fn is_live(self) -> bool {
        matches!(self, NumberStatus::Pending | NumberStatus::Active | NumberStatus::PastDue)
    }
}

impl TryFrom<String> for NumberStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        NumberStatus::parse(&raw).ok_or_else(|| format!("unknown number status {raw:?}"))
    }
}

/// Bought through the platform's carrier, or imported from a connected account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schema(as = PhoneNumberSource)]
pub enum NumberSource {
    Platform,
    Imported,
}

impl NumberSource {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberSource::Platform => "PLATFORM",
            NumberSource::Imported => "IMPORTED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberSource::Platform => "Bought here",
            NumberSource::Imported => "Imported",
        }
    }
}

impl TryFrom<String> for NumberSource {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        match raw.as_str() {
            "PLATFORM" => Ok(NumberSource::Platform),
            "IMPORTED" => Ok(NumberSource::Imported),
            _ => Err(format!("unknown number source {raw:?}")),
        }
    }
}

/// The three things a number can do for agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = PhoneNumberRole)]
pub enum Role {
    Inbound,
    Outbound,
    Sms,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Inbound, Role::Outbound, Role::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inbound => "inbound",
            Role::Outbound => "outbound",
            Role::Sms => "sms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Inbound => "Inbound calls",
            Role::Outbound => "Outbound calls",
            Role::Sms => "SMS",
        }
    }

    /// The column holding this role's agent.
    pub fn column(self) -> &'static str {
        match self {
            Role::Inbound => "inbound_agent_id",
            Role::Outbound => "outbound_agent_id",
            Role::Sms => "sms_agent_id",
        }
    }
}

/// One row of `phone_numbers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    pub id: PhoneNumberId,
    pub workspace_id: WorkspaceId,
    pub e164: String,
    pub friendly_name: String,
    pub country: String,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub source: NumberSource,
    /// `sandbox`, `twilio`, `telnyx` or `sip`.
    pub carrier: String,
    pub carrier_account_id: Option<CarrierAccountId>,
    pub carrier_ref: Option<String>,
    pub carrier_order_ref: Option<String>,
    /// Milli-credits a month (0 for imported numbers).
    pub monthly_price: i64,
    pub status: NumberStatus,
    pub status_detail: Option<String>,
    pub allow_outbound: bool,
    pub inbound_agent_id: Option<AgentId>,
    pub outbound_agent_id: Option<AgentId>,
    pub sms_agent_id: Option<AgentId>,
    pub period_start: Option<DateTime<Utc>>,
    pub renews_on: Option<DateTime<Utc>>,
    pub past_due_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

impl PhoneNumber {
    /// How people read it: `+1 415 555 0100`.
    pub fn display(&self) -> String {
        display(&self.e164)
    }

    /// The agent serving `role`.
    pub fn agent(&self, role: Role) -> Option<&AgentId> {
        match role {
            Role::Inbound => self.inbound_agent_id.as_ref(),
            Role::Outbound => self.outbound_agent_id.as_ref(),
            Role::Sms => self.sms_agent_id.as_ref(),
        }
    }
}

/// An E.164 number grouped for people (`+14155550100` → `+1 415 555 0100`),
/// by libphonenumber's international format with spaces for its dashes;
/// what it cannot parse is shown as given.
pub fn display(e164: &str) -> String {
    match phonenumber::parse(None, e164) {
        Ok(number) => number.format().mode(phonenumber::Mode::International).to_string().replace('-', " "),
        Err(_) => e164.to_string(),
    }
}

/// A number typed by a person in any common way (`+1 (415) 555-0100`,
/// `0044…`) as E.164, or `None` when it is not one. Fictional ranges are
/// numbers too: only the shape is checked, not libphonenumber's validity.
pub fn parse_e164(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let rest = raw.strip_prefix('+').or_else(|| raw.strip_prefix("00"))?;
    if raw.len() > 40 || !rest.chars().all(|c| c.is_ascii_digit() || " -().".contains(c)) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (8..=15).contains(&digits.len()).then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(display("+14155550100"), "+1 415 555 0100");
        assert_eq!(display("+442079460000"), "+44 20 7946 0000");
        assert_eq!(display("+61491570006"), "+61 491 570 006");
        assert_eq!(display("not a number"), "not a number");
    }

    #[test]
    fn typed_numbers_become_e164() {
        assert_eq!(parse_e164(" +1 (415) 555-0100 ").as_deref(), Some("+14155550100"));
        assert_eq!(parse_e164("0044 20 7946 0000").as_deref(), Some("+442079460000"));
        for bad in ["4155550100", "+1 415", "+1 415 555 0100 ext 2", "+1234567890123456"] {
            assert_eq!(parse_e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in NumberStatus::ALL {
            assert_eq!(NumberStatus::parse(s.as_str()), Some(s));
        }
        assert!(NumberStatus::PastDue.is_live() && !NumberStatus::Released.is_live());
    }
}
