//! The sandbox carrier: a fixed catalogue of fictional numbers (the ranges
//! regulators set aside for drama and examples: NANP `555-01xx`, Ofcom's
//! `020 7946 0xxx`, `07700 900xxx` and `0306 999 0xxx`, ACMA's
//! `0491 570 xxx`) and ownership kept as one file per number in a folder,
//! so every process sharing the data folder sees one carrier: a number
//! ordered twice is refused the second time, exactly as at a real carrier.
//!
//! On purpose, for tests and demos:
//! - a number ending in `0199` is refused when ordered (the order fails);
//! - a number ending in `0198` completes asynchronously, like a Telnyx
//!   number order: [`Carrier::order`] answers `Pending`, and the first
//!   [`Carrier::order_status`] after it completes the order.
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    AccountInfo, AvailableNumber, Callbacks, Capabilities, Carrier, CarrierError, NumberType, OrderState, OwnedNumber,
    SearchQuery,
};

/// A block of 100 consecutive fictional numbers.
struct Range {
    country: &'static str,
    number_type: NumberType,
    /// E.164 without the last two digits.
    prefix: &'static str,
    /// Digits of the national number an "area code" search matches.
    area_code: &'static str,
    locality: &'static str,
    capabilities: Capabilities,
}

const RANGES: &[Range] = &[
    range("US", NumberType::Local, "+141555501", "415", "San Francisco, CA", Capabilities::ALL),
    range("US", NumberType::Local, "+121255501", "212", "New York, NY", Capabilities::ALL),
    range("US", NumberType::Local, "+131255501", "312", "Chicago, IL", Capabilities::VOICE_SMS),
    range("US", NumberType::Local, "+151255501", "512", "Austin, TX", Capabilities::VOICE),
    range("US", NumberType::TollFree, "+180055501", "800", "United States", Capabilities::VOICE_SMS),
    range("GB", NumberType::Local, "+4420794600", "20", "London", Capabilities::VOICE),
    range("GB", NumberType::Mobile, "+4477009000", "7700", "United Kingdom", Capabilities::VOICE_SMS),
    range("GB", NumberType::National, "+4430699900", "306", "United Kingdom", Capabilities::VOICE),
    range("AU", NumberType::Mobile, "+614915700", "491", "Australia", Capabilities::VOICE_SMS),
];

const fn range(
    country: &'static str,
    number_type: NumberType,
    prefix: &'static str,
    area_code: &'static str,
    locality: &'static str,
    capabilities: Capabilities,
) -> Range {
    Range { country, number_type, prefix, area_code, locality, capabilities }
}

/// The countries the catalogue has numbers in.
pub const COUNTRIES: &[&str] = &["US", "GB", "AU"];

/// Ending that makes an order fail.
pub const FAILING_SUFFIX: &str = "0199";
/// Ending that makes an order complete asynchronously.
pub const ASYNC_SUFFIX: &str = "0198";

/// What is kept per owned number.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holding {
    e164: String,
    reference: String,
    pending: bool,
    voice_url: Option<String>,
    status_url: Option<String>,
    sms_url: Option<String>,
}

pub struct SandboxCarrier {
    dir: PathBuf,
}

impl SandboxCarrier {
    /// Ownership lives in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<SandboxCarrier> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(SandboxCarrier { dir })
    }

    fn path_of(&self, e164: &str) -> Option<PathBuf> {
        let digits = e164.strip_prefix('+')?;
        (!digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| self.dir.join(format!("{digits}.json")))
    }

    fn read(&self, path: &Path) -> Result<Option<Holding>, CarrierError> {
        crate::fs_util::read_json(path).map_err(|e| unavailable(&e))
    }

    fn write(&self, path: &Path, holding: &Holding) -> Result<(), CarrierError> {
        let bytes = serde_json::to_vec(holding).map_err(|e| unavailable(&e))?;
        crate::fs_util::write_atomically(path, &bytes).map_err(|e| unavailable(&e))
    }

    fn owned(&self, holding: &Holding) -> Option<OwnedNumber> {
        let (range, _) = find(&holding.e164)?;
        Some(OwnedNumber {
            carrier_ref: holding.e164.clone(),
            e164: holding.e164.clone(),
            friendly_name: None,
            country: Some(range.country.to_string()),
            number_type: Some(range.number_type),
            capabilities: range.capabilities,
            voice_url: holding.voice_url.clone(),
        })
    }

    fn holdings(&self) -> Result<Vec<Holding>, CarrierError> {
        let mut out: Vec<Holding> =
            crate::fs_util::read_json_files(&self.dir, |_| true).map_err(|e| unavailable(&e))?;
        out.sort_by(|a, b| a.e164.cmp(&b.e164));
        Ok(out)
    }
}

