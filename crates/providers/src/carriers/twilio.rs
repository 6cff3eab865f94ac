//! Twilio's 2010-04-01 REST API (the numbers part), as described by
//! `twilio_api_v2010.json` (twilio/twilio-oai):
//!
//! - **verify**: `GET /2010-04-01/Accounts/{Sid}.json` (label = the
//!   account's friendly name; account ref = the Account SID; a suspended
//!   or closed account is refused);
//! - **search**: `GET …/AvailablePhoneNumbers/{Country}/{Local|TollFree|Mobile}.json`
//!   with `AreaCode`, `Contains`, `VoiceEnabled`/`SmsEnabled`/`MmsEnabled`
//!   (only those asked for) and `PageSize`. Twilio has no list of
//!   "national" numbers: searching for them is refused with a message
//!   naming the types it has (not an empty list, which would read as "none
//!   left");
//! - **order**: `POST …/IncomingPhoneNumbers.json` with the voice, status
//!   and SMS callbacks (all `POST`). Twilio buys synchronously: the answer
//!   is [`OrderState::Active`]; a number Twilio refuses (taken meanwhile, an
//!   address required) is [`CarrierError::Rejected`] with Twilio's message,
//!   as the sandbox refuses a taken number;
//! - **find_number / list_numbers**: `GET …/IncomingPhoneNumbers.json`
//!   (`PhoneNumber=` filtered to the exact number; the list follows
//!   `next_page_uri`, at most [`MAX_PAGES`] pages of [`PAGE_SIZE`]);
//! - **set_callbacks**: `POST …/IncomingPhoneNumbers/{Sid}.json` (`None`
//!   sends empty URLs, which Twilio takes as "no URL");
//! - **release**: `DELETE …/IncomingPhoneNumbers/{Sid}.json` (404 = already
//!   released = success).
//!
//! HTTP basic auth with `AccountSid:AuthToken` or `KeySid:KeySecret`; the
//! Account SID is in every path. Errors: 401/403 → `Unauthorized`, 404 →
//! `NotFound`, other 4xx → `Rejected(Twilio's message)`, 5xx, 429 and
//! network failures → `Unavailable`. Neither credential is ever in an
//! error, a log line or `Debug`.
use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value;

use super::http::{self, segment};
use super::{
    AccountInfo, AvailableNumber, Callbacks, Capabilities, Carrier, CarrierError, NumberType, OrderState, OwnedNumber,
    SearchQuery,
};

const VENDOR: &str = "Twilio";
/// Numbers per page when listing an account's numbers (Twilio's maximum).
pub const PAGE_SIZE: usize = 1000;
/// Pages followed at most: an account with more numbers is listed in part.
pub const MAX_PAGES: usize = 20;

/// Credentials for one Twilio account.
#[derive(Clone, PartialEq, Eq)]
pub enum TwilioAuth {
    /// The account's own Auth Token.
    AuthToken { account_sid: String, auth_token: String },
    /// An API key (`SK…`) of the account, with its secret.
    ApiKey { account_sid: String, key_sid: String, key_secret: String },
}

impl TwilioAuth {
    pub fn account_sid(&self) -> &str {
        match self {
            TwilioAuth::AuthToken { account_sid, .. } | TwilioAuth::ApiKey { account_sid, .. } => account_sid,
        }
    }

    /// Basic auth's user and password.
    fn basic(&self) -> (&str, &str) {
        match self {
            TwilioAuth::AuthToken { account_sid, auth_token } => (account_sid, auth_token),
            TwilioAuth::ApiKey { key_sid, key_secret, .. } => (key_sid, key_secret),
        }
    }
}

impl std::fmt::Debug for TwilioAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TwilioAuth::AuthToken { account_sid, .. } => f
                .debug_struct("AuthToken")
                .field("account_sid", account_sid)
                .field("auth_token", &"<redacted>")
                .finish(),
            TwilioAuth::ApiKey { account_sid, key_sid, .. } => f
                .debug_struct("ApiKey")
                .field("account_sid", account_sid)
                .field("key_sid", key_sid)
                .field("key_secret", &"<redacted>")
                .finish(),
        }
    }
}

