//! The Attributes tab of Settings → Audiences: the workspace's attributes
//! with the add form, an attribute's edit form, and deletion behind a
//! confirmation (a page of its own without JavaScript). A refused form is
//! shown again with each message by its field — including a change that
//! stored values would not fit, which names how many contacts and which.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::contacts::attribute_store::Attribute;
use crate::contacts::attributes;
use crate::contacts::model::{
    AttributeFields, AttributeType, MAX_KEY_CHARS, MAX_LABEL_CHARS, RawAttribute, split_options,
};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::flash::redirect;
use crate::web::{Flash, Page, redirect_with_flash};

pub const ATTRIBUTES: &str = "/settings/audiences/attributes";

pub async fn audiences_index(ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    Ok(redirect(ATTRIBUTES))
}

#[derive(Serialize)]
struct AttributeView {
    id: String,
    key: String,
    label: String,
    #[serde(rename = "type")]
    ty: &'static str,
    type_label: &'static str,
    options: String,
    required: bool,
}

impl AttributeView {
    fn of(a: &Attribute) -> Self {
        AttributeView {
            id: a.id.to_string(),
            key: a.key.clone(),
            label: a.label.clone(),
            ty: a.ty.as_str(),
            type_label: a.ty.label(),
            options: a.options().join(", "),
            required: a.required,
        }
    }
}

fn types() -> Vec<(&'static str, &'static str)> {
    AttributeType::ALL.iter().map(|t| (t.as_str(), t.label())).collect()
}

/// The form's values and messages.
#[derive(Default)]
struct FormState {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
}

impl FormState {
    fn of(a: &Attribute) -> Self {
        let values = BTreeMap::from([
            ("key", a.key.clone()),
            ("label", a.label.clone()),
            ("type", a.ty.as_str().to_string()),
            ("options", a.options().join(", ")),
            ("required", if a.required { "true".into() } else { String::new() }),
        ]);
        FormState { values, errors: BTreeMap::new() }
    }

    fn refused(form: AttributeForm, err: &AppError) -> Option<Self> {
        let mut errors = err.field_messages()?;
        // A message on a field the form does not show goes by the key.
        errors = errors
            .into_iter()
            .map(|(f, m)| {
                if ["key", "label", "type", "options", "required"].contains(&f.as_str()) {
                    (f, m)
                } else {
                    ("key".into(), m)
                }
            })
            .collect();
        let values = BTreeMap::from([
            ("key", form.key),
            ("label", form.label),
            ("type", form.r#type),
            ("options", form.options),
            ("required", form.required),
        ]);
        Some(FormState { values, errors })
    }

    fn values(&self) -> minijinja::Value {
        let v = |k: &str| self.values.get(k).cloned().unwrap_or_default();
        context! {
            key => v("key"),
            label => v("label"),
            type => self.values.get("type").cloned().unwrap_or_else(|| "text".into()),
            options => v("options"),
            required => !v("required").is_empty(),
        }
    }
}

async fn render_list(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    form: FormState,
    status: StatusCode,
) -> AppResult<Response> {
    let list: Vec<AttributeView> = attributes::list(state, ctx).await?.iter().map(AttributeView::of).collect();
    crate::settings::render(
        state,
        page,
        status,
        super::SECTION.slug,
        "audiences/attributes.html",
        context! {
            title => "Audiences",
            tab => "attributes",
            attributes => list,
            values => form.values(),
            errors => form.errors,
            types => types(),
            max_key => MAX_KEY_CHARS,
            max_label => MAX_LABEL_CHARS,
            workspace_id => ctx.workspace.id.to_string(),
        },
    )
    .await
}

pub async fn attributes_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render_list(&state, &ctx, &page, FormState::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AttributeForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    r#type: String,
    /// Comma-separated, for an enum.
    #[serde(default)]
    options: String,
    /// A ticked box sends `true`.
    #[serde(default)]
    required: String,
}

impl AttributeForm {
    fn parse(&self, key: &str) -> Result<AttributeFields, Vec<crate::error::FieldError>> {
        let ty = AttributeType::parse(&self.r#type);
        // Options typed for an enum and then another type chosen are dropped.
        let options = if ty == Some(AttributeType::Enum) { split_options(&self.options) } else { Vec::new() };
        AttributeFields::parse(RawAttribute {
            key,
            label: &self.label,
            ty: &self.r#type,
            options,
            required: !self.required.is_empty(),
        })
    }
}

pub async fn create_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<AttributeForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let created = match form.parse(&form.key) {
        Ok(fields) => attributes::create(&state, &ctx, fields).await,
        Err(errors) => Err(AppError::validation(errors)),
    };
    match created {
        Ok(a) => Ok(redirect_with_flash(ATTRIBUTES, Flash::success(format!("Attribute “{}” added.", a.label)))),
        Err(err) => {
            let status = err.problem().map_or(StatusCode::UNPROCESSABLE_ENTITY, |p| p.status);
            let Some(state_) = FormState::refused(form, &err) else { return Err(err) };
            render_list(&state, &ctx, &page, state_, status).await
        }
    }
}

async fn render_attribute(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    attribute: &Attribute,
    form: FormState,
    status: StatusCode,
) -> AppResult<Response> {
    crate::settings::render(
        state,
        page,
        status,
        super::SECTION.slug,
        "audiences/attribute.html",
        context! {
            title => attribute.label.clone(),
            tab => "attributes",
            attribute => AttributeView::of(attribute),
            values => form.values(),
            errors => form.errors,
            types => types(),
            max_label => MAX_LABEL_CHARS,
            delete_message => delete_message(attribute),
            workspace_id => ctx.workspace.id.to_string(),
        },
    )
    .await
}

pub async fn attribute_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let attribute = attributes::find(&state, &ctx, &id).await?;
    render_attribute(&state, &ctx, &page, &attribute, FormState::of(&attribute), StatusCode::OK).await
}

pub async fn update_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<AttributeForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let attribute = attributes::find(&state, &ctx, &id).await?;
    match attributes::update(&state, &ctx, &id, |current| form.parse(&current.key)).await {
        Ok(a) => Ok(redirect_with_flash(ATTRIBUTES, Flash::success(format!("Attribute “{}” saved.", a.label)))),
        Err(err) => {
            let status = err.problem().map_or(StatusCode::UNPROCESSABLE_ENTITY, |p| p.status);
            let mut form = form;
            form.key = attribute.key.clone();
            let Some(state_) = FormState::refused(form, &err) else { return Err(err) };
            render_attribute(&state, &ctx, &page, &attribute, state_, status).await
        }
    }
}

fn delete_message(a: &Attribute) -> String {
    format!(
        "Delete the attribute “{}” ({})? Its values are removed from every contact. This cannot be undone.",
        a.label, a.key
    )
}

pub async fn delete_attribute_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let a = attributes::find(&state, &ctx, &id).await?;
    Confirm {
        heading: format!("Delete {}", a.label),
        message: delete_message(&a),
        action: format!("{ATTRIBUTES}/{}/delete", a.id),
        button: format!("Delete {}", a.label),
        back: format!("{ATTRIBUTES}/{}", a.id),
    }
    .render(&state, &ctx, &page)
    .await
}

pub async fn delete_attribute(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let (a, removed) = attributes::delete(&state, &ctx, &id).await?;
    let text = match removed {
        0 => format!("Attribute “{}” deleted.", a.label),
        1 => format!("Attribute “{}” deleted; its value was removed from 1 contact.", a.label),
        n => format!("Attribute “{}” deleted; its values were removed from {n} contacts.", a.label),
    };
    Ok(redirect_with_flash(ATTRIBUTES, Flash::success(text)))
}
