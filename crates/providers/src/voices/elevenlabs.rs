//! The ElevenLabs client: one account, opened by its API key (the
//! platform's, or a workspace's own), at a base URL that tests point at a
//! local mock. The calls (all with the `xi-api-key` header):
//!
//! - verify: `GET /v1/user` (its `user_id`; the label from `first_name` and
//!   the subscription tier);
//! - library: `GET /v2/voices?voice_type=default` (ElevenLabs' ready-made
//!   voices), pages of [`PAGE_SIZE`] followed by `next_page_token`, at most
//!   [`MAX_PAGES`]; only `premade` and `professional` voices are kept;
//! - preview: `POST /v1/text-to-speech/{voice_id}` saying [`PREVIEW_TEXT`]
//!   (MP3). A voice's `preview_url` is never fetched: it points at another
//!   host, which neither the tests nor an egress policy should need;
//! - clone: `POST /v1/voices/add` (instant voice clone, multipart: `name`,
//!   one `files` part per sample, `description`, `labels` as a JSON string
//!   carrying language, gender and our reference under [`REFERENCE_LABEL`],
//!   `remove_background_noise=false`);
//! - find a clone: `GET /v2/voices?category=cloned&search={reference}`, the
//!   voice whose [`REFERENCE_LABEL`] label is the reference;
//! - edit: `POST /v1/voices/{voice_id}/edit` (multipart `name`, `description`);
//! - delete: `DELETE /v1/voices/{voice_id}` (gone already: success).
//!
//! 401/403 are [`VoiceError::Unauthorized`], 404 [`VoiceError::NotFound`],
//! another 4xx [`VoiceError::Rejected`] with ElevenLabs' `detail` message,
//! 408/429/5xx and timeouts [`VoiceError::Unavailable`]. Answers are read up
//! to a bound. The key is sent as a sensitive header and never appears in
//! an error, a log line or `Debug`.
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::{AccountInfo, Audio, CloneRequest, Gender, LibraryVoice, VoiceError, VoiceProvider};
use crate::form::{encode, segment};
use crate::http::{self, Refusal};

const VENDOR: &str = "ElevenLabs";

/// ElevenLabs' API, the default of the `api_base` setting.
pub const DEFAULT_API_BASE: &str = "https://api.elevenlabs.io";

/// Voices per page of a list (ElevenLabs allows up to 100).
pub const PAGE_SIZE: usize = 100;
/// Pages read at most for one list: a loop of `next_page_token`s ends here.
pub const MAX_PAGES: usize = 10;

/// What every stock voice's preview says.
pub const PREVIEW_TEXT: &str = "Hello! This is how I sound. How can I help you today?";
/// Small MP3 (22.05 kHz, 32 kbit/s): a preview, not a production call.
const PREVIEW_FORMAT: &str = "mp3_22050_32";

/// The label a clone carries our reference (the voice's ID) in.
pub const REFERENCE_LABEL: &str = "switchboard_reference";

/// Most requests give up after this long…
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// …an instant clone (up to 25 samples of 10 MiB going up) after this.
const CLONE_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest JSON answer read (a page of 100 voices is far less).
const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// The longest preview read (a few seconds at 32 kbit/s is ~20 kB).
const MAX_AUDIO_BYTES: usize = 4 * 1024 * 1024;

pub struct ElevenLabs {
    http: reqwest::Client,
    base: String,
    /// Kept only to scrub it from messages: it goes out in `http`'s default
    /// headers, marked sensitive.
    api_key: String,
}

impl std::fmt::Debug for ElevenLabs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElevenLabs").field("base", &self.base).field("api_key", &"<redacted>").finish()
    }
}

