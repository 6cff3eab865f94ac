//! Telnyx's API v2 (the numbers part), as described by team-telnyx/openapi
//! (`spec3.yml`):
//!
//! - **verify**: `GET /phone_numbers?page[size]=1`, the cheapest call a key
//!   must be good for. Telnyx has no "who am I" for a key: the account
//!   reference is a fingerprint of the key (the first 16 hex digits of its
//!   SHA-256) and the label `Telnyx account ••••` + its last four;
//! - **search**: `GET /available_phone_numbers` with `filter[country_code]`,
//!   `filter[national_destination_code]` (the area code),
//!   `filter[phone_number][contains]`, `filter[phone_number_type]`,
//!   `filter[features][]` and `filter[limit]`;
//! - **order**: `POST /number_orders` (`phone_numbers`,
//!   `customer_reference` = our number ID, `connection_id` when set).
//!   Orders complete asynchronously: `pending` is
//!   [`OrderState::Pending`] with the order's ID, then
//!   [`Carrier::order_status`] (`GET /number_orders/{id}`). The state of
//!   *our* number in the order decides when the order lists it (a
//!   one-number order), else the order's own `status`. On `success` the
//!   number's ID (`/phone_numbers/{id}`, not the order line's) is looked up
//!   with `filter[phone_number]`; until it shows, the order stays pending;
//! - **find_number / list_numbers**: `GET /phone_numbers` with
//!   `filter[phone_number]` / `page[number]`, `page[size]` (at most
//!   [`MAX_PAGES`] pages of [`PAGE_SIZE`], numbers listed once);
//! - **set_callbacks**: Telnyx sends a number's calls to a *connection*
//!   (here a TeXML application whose voice and status URLs are
//!   Switchboard's), not to URLs on the number; so pointing a number at us
//!   is `PATCH /phone_numbers/{id}` with the `connection_id` set by
//!   [`Telnyx::with_connection_id`], and `None` sends an empty
//!   `connection_id` (detached). Without a connection ID, pointing is
//!   refused with a message saying what to configure; the `Callbacks` URLs
//!   are those to enter in the TeXML application;
//! - **release**: `DELETE /phone_numbers/{id}` (404 = already gone = success).
//!
//! `Authorization: Bearer <key>`. Errors: 401/403 → `Unauthorized`, 404 →
//! `NotFound`, other 4xx → `Rejected` with Telnyx's `errors[0].detail`,
//! 5xx, 429 and network failures → `Unavailable`. The key is never in an
//! error, a log line or `Debug`.
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::{self, segment};
use super::{
    AccountInfo, AvailableNumber, Callbacks, Capabilities, Carrier, CarrierError, NumberType, OrderState, OwnedNumber,
    SearchQuery,
};

const VENDOR: &str = "Telnyx";
/// Numbers per page when listing an account's numbers (Telnyx's maximum).
pub const PAGE_SIZE: usize = 250;
/// Pages followed at most: an account with more numbers is listed in part.
pub const MAX_PAGES: usize = 40;

pub struct Telnyx {
    http: reqwest::Client,
    base: String,
    api_key: String,
    connection_id: Option<String>,
}

impl std::fmt::Debug for Telnyx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telnyx")
            .field("base", &self.base)
            .field("api_key", &"<redacted>")
            .field("connection_id", &self.connection_id)
            .finish()
    }
}

/// The first 16 hex digits of the key's SHA-256: one key, one account.
pub fn key_fingerprint(api_key: &str) -> String {
    let digest = Sha256::digest(api_key.trim().as_bytes());
    hex::encode(&digest[..8])
}

/// `Telnyx account ••••` and the key's last four characters; nothing of a
/// key too short for four to be a small part of it.
pub fn account_label(api_key: &str) -> String {
    let chars: Vec<char> = api_key.trim().chars().collect();
    if chars.len() < 16 {
        return "Telnyx account ••••".into();
    }
    let last4: String = chars[chars.len() - 4..].iter().collect();
    format!("Telnyx account ••••{last4}")
}