/// `prefix` followed by 32 hexadecimal digits, as Twilio's SIDs are.
fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34 && value.starts_with(prefix) && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub struct Twilio {
    http: reqwest::Client,
    base: String,
    auth: TwilioAuth,
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twilio").field("base", &self.base).field("auth", &self.auth).finish()
    }
}

impl Twilio {
    /// A client for `api_base` (`https://api.twilio.com`, without
    /// `/2010-04-01`). Refuses (`Rejected`, a message to show by the field)
    /// an Account SID that is not `AC` + 32 hex digits, an API key SID that
    /// is not `SK` + 32 hex digits, and an empty token or secret.
    pub fn new(api_base: &str, auth: TwilioAuth) -> Result<Twilio, CarrierError> {
        if !is_sid(auth.account_sid().trim(), "AC") {
            return Err(CarrierError::Rejected("The Account SID is AC followed by 32 hexadecimal characters.".into()));
        }
        match &auth {
            TwilioAuth::AuthToken { auth_token, .. } if auth_token.trim().is_empty() => {
                return Err(CarrierError::Rejected("The Auth Token is missing.".into()));
            }
            TwilioAuth::ApiKey { key_sid, .. } if !is_sid(key_sid.trim(), "SK") => {
                return Err(CarrierError::Rejected(
                    "The API Key SID is SK followed by 32 hexadecimal characters.".into(),
                ));
            }
            TwilioAuth::ApiKey { key_secret, .. } if key_secret.trim().is_empty() => {
                return Err(CarrierError::Rejected("The API Key secret is missing.".into()));
            }
            _ => {}
        }
        let auth = match auth {
            TwilioAuth::AuthToken { account_sid, auth_token } => TwilioAuth::AuthToken {
                account_sid: account_sid.trim().to_string(),
                auth_token: auth_token.trim().to_string(),
            },
            TwilioAuth::ApiKey { account_sid, key_sid, key_secret } => TwilioAuth::ApiKey {
                account_sid: account_sid.trim().to_string(),
                key_sid: key_sid.trim().to_string(),
                key_secret: key_secret.trim().to_string(),
            },
        };
        Ok(Twilio { http: http::client(VENDOR)?, base: http::base(VENDOR, api_base)?, auth })
    }

    pub fn account_sid(&self) -> &str {
        self.auth.account_sid()
    }

    pub fn api_base(&self) -> &str {
        &self.base
    }

