//! `/api/v1/contact-attributes`: the workspace's custom contact attributes.
//! Every role lists them; Admins add, change and delete them.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::attribute_store::Attribute;
use super::attributes;
use super::model::{AttributeFields, AttributeType, RawAttribute};
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A custom contact attribute.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ContactAttribute)]
pub struct AttributeResponse {
    #[schema(example = "cat_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    /// Lower-case snake_case; what contacts' `attributes` are keyed by.
    #[schema(example = "plan_tier")]
    pub key: String,
    #[schema(example = "Plan tier")]
    pub label: String,
    #[serde(rename = "type")]
    pub ty: AttributeType,
    /// The allowed values of an `enum`; empty for the other types.
    #[schema(example = json!(["Free", "Pro", "Enterprise"]))]
    pub options: Vec<String>,
    /// Whether every contact must have a value.
    #[schema(example = false)]
    pub required: bool,
    /// Order on forms and in lists.
    #[schema(example = 1)]
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Attribute> for AttributeResponse {
    fn from(a: Attribute) -> Self {
        AttributeResponse {
            options: a.options(),
            id: a.id.to_string(),
            key: a.key,
            label: a.label,
            ty: a.ty,
            required: a.required,
            position: a.position,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// The workspace's attributes, in order (all of them: a workspace has at most 100).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ContactAttributeList)]
pub struct AttributeList {
    pub data: Vec<AttributeResponse>,
    /// Always `null`: the list is one page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewContactAttribute, example = json!({"key": "plan_tier", "label": "Plan tier", "type": "enum", "options": ["Free", "Pro", "Enterprise"], "required": false}))]
pub struct NewAttributeRequest {
    /// Lower-case snake_case, starting with a letter; at most 40 characters; unique in the workspace.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub key: String,
    /// 1–80 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 80)]
    pub label: String,
    #[serde(default, rename = "type")]
    #[schema(value_type = AttributeType)]
    pub ty: String,
    /// The choices of an `enum` (1–100); omit for other types.
    #[serde(default)]
    pub options: Vec<String>,
    /// Refused while contacts exist without a value.
    #[serde(default)]
    pub required: bool,
}

/// Only the fields sent change; the key never does. A type or options
/// that stored values would not fit, or `required` while contacts lack a
/// value, is refused with the count of those contacts and examples.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContactAttributeUpdate, example = json!({"label": "Seats", "type": "number"}))]
pub struct AttributeUpdateRequest {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 80)]
    pub label: Option<String>,
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<AttributeType>)]
    pub ty: Option<String>,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub required: Option<bool>,
}

/// The attribute ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AttributePath {
    /// Attribute ID (`cat_…`)
    #[param(example = "cat_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub attribute_id: String,
}

#[utoipa::path(get, path = "/api/v1/contact-attributes", tag = "contact-attributes",
    responses((status = 200, body = AttributeList)))]
pub async fn list_attributes(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<AttributeList>> {
    ctx.require(Permission::ViewWorkspace)?;
    let data = attributes::list(&state, &ctx).await?.into_iter().map(AttributeResponse::from).collect();
    Ok(Json(AttributeList { data, next_cursor: None }))
}

/// Adds an attribute (last in the order).
#[utoipa::path(post, path = "/api/v1/contact-attributes", tag = "contact-attributes",
    request_body = NewAttributeRequest,
    responses((status = 201, body = AttributeResponse)))]
pub async fn create_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewAttributeRequest>,
) -> AppResult<(StatusCode, Json<AttributeResponse>)> {
    ctx.require(Permission::ManageSettings)?;
    let fields = AttributeFields::parse(RawAttribute {
        key: &body.key,
        label: &body.label,
        ty: &body.ty,
        options: body.options.iter().map(String::as_str).collect(),
        required: body.required,
    })
    .map_err(AppError::validation)?;
    let attribute = attributes::create(&state, &ctx, fields).await?;
    Ok((StatusCode::CREATED, Json(attribute.into())))
}

/// Changes the label, type, options or required flag.
#[utoipa::path(patch, path = "/api/v1/contact-attributes/{attribute_id}", tag = "contact-attributes",
    params(AttributePath), request_body = AttributeUpdateRequest,
    responses((status = 200, body = AttributeResponse)))]
pub async fn update_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AttributePath>,
    ApiJson(body): ApiJson<AttributeUpdateRequest>,
) -> AppResult<Json<AttributeResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let attribute = attributes::update(&state, &ctx, &path.attribute_id, |current| {
        let ty = body.ty.as_deref().unwrap_or(current.ty.as_str());
        // Away from enum without options sent: the options go.
        let options: Vec<&str> = match &body.options {
            Some(options) => options.iter().map(String::as_str).collect(),
            None if AttributeType::parse(ty) == Some(AttributeType::Enum) => {
                current.options.iter().map(String::as_str).collect()
            }
            None => Vec::new(),
        };
        AttributeFields::parse(RawAttribute {
            key: &current.key,
            label: body.label.as_deref().unwrap_or(&current.label),
            ty,
            options,
            required: body.required.unwrap_or(current.required),
        })
    })
    .await?;
    Ok(Json(attribute.into()))
}

/// Deletes the attribute and removes its values from every contact.
#[utoipa::path(delete, path = "/api/v1/contact-attributes/{attribute_id}", tag = "contact-attributes",
    params(AttributePath), responses((status = 204, description = "Deleted")))]
pub async fn delete_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AttributePath>,
) -> AppResult<StatusCode> {
    ctx.require(Permission::ManageSettings)?;
    attributes::delete(&state, &ctx, &path.attribute_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