fn unavailable(e: &dyn std::fmt::Display) -> CarrierError {
    CarrierError::Unavailable(format!("sandbox carrier: {e}"))
}

/// The catalogue range holding `e164`, and its last two digits.
fn find(e164: &str) -> Option<(&'static Range, u8)> {
    RANGES.iter().find_map(|r| {
        let rest = e164.strip_prefix(r.prefix)?;
        (rest.len() == 2).then(|| rest.parse::<u8>().ok()).flatten().map(|n| (r, n))
    })
}

/// The national significant number of a catalogue number (after the country code).
fn national(range: &Range, e164: &str) -> String {
    let code = match range.country {
        "US" => "+1",
        "GB" => "+44",
        _ => "+61",
    };
    e164.strip_prefix(code).unwrap_or(e164).to_string()
}

#[async_trait]
impl Carrier for SandboxCarrier {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn verify(&self) -> Result<AccountInfo, CarrierError> {
        Ok(AccountInfo { account_ref: "sandbox".into(), label: "Sandbox carrier".into() })
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        let mut found = Vec::new();
        for range in RANGES.iter().filter(|r| {
            r.country.eq_ignore_ascii_case(&query.country)
                && r.number_type == query.number_type
                && r.capabilities.covers(query.capabilities)
        }) {
            for n in 0..100u8 {
                if found.len() >= query.limit {
                    return Ok(found);
                }
                let e164 = format!("{}{n:02}", range.prefix);
                let national = national(range, &e164);
                if query
                    .area_code
                    .as_deref()
                    .is_some_and(|a| !national.starts_with(a) || !range.area_code.starts_with(a))
                    || query.contains.as_deref().is_some_and(|c| !national.contains(c))
                {
                    continue;
                }
                let path = self.path_of(&e164).ok_or_else(|| unavailable(&"bad catalogue number"))?;
                if path.exists() {
                    continue;
                }
                found.push(AvailableNumber {
                    e164,
                    country: range.country.into(),
                    number_type: range.number_type,
                    capabilities: range.capabilities,
                    locality: Some(range.locality.into()),
                });
            }
        }
        Ok(found)
    }

    async fn order(&self, e164: &str, reference: &str, callbacks: &Callbacks) -> Result<OrderState, CarrierError> {
        if find(e164).is_none() {
            return Err(CarrierError::Rejected(format!("{e164} is not a number the sandbox carrier offers.")));
        }
        let path = self.path_of(e164).ok_or_else(|| CarrierError::Rejected("Not an E.164 number.".into()))?;
        if let Some(held) = self.read(&path)? {
            // A retried order with our reference gets the same answer; anyone else's is refused.
            return if held.reference == reference {
                Ok(self.state_of(&held))
            } else {
                Err(CarrierError::Rejected(format!("{e164} is no longer available.")))
            };
        }
        if e164.ends_with(FAILING_SUFFIX) {
            return Ok(OrderState::Failed {
                reason: format!(
                    "The sandbox carrier could not complete the order for {e164} (numbers ending in {FAILING_SUFFIX} always fail)."
                ),
            });
        }
        let holding = Holding {
            e164: e164.into(),
            reference: reference.into(),
            pending: e164.ends_with(ASYNC_SUFFIX),
            voice_url: Some(callbacks.voice_url.clone()),
            status_url: Some(callbacks.status_url.clone()),
            sms_url: Some(callbacks.sms_url.clone()),
        };
        // Claim the number exclusively: of two processes ordering it at once, one wins.
        let bytes = serde_json::to_vec(&holding).map_err(|e| unavailable(&e))?;
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(&bytes).and_then(|()| file.sync_all()).map_err(|e| unavailable(&e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CarrierError::Rejected(format!("{e164} is no longer available.")));
            }
            Err(e) => return Err(unavailable(&e)),
        }
        Ok(self.state_of(&holding))
    }

    async fn order_status(&self, order_ref: &str) -> Result<OrderState, CarrierError> {
        let e164 = order_ref.strip_prefix("sandbox-order-").ok_or(CarrierError::NotFound)?;
        let path = self.path_of(e164).ok_or(CarrierError::NotFound)?;
        let Some(mut held) = self.read(&path)? else { return Err(CarrierError::NotFound) };
        if held.pending {
            held.pending = false;
            self.write(&path, &held)?;
        }
        Ok(self.state_of(&held))
    }

    async fn find_number(&self, e164: &str) -> Result<Option<OwnedNumber>, CarrierError> {
        let Some(path) = self.path_of(e164) else { return Ok(None) };
        Ok(self.read(&path)?.filter(|h| !h.pending).and_then(|h| self.owned(&h)))
    }

    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        Ok(self.holdings()?.iter().filter(|h| !h.pending).filter_map(|h| self.owned(h)).collect())
    }

    async fn set_callbacks(&self, carrier_ref: &str, callbacks: Option<&Callbacks>) -> Result<(), CarrierError> {
        let path = self.path_of(carrier_ref).ok_or(CarrierError::NotFound)?;
        let Some(mut held) = self.read(&path)? else { return Err(CarrierError::NotFound) };
        held.voice_url = callbacks.map(|c| c.voice_url.clone());
        held.status_url = callbacks.map(|c| c.status_url.clone());
        held.sms_url = callbacks.map(|c| c.sms_url.clone());
        self.write(&path, &held)
    }

    async fn release(&self, carrier_ref: &str) -> Result<(), CarrierError> {
        let path = self.path_of(carrier_ref).ok_or(CarrierError::NotFound)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unavailable(&e)),
        }
    }
}