    /// `/2010-04-01/Accounts/{AccountSid}{rest}`.
    fn account_path(&self, rest: &str) -> String {
        format!("/2010-04-01/Accounts/{}{rest}", segment(self.auth.account_sid()))
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        form: Option<&[(&str, String)]>,
    ) -> Result<Value, CarrierError> {
        let (user, password) = self.auth.basic();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path_and_query}", self.base))
            .basic_auth(user, Some(password));
        if let Some(form) = form {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(http::encode(form));
        }
        let response = request.send().await.map_err(|e| http::transport(VENDOR, &e))?;
        let status = response.status();
        // The path only: a query can carry a searched-for number.
        let path = path_and_query.split('?').next().unwrap_or_default();
        tracing::debug!(%method, %path, status = status.as_u16(), "twilio request");
        let bytes = response.bytes().await.map_err(|e| http::transport(VENDOR, &e))?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null); // 204 No Content (DELETE)
            }
            return serde_json::from_slice(&bytes)
                .map_err(|_| CarrierError::Unavailable(format!("Twilio's answer to {method} {path} is not JSON")));
        }
        // Twilio's error body: {"code": 21422, "message": "…", "more_info": "…", "status": 400}.
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let message = body["message"].as_str().map(|m| self.scrub(m));
        Err(http::status_error(VENDOR, status, message))
    }

    /// Twilio does not echo secrets; this makes sure of it.
    fn scrub(&self, message: &str) -> String {
        let (_, secret) = self.auth.basic();
        if secret.is_empty() { message.to_string() } else { message.replace(secret, "…") }
    }

    async fn get(&self, path_and_query: &str) -> Result<Value, CarrierError> {
        self.send(Method::GET, path_and_query, None).await
    }

    async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<Value, CarrierError> {
        self.send(Method::POST, path, Some(form)).await
    }

    /// The account's numbers matching `PhoneNumber` (or all), page by page.
    async fn incoming(&self, phone_number: Option<&str>) -> Result<Vec<OwnedNumber>, CarrierError> {
        let mut query = vec![("PageSize", PAGE_SIZE.to_string())];
        if let Some(e164) = phone_number {
            query.push(("PhoneNumber", e164.to_string()));
        }
        let mut next = format!("{}?{}", self.account_path("/IncomingPhoneNumbers.json"), http::encode(&query));
        let mut numbers = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.get(&next).await?;
            if let Some(list) = page["incoming_phone_numbers"].as_array() {
                numbers.extend(list.iter().filter_map(owned));
            }
            // Twilio's next page is a path under the same account; anything
            // else (another host, the same page again) ends the walk.
            match page["next_page_uri"].as_str() {
                Some(uri) if uri.starts_with(&self.account_path("/")) && uri != next => next = uri.to_string(),
                _ => break,
            }
        }
        Ok(numbers)
    }
}

