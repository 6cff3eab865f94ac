//! `/api/v1/contacts`: list (with `q` and keyset pages), create, read,
//! change and delete the workspace's contacts. Reads for every role;
//! writes for Members and Admins (the Editor access kind).
use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::model::parse_country;
use super::service::{self, ContactInput};
use super::store::Contact;
use super::suppressed::suppressed_phones;
use crate::api::{ApiJson, ApiQuery, double_option, pagination};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A contact of the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Contact, example = json!({
    "id": "con_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "name": "Ada Lovelace", "phone": "+14155552671",
    "email": "ada@example.com", "attributes": {"plan_tier": "Pro", "seats": 12, "vip": true},
    "suppressed": false, "created_at": "2026-01-15T09:30:00Z", "updated_at": "2026-01-15T09:30:00Z"
}))]
pub struct ContactResponse {
    #[schema(example = "con_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    /// E.164, or `null`.
    #[schema(example = "+14155552671")]
    pub phone: Option<String>,
    /// Lower-cased, or `null`.
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
    /// Attribute key → value (a string, number, boolean, `YYYY-MM-DD` date
    /// or one of an enum's options).
    #[schema(value_type = Object, example = json!({"plan_tier": "Pro", "seats": 12, "vip": true}))]
    pub attributes: BTreeMap<String, Value>,
    /// Whether the suppression list blocks the contact's phone.
    #[schema(example = false)]
    pub suppressed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactResponse {
    pub fn new(contact: Contact, suppressed: &HashSet<String>) -> Self {
        ContactResponse {
            suppressed: contact.phone.as_ref().is_some_and(|p| suppressed.contains(p)),
            attributes: contact.attributes(),
            id: contact.id.to_string(),
            name: contact.name,
            phone: contact.phone,
            email: contact.email,
            created_at: contact.created_at,
            updated_at: contact.updated_at,
        }
    }
}

/// Responses for `contacts`, with their `suppressed` flags in one query.
pub async fn responses(
    state: &AppState,
    ctx: &WorkspaceCtx,
    contacts: Vec<Contact>,
) -> AppResult<Vec<ContactResponse>> {
    let phones: Vec<&str> = contacts.iter().filter_map(|c| c.phone.as_deref()).collect();
    let suppressed = suppressed_phones(state, &ctx.workspace.id, &phones).await?;
    Ok(contacts.into_iter().map(|c| ContactResponse::new(c, &suppressed)).collect())
}

async fn response(state: &AppState, ctx: &WorkspaceCtx, contact: Contact) -> AppResult<ContactResponse> {
    let mut one = responses(state, ctx, vec![contact]).await?;
    one.pop().ok_or_else(service::not_found)
}

/// A page of contacts, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ContactPage)]
pub struct ContactPage {
    pub data: Vec<ContactResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewContact, example = json!({"name": "Ada Lovelace", "phone": "(415) 555-2671", "email": "Ada@Example.com", "default_country": "US", "attributes": {"plan_tier": "Pro"}}))]
pub struct NewContactRequest {
    /// At most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Any common format; a national number is read in `default_country`.
    /// Stored in E.164. A phone, an email or both.
    #[serde(default)]
    pub phone: Option<String>,
    /// Stored lower-cased.
    #[serde(default)]
    pub email: Option<String>,
    /// ISO 3166 alpha-2 country national phone numbers are read in; `US` when omitted.
    #[serde(default)]
    #[schema(example = "US")]
    pub default_country: Option<String>,
    /// Attribute key → value, checked by the attribute's type; required
    /// attributes must have one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, Value>,
}

/// Only the fields sent change; `null` clears a phone, email or attribute value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContactUpdate, example = json!({"name": "Ada King", "attributes": {"plan_tier": "Enterprise", "vip": null}}))]
pub struct ContactUpdateRequest {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// ISO 3166 alpha-2; `US` when omitted.
    #[serde(default)]
    #[schema(example = "GB")]
    pub default_country: Option<String>,
    /// Values to set (or `null` to clear), key by key; others stay.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Search in names, emails and phone numbers (a phone by its digits).
    #[param(example = "ada")]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 25.
    #[param(example = 25, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The contact ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ContactPath {
    /// Contact ID (`con_…`)
    #[param(example = "con_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub contact_id: String,
}

fn country(raw: Option<&str>) -> AppResult<phonenumber::country::Id> {
    parse_country(raw).map_err(|m| AppError::field("default_country", m))
}

/// The workspace's contacts, newest first (keyset paged), optionally matching `q`.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactsQuery),
    responses((status = 200, body = ContactPage)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> AppResult<Json<ContactPage>> {
    ctx.require(Permission::ViewWorkspace)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let (rows, next_cursor) = service::list_page(&state, &ctx, q.q.as_deref(), q.cursor.as_deref(), limit).await?;
    Ok(Json(ContactPage { data: responses(&state, &ctx, rows).await?, next_cursor }))
}

/// Creates a contact. A phone another contact of the workspace has is a 409 on `phone`.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts",
    request_body = NewContactRequest,
    responses((status = 201, body = ContactResponse)))]
pub async fn create_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewContactRequest>,
) -> AppResult<(StatusCode, Json<ContactResponse>)> {
    ctx.require(Permission::EditResources)?;
    let country = country(body.default_country.as_deref())?;
    let input = ContactInput { name: body.name, phone: body.phone, email: body.email, attributes: body.attributes };
    let contact = service::create(&state, &ctx, &input, country).await?;
    Ok((StatusCode::CREATED, Json(response(&state, &ctx, contact).await?)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}", tag = "contacts", params(ContactPath),
    responses((status = 200, body = ContactResponse)))]
pub async fn get_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ContactPath>,
) -> AppResult<Json<ContactResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    let contact = service::find(&state, &ctx, &path.contact_id).await?;
    Ok(Json(response(&state, &ctx, contact).await?))
}

/// Changes the fields sent and leaves the others.
#[utoipa::path(patch, path = "/api/v1/contacts/{contact_id}", tag = "contacts", params(ContactPath),
    request_body = ContactUpdateRequest,
    responses((status = 200, body = ContactResponse)))]
pub async fn update_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ContactPath>,
    ApiJson(body): ApiJson<ContactUpdateRequest>,
) -> AppResult<Json<ContactResponse>> {
    ctx.require(Permission::EditResources)?;
    let country = country(body.default_country.as_deref())?;
    let input = ContactInput {
        name: body.name,
        phone: body.phone.map(Option::unwrap_or_default),
        email: body.email.map(Option::unwrap_or_default),
        attributes: body.attributes,
    };
    let contact = service::update(&state, &ctx, &path.contact_id, &input, country).await?;
    Ok(Json(response(&state, &ctx, contact).await?))
}

/// Deletes the contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{contact_id}", tag = "contacts", params(ContactPath),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ContactPath>,
) -> AppResult<StatusCode> {
    ctx.require(Permission::EditResources)?;
    service::delete(&state, &ctx, &path.contact_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