impl ElevenLabs {
    /// A client for the account `api_key` opens, at `api_base`
    /// ([`DEFAULT_API_BASE`] in production). Nothing is sent yet: call
    /// [`VoiceProvider::verify`] to check the key.
    pub fn new(api_base: &str, api_key: &str) -> Result<ElevenLabs, VoiceError> {
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err(VoiceError::Rejected("the ElevenLabs API key is empty".into()));
        }
        let mut key = HeaderValue::from_str(api_key)
            .map_err(|_| VoiceError::Rejected("the ElevenLabs API key has characters a key cannot have".into()))?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("xi-api-key", key);
        let http = http::build(VENDOR, http::builder(REQUEST_TIMEOUT).default_headers(headers))
            .map_err(VoiceError::Unavailable)?;
        let base = http::base(VENDOR, api_base).map_err(VoiceError::Rejected)?;
        Ok(ElevenLabs { http, base, api_key: api_key.to_string() })
    }

    fn request(&self, method: Method, path: &str, query: &[(&str, String)]) -> RequestBuilder {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, encode(query))
        };
        self.http.request(method, url)
    }

    /// Sends `request`; a success's body (bounded by `limit`) and its media type.
    async fn send(&self, request: RequestBuilder, what: &str, limit: usize) -> Result<(String, Vec<u8>), VoiceError> {
        let response = request.send().await.map_err(|e| VoiceError::Unavailable(http::transport(VENDOR, &e)))?;
        let status = response.status();
        tracing::debug!(call = what, status = status.as_u16(), "elevenlabs request");
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let limit = if status.is_success() { limit } else { MAX_JSON_BYTES };
        let body = http::read_body(VENDOR, response, limit).await.map_err(VoiceError::Unavailable)?;
        if status.is_success() {
            return Ok((content_type, body));
        }
        Err(self.refused(status, &body))
    }

    async fn send_json(&self, request: RequestBuilder, what: &str) -> Result<Value, VoiceError> {
        let (_, body) = self.send(request, what, MAX_JSON_BYTES).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&body)
            .map_err(|_| VoiceError::Unavailable(format!("{VENDOR}'s answer to {what} is not JSON")))
    }

    fn refused(&self, status: StatusCode, body: &[u8]) -> VoiceError {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        // "Voice not found" sometimes comes as a 400 with a status code in the detail.
        let detail_status = body["detail"]["status"].as_str().unwrap_or_default();
        if matches!(detail_status, "voice_not_found" | "voice_does_not_exist") {
            return VoiceError::NotFound;
        }
        let message = error_message(&body).map(|m| m.replace(&self.api_key, "…"));
        match http::refusal(VENDOR, status, message) {
            Refusal::Unauthorized => VoiceError::Unauthorized,
            Refusal::NotFound => VoiceError::NotFound,
            Refusal::Unavailable(m) => VoiceError::Unavailable(m),
            Refusal::Rejected(m) => VoiceError::Rejected(m),
        }
    }

    /// Every voice `query` lists, following `next_page_token`.
    async fn voices(&self, query: &[(&str, String)], what: &str) -> Result<Vec<Value>, VoiceError> {
        let mut voices: Vec<Value> = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = query.to_vec();
            params.push(("page_size", PAGE_SIZE.to_string()));
            if let Some(token) = &token {
                params.push(("next_page_token", token.clone()));
            }
            let page = self.send_json(self.request(Method::GET, "/v2/voices", &params), what).await?;
            for voice in page["voices"].as_array().into_iter().flatten() {
                let id = voice["voice_id"].as_str();
                if id.is_some() && !voices.iter().any(|v| v["voice_id"].as_str() == id) {
                    voices.push(voice.clone());
                }
            }
            let next = page["next_page_token"].as_str().filter(|t| !t.is_empty()).map(str::to_string);
            if page["has_more"].as_bool() != Some(true) || next.is_none() || next == token {
                break;
            }
            token = next;
        }
        Ok(voices)
    }
}

/// ElevenLabs' error text: `{"detail": "…"}`, `{"detail": {"status", "message"}}`
/// or a validation error `{"detail": [{"loc": [...], "msg": "…"}]}`.
fn error_message(body: &Value) -> Option<String> {
    let detail = &body["detail"];
    if let Some(text) = detail.as_str() {
        return Some(text.to_string());
    }
    if let Some(text) = detail["message"].as_str() {
        return Some(text.to_string());
    }
    let problems: Vec<String> = detail
        .as_array()?
        .iter()
        .filter_map(|problem| {
            let msg = problem["msg"].as_str()?;
            let field = problem["loc"].as_array().and_then(|loc| loc.last()).and_then(Value::as_str);
            Some(match field {
                Some(field) => format!("{field}: {msg}"),
                None => msg.to_string(),
            })
        })
        .collect();
    (!problems.is_empty()).then(|| format!("{VENDOR} refused the request: {}", problems.join("; ")))
}

fn label<'a>(voice: &'a Value, key: &str) -> Option<&'a str> {
    voice["labels"][key].as_str().map(str::trim).filter(|v| !v.is_empty())
}

/// `american` → `American`.
fn capitalised(raw: &str) -> String {
    let mut chars = raw.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn gender_of(raw: Option<&str>) -> Gender {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        Some("male") => Gender::Male,
        Some("female") => Gender::Female,
        _ => Gender::NotSpecified,
    }
}

/// What ElevenLabs calls a gender, for a clone's labels.
fn gender_label(gender: Gender) -> &'static str {
    match gender {
        Gender::Male => "male",
        Gender::Female => "female",
        Gender::NotSpecified => "neutral",
    }
}

/// A voice of ElevenLabs' list as the library shows it, if it has an ID and a name.
pub(crate) fn library_voice(voice: &Value) -> Option<LibraryVoice> {
    let id = voice["voice_id"].as_str().filter(|v| !v.is_empty())?;
    let name = voice["name"].as_str().filter(|v| !v.is_empty())?;
    let verified = &voice["verified_languages"][0];
    // The label first; then the first verified language (`en-US`, or `en`);
    // ElevenLabs' premade voices without either are English.
    let language = label(voice, "language")
        .or_else(|| verified["locale"].as_str())
        .or_else(|| verified["language"].as_str())
        .unwrap_or("en");
    let description =
        voice["description"].as_str().map(str::trim).filter(|d| !d.is_empty()).map(str::to_string).unwrap_or_else(
            || {
                let parts: Vec<&str> =
                    ["description", "age", "use_case"].iter().filter_map(|k| label(voice, k)).collect();
                capitalised(&parts.join(", "))
            },
        );
    Some(LibraryVoice {
        id: id.to_string(),
        name: name.to_string(),
        language: language.to_string(),
        gender: gender_of(label(voice, "gender")),
        accent: label(voice, "accent").map(capitalised),
        description,
    })
}