impl Telnyx {
    /// A client for `api_base` (`https://api.telnyx.com/v2`). Refuses an
    /// empty key (`Rejected`, a message to show by the field).
    pub fn new(api_base: &str, api_key: &str) -> Result<Telnyx, CarrierError> {
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err(CarrierError::Rejected("The Telnyx API key is missing.".into()));
        }
        if api_key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CarrierError::Rejected("A Telnyx API key has no spaces.".into()));
        }
        Ok(Telnyx {
            http: http::client(VENDOR)?,
            base: http::base(VENDOR, api_base)?,
            api_key: api_key.to_string(),
            connection_id: None,
        })
    }

    pub fn api_base(&self) -> &str {
        &self.base
    }

    pub fn connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// The connection (a TeXML application) numbers are pointed at: set on
    /// orders and by [`Carrier::set_callbacks`]. Empty means none.
    pub fn with_connection_id(mut self, connection_id: Option<&str>) -> Telnyx {
        self.connection_id = connection_id.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
        self
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value, CarrierError> {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, http::encode(query))
        };
        let mut request = self.http.request(method.clone(), url).bearer_auth(&self.api_key);
        if let Some(body) = body {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string());
        }
        let response = request.send().await.map_err(|e| http::transport(VENDOR, &e))?;
        let status = response.status();
        tracing::debug!(%method, %path, status = status.as_u16(), "telnyx request");
        let bytes = response.bytes().await.map_err(|e| http::transport(VENDOR, &e))?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes)
                .map_err(|_| CarrierError::Unavailable(format!("Telnyx's answer to {method} {path} is not JSON")));
        }
        // Telnyx's error body: {"errors": [{"code", "title", "detail"}]}.
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let first = &body["errors"][0];
        let message = text(&first["detail"]).or_else(|| text(&first["title"])).map(|m| m.replace(&self.api_key, "…"));
        Err(http::status_error(VENDOR, status, message))
    }

    async fn phone_numbers(&self, query: &[(&str, String)]) -> Result<Value, CarrierError> {
        self.send(Method::GET, "/phone_numbers", query, None).await
    }

    /// What an order (`data` of a number order) means for `e164`.
    async fn state_of(&self, order: &Value, e164: Option<&str>) -> Result<OrderState, CarrierError> {
        let order_ref =
            text(&order["id"]).ok_or_else(|| CarrierError::Unavailable("Telnyx's number order has no ID".into()))?;
        match order_outcome(order, e164) {
            Outcome::Pending => Ok(OrderState::Pending { order_ref }),
            Outcome::Failed(reason) => Ok(OrderState::Failed { reason }),
            Outcome::Succeeded(e164) => match self.find_number(&e164).await? {
                Some(owned) => Ok(OrderState::Active(owned)),
                // Ordered, not listed yet: ask again later.
                None => Ok(OrderState::Pending { order_ref }),
            },
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Pending,
    /// The number that is now the account's.
    Succeeded(String),
    Failed(String),
}

/// A number order's outcome for `e164` (or its first number).
fn order_outcome(order: &Value, e164: Option<&str>) -> Outcome {
    let lines = order["phone_numbers"].as_array().map(Vec::as_slice).unwrap_or_default();
    // Our number's line; without a number to look for, the first line. A
    // line for another number never speaks for ours.
    let line = match e164 {
        Some(n) => lines.iter().find(|l| l["phone_number"].as_str() == Some(n)),
        None => lines.first(),
    };
    let number = line.and_then(|l| text(&l["phone_number"])).or_else(|| e164.map(str::to_string));
    let status = line.and_then(|l| l["status"].as_str()).or(order["status"].as_str()).unwrap_or("pending");
    match (status, number) {
        ("success", Some(number)) => Outcome::Succeeded(number),
        ("failure", number) => {
            let number = number.unwrap_or_else(|| "the number".into());
            let unmet = line.is_some_and(|l| l["requirements_met"].as_bool() == Some(false));
            Outcome::Failed(if unmet {
                format!("Telnyx could not complete the order for {number}: its regulatory requirements are not met.")
            } else {
                format!("Telnyx could not complete the order for {number}.")
            })
        }
        _ => Outcome::Pending,
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn number_type(raw: &str) -> Option<NumberType> {
    match raw {
        "local" | "landline" | "longcode" => Some(NumberType::Local),
        "mobile" => Some(NumberType::Mobile),
        "toll_free" | "tollfree" => Some(NumberType::TollFree),
        "national" => Some(NumberType::National),
        _ => None,
    }
}

/// A `/phone_numbers` resource; `None` without an ID or number. Telnyx
/// numbers take calls; they take SMS when a messaging profile is set.
fn owned(resource: &Value) -> Option<OwnedNumber> {
    let e164 = text(&resource["phone_number"])?;
    Some(OwnedNumber {
        carrier_ref: text(&resource["id"])?,
        country: text(&resource["country_iso_alpha2"]).or_else(|| super::country_of(&e164).map(str::to_string)),
        friendly_name: None,
        number_type: resource["phone_number_type"].as_str().and_then(number_type),
        capabilities: Capabilities { voice: true, sms: text(&resource["messaging_profile_id"]).is_some(), mms: false },
        voice_url: None,
        e164,
    })
}

#[async_trait]
impl Carrier for Telnyx {
    fn name(&self) -> &'static str {
        "telnyx"
    }

    async fn verify(&self) -> Result<AccountInfo, CarrierError> {
        self.phone_numbers(&[("page[size]", "1".into())]).await?;
        Ok(AccountInfo { account_ref: key_fingerprint(&self.api_key), label: account_label(&self.api_key) })
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        let country = query.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CarrierError::Rejected("The country is a two-letter ISO code (US, GB).".into()));
        }
        let kind = match query.number_type {
            NumberType::Local => "local",
            NumberType::National => "national",
            NumberType::Mobile => "mobile",
            NumberType::TollFree => "toll_free",
        };
        let mut params = vec![("filter[country_code]", country.clone()), ("filter[phone_number_type]", kind.into())];
        if let Some(area_code) = query.area_code.as_deref().filter(|a| !a.is_empty()) {
            params.push(("filter[national_destination_code]", area_code.to_string()));
        }
        if let Some(contains) = query.contains.as_deref().filter(|c| !c.is_empty()) {
            params.push(("filter[phone_number][contains]", contains.to_string()));
        }
        for (wanted, feature) in
            [(query.capabilities.voice, "voice"), (query.capabilities.sms, "sms"), (query.capabilities.mms, "mms")]
        {
            if wanted {
                params.push(("filter[features][]", feature.into()));
            }
        }
        params.push(("filter[limit]", query.limit.clamp(1, 100).to_string()));
        let page = self.send(Method::GET, "/available_phone_numbers", &params, None).await?;
        let offered = page["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(offered
            .iter()
            .filter_map(|n| {
                let e164 = text(&n["phone_number"])?;
                let features: Vec<&str> =
                    n["features"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
                let regions = n["region_information"].as_array().map(Vec::as_slice).unwrap_or_default();
                let region = |kind: &str| {
                    regions
                        .iter()
                        .find(|r| r["region_type"].as_str() == Some(kind))
                        .and_then(|r| text(&r["region_name"]))
                };
                Some(AvailableNumber {
                    country: region("country_code").unwrap_or_else(|| country.clone()),
                    number_type: query.number_type,
                    capabilities: Capabilities {
                        voice: features.contains(&"voice"),
                        sms: features.contains(&"sms"),
                        mms: features.contains(&"mms"),
                    },
                    locality: region("location").or_else(|| region("rate_center")).or_else(|| region("state")),
                    e164,
                })
            })
            .filter(|n| n.capabilities.covers(query.capabilities))
            .take(query.limit)
            .collect())
    }

    async fn order(&self, e164: &str, reference: &str, _callbacks: &Callbacks) -> Result<OrderState, CarrierError> {
        let mut body = json!({ "phone_numbers": [{ "phone_number": e164 }], "customer_reference": reference });
        if let Some(connection_id) = &self.connection_id {
            body["connection_id"] = json!(connection_id);
        }
        let created = self.send(Method::POST, "/number_orders", &[], Some(body)).await?;
        self.state_of(&created["data"], Some(e164)).await
    }

    async fn order_status(&self, order_ref: &str) -> Result<OrderState, CarrierError> {
        let path = format!("/number_orders/{}", segment(order_ref));
        let order = self.send(Method::GET, &path, &[], None).await?;
        self.state_of(&order["data"], None).await
    }

    async fn find_number(&self, e164: &str) -> Result<Option<OwnedNumber>, CarrierError> {
        let page = self.phone_numbers(&[("filter[phone_number]", e164.to_string())]).await?;
        let list = page["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(list.iter().filter_map(owned).find(|n| n.e164 == e164))
    }

    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        let mut numbers: Vec<OwnedNumber> = Vec::new();
        let mut page_number = 1;
        loop {
            let page = self
                .phone_numbers(&[("page[number]", page_number.to_string()), ("page[size]", PAGE_SIZE.to_string())])
                .await?;
            for number in page["data"].as_array().into_iter().flatten().filter_map(owned) {
                if !numbers.iter().any(|n| n.carrier_ref == number.carrier_ref) {
                    numbers.push(number);
                }
            }
            let total_pages = page["meta"]["total_pages"].as_u64().unwrap_or(1);
            if page_number as u64 >= total_pages || page_number >= MAX_PAGES {
                return Ok(numbers);
            }
            page_number += 1;
        }
    }

    async fn set_callbacks(&self, carrier_ref: &str, callbacks: Option<&Callbacks>) -> Result<(), CarrierError> {
        let connection_id = match (callbacks, &self.connection_id) {
            (Some(_), Some(connection_id)) => connection_id.clone(),
            (Some(_), None) => {
                return Err(CarrierError::Rejected(
                    "Telnyx sends calls to a connection: set the TeXML application's connection ID \
                     (--telnyx-connection-id, or the account's) to point numbers at Switchboard."
                        .into(),
                ));
            }
            (None, _) => String::new(),
        };
        let path = format!("/phone_numbers/{}", segment(carrier_ref));
        self.send(Method::PATCH, &path, &[], Some(json!({ "connection_id": connection_id }))).await.map(drop)
    }

    async fn release(&self, carrier_ref: &str) -> Result<(), CarrierError> {
        let path = format!("/phone_numbers/{}", segment(carrier_ref));
        match self.send(Method::DELETE, &path, &[], None).await {
            Ok(_) | Err(CarrierError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