/// Twilio capitalises some capability keys (`SMS`, `MMS`) in some answers.
fn capabilities(value: &Value) -> Capabilities {
    let flag = |name: &str| {
        value.as_object().is_some_and(|caps| {
            caps.iter().any(|(key, on)| key.eq_ignore_ascii_case(name) && on.as_bool() == Some(true))
        })
    };
    Capabilities { voice: flag("voice"), sms: flag("sms"), mms: flag("mms") }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// An IncomingPhoneNumber resource; `None` without a SID or number.
fn owned(resource: &Value) -> Option<OwnedNumber> {
    let e164 = text(&resource["phone_number"])?;
    Some(OwnedNumber {
        carrier_ref: text(&resource["sid"])?,
        country: super::country_of(&e164).map(str::to_string),
        friendly_name: text(&resource["friendly_name"]),
        number_type: resource["type"].as_str().and_then(|t| match t {
            "local" => Some(NumberType::Local),
            "mobile" => Some(NumberType::Mobile),
            "toll-free" | "tollfree" | "toll_free" => Some(NumberType::TollFree),
            "national" => Some(NumberType::National),
            _ => None,
        }),
        capabilities: capabilities(&resource["capabilities"]),
        voice_url: text(&resource["voice_url"]),
        e164,
    })
}

fn callback_form(callbacks: Option<&Callbacks>) -> Vec<(&'static str, String)> {
    let url = |pick: fn(&Callbacks) -> &String| callbacks.map(|c| pick(c).clone()).unwrap_or_default();
    vec![
        ("VoiceUrl", url(|c| &c.voice_url)),
        ("VoiceMethod", "POST".into()),
        ("StatusCallback", url(|c| &c.status_url)),
        ("StatusCallbackMethod", "POST".into()),
        ("SmsUrl", url(|c| &c.sms_url)),
        ("SmsMethod", "POST".into()),
    ]
}

#[async_trait]
impl Carrier for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn verify(&self) -> Result<AccountInfo, CarrierError> {
        let path = format!("/2010-04-01/Accounts/{}.json", segment(self.auth.account_sid()));
        let account = self.get(&path).await?;
        if let Some(status @ ("suspended" | "closed")) = account["status"].as_str() {
            return Err(CarrierError::Rejected(format!("This Twilio account is {status}.")));
        }
        let sid = self.auth.account_sid().to_string();
        let label = text(&account["friendly_name"]).unwrap_or_else(|| sid.clone());
        Ok(AccountInfo { account_ref: sid, label })
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        let list = match query.number_type {
            NumberType::Local => "Local",
            NumberType::Mobile => "Mobile",
            NumberType::TollFree => "TollFree",
            NumberType::National => {
                return Err(CarrierError::Rejected(
                    "Twilio has no national numbers to search: choose Local, Mobile or Toll-free.".into(),
                ));
            }
        };
        let country = query.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CarrierError::Rejected("The country is a two-letter ISO code (US, GB).".into()));
        }
        let mut params = vec![("PageSize", query.limit.clamp(1, 50).to_string())];
        if let Some(area_code) = query.area_code.as_deref().filter(|a| !a.is_empty()) {
            params.push(("AreaCode", area_code.to_string()));
        }
        if let Some(contains) = query.contains.as_deref().filter(|c| !c.is_empty()) {
            params.push(("Contains", contains.to_string()));
        }
        for (wanted, name) in [
            (query.capabilities.voice, "VoiceEnabled"),
            (query.capabilities.sms, "SmsEnabled"),
            (query.capabilities.mms, "MmsEnabled"),
        ] {
            if wanted {
                params.push((name, "true".into()));
            }
        }
        let path = self.account_path(&format!("/AvailablePhoneNumbers/{}/{list}.json", segment(&country)));
        let page = self.get(&format!("{path}?{}", http::encode(&params))).await?;
        let offered = page["available_phone_numbers"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(offered
            .iter()
            .filter_map(|n| {
                let e164 = text(&n["phone_number"])?;
                let locality = match (text(&n["locality"]), text(&n["region"])) {
                    (Some(city), Some(region)) => Some(format!("{city}, {region}")),
                    (city, region) => city.or(region),
                };
                Some(AvailableNumber {
                    country: text(&n["iso_country"]).unwrap_or_else(|| country.clone()),
                    number_type: query.number_type,
                    capabilities: capabilities(&n["capabilities"]),
                    locality,
                    e164,
                })
            })
            .filter(|n| n.capabilities.covers(query.capabilities))
            .take(query.limit)
            .collect())
    }

    async fn order(&self, e164: &str, _reference: &str, callbacks: &Callbacks) -> Result<OrderState, CarrierError> {
        let mut form = vec![("PhoneNumber", e164.to_string())];
        form.extend(callback_form(Some(callbacks)));
        let created = self.post(&self.account_path("/IncomingPhoneNumbers.json"), &form).await?;
        owned(&created)
            .map(OrderState::Active)
            .ok_or_else(|| CarrierError::Unavailable("Twilio's answer to the purchase has no number SID".into()))
    }

    /// Twilio buys synchronously: there are no pending orders to ask about.
    async fn order_status(&self, _order_ref: &str) -> Result<OrderState, CarrierError> {
        Err(CarrierError::NotFound)
    }

    async fn find_number(&self, e164: &str) -> Result<Option<OwnedNumber>, CarrierError> {
        // Twilio's PhoneNumber filter also matches partial numbers.
        Ok(self.incoming(Some(e164)).await?.into_iter().find(|n| n.e164 == e164))
    }

    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        self.incoming(None).await
    }

    async fn set_callbacks(&self, carrier_ref: &str, callbacks: Option<&Callbacks>) -> Result<(), CarrierError> {
        let path = self.account_path(&format!("/IncomingPhoneNumbers/{}.json", segment(carrier_ref)));
        self.post(&path, &callback_form(callbacks)).await.map(drop)
    }

    async fn release(&self, carrier_ref: &str) -> Result<(), CarrierError> {
        let path = self.account_path(&format!("/IncomingPhoneNumbers/{}.json", segment(carrier_ref)));
        match self.send(Method::DELETE, &path, None).await {
            Ok(_) | Err(CarrierError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