impl SandboxCarrier {
    fn state_of(&self, held: &Holding) -> OrderState {
        if held.pending {
            return OrderState::Pending { order_ref: format!("sandbox-order-{}", held.e164) };
        }
        match self.owned(held) {
            Some(owned) => OrderState::Active(owned),
            None => OrderState::Failed { reason: format!("{} is not in the sandbox catalogue.", held.e164) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callbacks() -> Callbacks {
        Callbacks {
            voice_url: "http://127.0.0.1/voice".into(),
            status_url: "http://127.0.0.1/status".into(),
            sms_url: "http://127.0.0.1/sms".into(),
        }
    }

    fn query(country: &str, number_type: NumberType) -> SearchQuery {
        SearchQuery {
            country: country.into(),
            number_type,
            area_code: None,
            contains: None,
            capabilities: Capabilities::VOICE,
            limit: 20,
        }
    }

    #[tokio::test]
    async fn search_filters_and_ownership_is_shared_through_the_folder() {
        let dir = tempfile::tempdir().expect("dir");
        let carrier = SandboxCarrier::new(dir.path()).expect("sandbox");
        let mut q = query("us", NumberType::Local);
        q.area_code = Some("212".into());
        q.contains = Some("0123".into());
        let found = carrier.search(&q).await.expect("search");
        assert_eq!(found.iter().map(|n| n.e164.as_str()).collect::<Vec<_>>(), ["+12125550123"]);
        assert_eq!(found[0].locality.as_deref(), Some("New York, NY"));

        let mut sms = query("US", NumberType::Local);
        sms.capabilities = Capabilities::VOICE_SMS;
        sms.limit = 500;
        assert_eq!(carrier.search(&sms).await.expect("search").len(), 300, "Austin is voice only");

        let state = carrier.order("+12125550123", "pn_1", &callbacks()).await.expect("order");
        assert!(matches!(state, OrderState::Active(ref n) if n.carrier_ref == "+12125550123"));
        assert!(carrier.search(&q).await.expect("search").is_empty(), "an owned number is not offered");
        // The same order again (a retry) is the same answer; anyone else's is refused.
        assert_eq!(carrier.order("+12125550123", "pn_1", &callbacks()).await.expect("retry"), state);
        let other = SandboxCarrier::new(dir.path()).expect("a second process");
        assert!(matches!(other.order("+12125550123", "pn_2", &callbacks()).await, Err(CarrierError::Rejected(_))));
        assert!(other.find_number("+12125550123").await.expect("find").is_some());

        other.set_callbacks("+12125550123", None).await.expect("reset");
        assert_eq!(carrier.list_numbers().await.expect("list")[0].voice_url, None);
        carrier.release("+12125550123").await.expect("release");
        carrier.release("+12125550123").await.expect("a retried release");
        assert!(carrier.find_number("+12125550123").await.expect("find").is_none());
    }

    #[tokio::test]
    async fn failing_and_asynchronous_orders_on_demand() {
        let dir = tempfile::tempdir().expect("dir");
        let carrier = SandboxCarrier::new(dir.path()).expect("sandbox");
        let failed = carrier.order("+14155550199", "pn_1", &callbacks()).await.expect("answer");
        assert!(matches!(failed, OrderState::Failed { .. }));
        assert!(carrier.find_number("+14155550199").await.expect("find").is_none(), "nothing held");

        let pending = carrier.order("+14155550198", "pn_2", &callbacks()).await.expect("answer");
        let OrderState::Pending { order_ref } = pending else { panic!("pending expected: {pending:?}") };
        assert!(carrier.find_number("+14155550198").await.expect("find").is_none(), "not yet ours");
        assert!(matches!(carrier.order_status(&order_ref).await.expect("status"), OrderState::Active(_)));
        assert!(carrier.find_number("+14155550198").await.expect("find").is_some());

        assert!(matches!(carrier.order("+19995550100", "pn_3", &callbacks()).await, Err(CarrierError::Rejected(_))));
        assert!(carrier.search(&query("FR", NumberType::Local)).await.expect("search").is_empty());
    }
}
