//! Phone carriers behind one trait: search for numbers, order them, point
//! their callbacks at us, list an account's numbers, release them. The
//! **sandbox** ([`sandbox`], the default) needs no account: a fixed
//! catalogue of fictional numbers whose ownership lives in files under the
//! data folder, so every process of one installation sees the same numbers
//! (as they would at a real carrier). **Twilio** and **Telnyx** talk to the
//! vendors' APIs, or to a local mock of them (their base URLs are settings).
//!
//! The platform's own carrier buys numbers for workspaces; a connected
//! (BYOC) account is the same trait built from the customer's credentials.
mod http;
pub mod sandbox;
pub mod telnyx;
pub mod twilio;

use async_trait::async_trait;

/// A number's kind, as SPEC §8 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberType {
    Local,
    National,
    Mobile,
    TollFree,
}

impl NumberType {
    pub const ALL: [NumberType; 4] =
        [NumberType::Local, NumberType::National, NumberType::Mobile, NumberType::TollFree];

    /// As stored and sent: `LOCAL`, `NATIONAL`, `MOBILE`, `TOLL_FREE`.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::Local => "LOCAL",
            NumberType::National => "NATIONAL",
            NumberType::Mobile => "MOBILE",
            NumberType::TollFree => "TOLL_FREE",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberType::Local => "Local",
            NumberType::National => "National",
            NumberType::Mobile => "Mobile",
            NumberType::TollFree => "Toll-free",
        }
    }

    /// `LOCAL`, `local`, `toll_free`, `TOLL-FREE`…
    pub fn parse(raw: &str) -> Option<NumberType> {
        let raw = raw.trim().replace('-', "_");
        NumberType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(&raw))
    }
}

impl TryFrom<String> for NumberType {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        NumberType::parse(&raw).ok_or_else(|| format!("unknown number type {raw:?}"))
    }
}

/// What a number can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Capabilities {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
}

impl Capabilities {
    pub const VOICE: Capabilities = Capabilities { voice: true, sms: false, mms: false };
    pub const VOICE_SMS: Capabilities = Capabilities { voice: true, sms: true, mms: false };
    pub const ALL: Capabilities = Capabilities { voice: true, sms: true, mms: true };

    /// Every capability `wanted` asks for is here.
    pub fn covers(self, wanted: Capabilities) -> bool {
        (self.voice || !wanted.voice) && (self.sms || !wanted.sms) && (self.mms || !wanted.mms)
    }

    /// As stored: `voice,sms,mms` (those present, in that order).
    pub fn to_list(self) -> String {
        let mut parts = Vec::new();
        if self.voice {
            parts.push("voice");
        }
        if self.sms {
            parts.push("sms");
        }
        if self.mms {
            parts.push("mms");
        }
        parts.join(",")
    }

    /// The stored form back; unknown words are ignored.
    pub fn from_list(list: &str) -> Capabilities {
        let mut caps = Capabilities::default();
        for word in list.split(',').map(str::trim) {
            match word.to_ascii_lowercase().as_str() {
                "voice" => caps.voice = true,
                "sms" => caps.sms = true,
                "mms" => caps.mms = true,
                _ => {}
            }
        }
        caps
    }
}

impl From<String> for Capabilities {
    fn from(list: String) -> Self {
        Capabilities::from_list(&list)
    }
}

/// A search for numbers to buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// ISO 3166-1 alpha-2, upper case (`US`, `GB`).
    pub country: String,
    pub number_type: NumberType,
    /// Digits only (`415`).
    pub area_code: Option<String>,
    /// Digits only, anywhere in the national number (`0100`).
    pub contains: Option<String>,
    /// What each result must at least be able to do.
    pub capabilities: Capabilities,
    /// At most this many results.
    pub limit: usize,
}

/// A number the carrier offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    /// E.164 (`+14155550100`).
    pub e164: String,
    pub country: String,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    /// Where it is, when the carrier says (`San Francisco, CA`).
    pub locality: Option<String>,
}

/// A number the account holds at the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNumber {
    /// The carrier's ID for it (Twilio `PN…`, a Telnyx ID, the sandbox's E.164).
    pub carrier_ref: String,
    pub e164: String,
    /// The carrier's friendly name, when it has one.
    pub friendly_name: Option<String>,
    /// ISO 3166-1 alpha-2 when the carrier says; else derived from the number.
    pub country: Option<String>,
    pub number_type: Option<NumberType>,
    pub capabilities: Capabilities,
    /// Where the carrier sends its voice calls now.
    pub voice_url: Option<String>,
}