/// A voice ID from ElevenLabs as we pass it on: short and plain.
fn voice_id(raw: Option<&str>) -> Result<String, VoiceError> {
    raw.filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .map(str::to_string)
        .ok_or_else(|| VoiceError::Unavailable(format!("{VENDOR} answered without a usable voice_id")))
}

#[async_trait]
impl VoiceProvider for ElevenLabs {
    fn name(&self) -> &'static str {
        "elevenlabs"
    }

    async fn verify(&self) -> Result<AccountInfo, VoiceError> {
        let user = self.send_json(self.request(Method::GET, "/v1/user", &[]), "GET /v1/user").await?;
        let Some(user_id) = user["user_id"].as_str().filter(|id| !id.is_empty()) else {
            return Err(VoiceError::Unavailable(format!("{VENDOR}'s user has no user_id")));
        };
        let who = match user["first_name"].as_str().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => name.to_string(),
            None => {
                let tail: String = user_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                format!("ElevenLabs account …{tail}")
            }
        };
        let label = match user["subscription"]["tier"].as_str().filter(|t| !t.is_empty()) {
            Some(tier) => format!("{who} ({tier})"),
            None => who,
        };
        Ok(AccountInfo { account_ref: user_id.to_string(), label })
    }

    async fn library(&self) -> Result<Vec<LibraryVoice>, VoiceError> {
        let voices = self.voices(&[("voice_type", "default".into())], "GET /v2/voices (library)").await?;
        Ok(voices
            .iter()
            .filter(|v| matches!(v["category"].as_str(), Some("premade" | "professional")))
            .filter_map(library_voice)
            .collect())
    }

    async fn preview(&self, voice_id: &str) -> Result<Audio, VoiceError> {
        let path = format!("/v1/text-to-speech/{}", segment(voice_id));
        let request = self
            .request(Method::POST, &path, &[("output_format", PREVIEW_FORMAT.into())])
            .header(reqwest::header::ACCEPT, "audio/mpeg")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "text": PREVIEW_TEXT }).to_string());
        let (content_type, bytes) = self.send(request, "POST /v1/text-to-speech", MAX_AUDIO_BYTES).await?;
        let content_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if bytes.is_empty() || !(content_type.starts_with("audio/") || content_type == "application/octet-stream") {
            return Err(VoiceError::Unavailable(format!("{VENDOR}'s preview is not audio ({content_type:?})")));
        }
        let content_type = if content_type.starts_with("audio/") { content_type } else { "audio/mpeg".into() };
        Ok(Audio { content_type, bytes })
    }

    async fn clone_voice(&self, request: &CloneRequest<'_>) -> Result<String, VoiceError> {
        if request.samples.is_empty() {
            return Err(VoiceError::Rejected("a clone needs at least one sample".into()));
        }
        let labels = json!({
            "language": request.language,
            "gender": gender_label(request.gender),
            REFERENCE_LABEL: request.reference,
        });
        let mut form = Form::new().text("name", request.name.to_string());
        for sample in request.samples {
            let part = Part::bytes(sample.bytes.to_vec())
                .file_name(sample.filename.to_string())
                .mime_str(sample.content_type)
                .map_err(|_| VoiceError::Rejected(format!("{:?} is not a media type", sample.content_type)))?;
            form = form.part("files", part);
        }
        let form = form
            .text("description", request.description.to_string())
            .text("labels", labels.to_string())
            .text("remove_background_noise", "false");
        let call = self.request(Method::POST, "/v1/voices/add", &[]).timeout(CLONE_TIMEOUT).multipart(form);
        let added = self.send_json(call, "POST /v1/voices/add").await?;
        voice_id(added["voice_id"].as_str())
    }

    async fn find_clone(&self, reference: &str) -> Result<Option<String>, VoiceError> {
        let query = [("category", "cloned".to_string()), ("search", reference.to_string())];
        let voices = self.voices(&query, "GET /v2/voices (clones)").await?;
        let found = voices.iter().find(|v| label(v, REFERENCE_LABEL) == Some(reference));
        found.map(|v| voice_id(v["voice_id"].as_str())).transpose()
    }

    async fn edit_voice(&self, voice_id: &str, name: &str, description: &str) -> Result<(), VoiceError> {
        let path = format!("/v1/voices/{}/edit", segment(voice_id));
        let form = Form::new().text("name", name.to_string()).text("description", description.to_string());
        self.send_json(self.request(Method::POST, &path, &[]).multipart(form), "POST /v1/voices/{id}/edit").await?;
        Ok(())
    }

    async fn delete_voice(&self, voice_id: &str) -> Result<(), VoiceError> {
        let path = format!("/v1/voices/{}", segment(voice_id));
        match self.send_json(self.request(Method::DELETE, &path, &[]), "DELETE /v1/voices/{id}").await {
            Ok(_) | Err(VoiceError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