/// Where the carrier sends a number's calls, call status and SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callbacks {
    pub voice_url: String,
    pub status_url: String,
    pub sms_url: String,
}

/// An order's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// The number is ours.
    Active(OwnedNumber),
    /// The carrier is still completing it (Telnyx): ask again with
    /// [`Carrier::order_status`].
    Pending { order_ref: String },
    /// The carrier refused or gave up; nothing is held. The reason is the
    /// carrier's, safe to show.
    Failed { reason: String },
}

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The carrier's ID for the account (Twilio's AccountSid, a fingerprint
    /// of a Telnyx key): one account links to one workspace.
    pub account_ref: String,
    /// Its friendly name, or a masked ID to show.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// The credentials were refused (401/403).
    #[error("the carrier refused the credentials")]
    Unauthorized,
    /// The number or resource does not exist (404).
    #[error("not found at the carrier")]
    NotFound,
    /// The request cannot work (the number is gone, a bad parameter): the
    /// carrier's message, safe to show.
    #[error("{0}")]
    Rejected(String),
    /// The carrier could not be reached or failed: worth retrying.
    #[error("the carrier is unavailable: {0}")]
    Unavailable(String),
}

/// A carrier account. Every call may be retried with the same arguments.
#[async_trait]
pub trait Carrier: Send + Sync + 'static {
    /// `sandbox`, `twilio` or `telnyx`: stored with each number.
    fn name(&self) -> &'static str;

    /// Checks the credentials; says whose account they open.
    async fn verify(&self) -> Result<AccountInfo, CarrierError>;

    /// Numbers on offer that match `query`, at most `query.limit`.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError>;

    /// Orders `e164` for this account with its callbacks pointed at us.
    /// `reference` is ours (the number's ID): carriers that keep one
    /// (Telnyx's `customer_reference`) store it.
    async fn order(&self, e164: &str, reference: &str, callbacks: &Callbacks) -> Result<OrderState, CarrierError>;

    /// An order that was [`OrderState::Pending`].
    async fn order_status(&self, order_ref: &str) -> Result<OrderState, CarrierError>;

    /// The account's number `e164`, if it holds it: what a reconciliation
    /// asks before ordering again.
    async fn find_number(&self, e164: &str) -> Result<Option<OwnedNumber>, CarrierError>;

    /// Every number the account holds (for the import picker).
    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, CarrierError>;

    /// Points the number's voice, status and SMS callbacks at `callbacks`,
    /// or clears them (`None`, when it leaves us).
    async fn set_callbacks(&self, carrier_ref: &str, callbacks: Option<&Callbacks>) -> Result<(), CarrierError>;

    /// Gives the number back to the carrier. Releasing a number that is
    /// already gone succeeds (a retried release).
    async fn release(&self, carrier_ref: &str) -> Result<(), CarrierError>;
}

/// The ISO country of an E.164 number for the countries the sandbox and
/// the page know (`+1` → `US`, `+44` → `GB`, …); `None` otherwise.
pub fn country_of(e164: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("+1", "US"),
        ("+44", "GB"),
        ("+61", "AU"),
        ("+49", "DE"),
        ("+33", "FR"),
        ("+31", "NL"),
        ("+34", "ES"),
        ("+353", "IE"),
    ];
    PREFIXES.iter().filter(|(p, _)| e164.starts_with(p)).max_by_key(|(p, _)| p.len()).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_round_trip_and_cover() {
        assert_eq!(Capabilities::ALL.to_list(), "voice,sms,mms");
        assert_eq!(Capabilities::from_list("sms, VOICE,fax"), Capabilities::VOICE_SMS);
        assert!(Capabilities::VOICE_SMS.covers(Capabilities::VOICE));
        assert!(!Capabilities::VOICE.covers(Capabilities::VOICE_SMS));
        assert_eq!(NumberType::parse("toll-free"), Some(NumberType::TollFree));
        assert_eq!(NumberType::parse("pager"), None);
        assert_eq!(country_of("+353861234567"), Some("IE"));
        assert_eq!(country_of("+14155550100"), Some("US"));
    }
}
