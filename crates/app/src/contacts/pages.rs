//! The Contacts pages, outside Settings and reachable from the top
//! navigation: the list (search, keyset pages, `SUPPRESSED` badges), the
//! new-contact form, a contact's page (its form for Members and Admins,
//! its details for Viewers; the consent section, from
//! [`super::consent_pages`]) and the delete confirmation. Attribute fields
//! are drawn by type. Forms redirect with a toast; a refused form is shown
//! again with each message by its field.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::consent_pages;
use super::model::{AttributeSet, AttributeType, MAX_NAME_CHARS, parse_country, value_text};
use super::service::{self, ContactInput};
use super::store::Contact;
use super::suppressed::suppressed_phones;
use crate::error::{AppError, AppResult};
use crate::phone_numbers::model::display as phone_display;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash, time};

const CONTACTS: &str = "/contacts";
const PAGE_SIZE: i64 = 50;
/// How a form names an attribute's field: `attributes.<key>`.
const ATTR_PREFIX: &str = "attributes.";

#[derive(Serialize)]
struct ContactRowView {
    id: String,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    summary: String,
    suppressed: bool,
    updated: time::TimeView,
}

/// "Plan tier: Pro · Seats: 12", in the attributes' order.
fn summary(attrs: &AttributeSet, values: &BTreeMap<String, Value>) -> String {
    attrs
        .defs
        .iter()
        .filter_map(|d| values.get(&d.key).map(|v| format!("{}: {}", d.label, value_text(v))))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

pub async fn list_contacts(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    let q = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let (rows, next) = service::list_page(&state, &ctx, q, params.cursor.as_deref(), PAGE_SIZE).await?;
    let attrs = service::attribute_set(&state, &ctx.workspace.id).await?;
    let phones: Vec<&str> = rows.iter().filter_map(|c| c.phone.as_deref()).collect();
    let suppressed = suppressed_phones(&state, &ctx.workspace.id, &phones).await?;
    let (now, tz) = (state.clock.now(), ctx.workspace.tz());
    let contacts: Vec<ContactRowView> = rows
        .into_iter()
        .map(|c| ContactRowView {
            id: c.id.to_string(),
            name: c.display_name(),
            suppressed: c.phone.as_ref().is_some_and(|p| suppressed.contains(p)),
            phone: c.phone.as_deref().map(phone_display),
            summary: summary(&attrs, &c.attributes()),
            updated: time::view(c.updated_at, tz, now),
            email: c.email,
        })
        .collect();
    let query = |cursor: &str| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(q) = q {
            pairs.append_pair("q", q);
        }
        pairs.append_pair("cursor", cursor);
        format!("{CONTACTS}?{}", pairs.finish())
    };
    let newest = match q {
        Some(q) => {
            format!("{CONTACTS}?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("q", q).finish())
        }
        None => CONTACTS.to_string(),
    };
    let value = context! {
        title => "Contacts",
        contacts => contacts,
        q => q.unwrap_or_default(),
        first_page => params.cursor.as_deref().is_none_or(str::is_empty),
        next_url => next.as_deref().map(query),
        newest_url => newest,
        can_edit => ctx.can(Permission::EditResources),
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render(&state, "contacts/list.html", value).await
}

/// An attribute's field on the form.
#[derive(Serialize)]
struct AttributeFieldView {
    key: String,
    name: String,
    label: String,
    #[serde(rename = "type")]
    ty: &'static str,
    options: Vec<String>,
    required: bool,
    value: String,
    checked: bool,
    error: Option<String>,
}

/// What the form shows: the values (sent or stored) and the messages; and
/// what the consent section shows.
#[derive(Default)]
pub(super) struct FormState {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    pub(super) consent: consent_pages::Shown,
}

impl FormState {
    pub(super) fn of(contact: &Contact) -> Self {
        let mut values = BTreeMap::from([
            ("name".to_string(), contact.name.clone()),
            ("phone".to_string(), contact.phone.clone().unwrap_or_default()),
            ("email".to_string(), contact.email.clone().unwrap_or_default()),
        ]);
        for (key, value) in contact.attributes() {
            let text = match value {
                Value::Bool(b) => b.to_string(),
                other => value_text(&other),
            };
            values.insert(format!("{ATTR_PREFIX}{key}"), text);
        }
        FormState { values, errors: BTreeMap::new(), consent: consent_pages::Shown::default() }
    }

    fn value(&self, key: &str) -> String {
        self.values.get(key).cloned().unwrap_or_default()
    }
}

pub(super) async fn render_form(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    contact: Option<&Contact>,
    form: FormState,
    status: StatusCode,
) -> AppResult<Response> {
    let attrs = service::attribute_set(state, &ctx.workspace.id).await?;
    let fields: Vec<AttributeFieldView> = attrs
        .defs
        .iter()
        .map(|d| {
            let name = format!("{ATTR_PREFIX}{}", d.key);
            let value = form.value(&name);
            AttributeFieldView {
                checked: d.ty == AttributeType::Boolean && value == "true",
                error: form.errors.get(&name).cloned(),
                key: d.key.clone(),
                label: d.label.clone(),
                ty: d.ty.as_str(),
                options: d.options.clone(),
                required: d.required,
                value,
                name,
            }
        })
        .collect();
    let details = match contact {
        Some(c) => {
            let phones: Vec<&str> = c.phone.as_deref().into_iter().collect();
            let suppressed = suppressed_phones(state, &ctx.workspace.id, &phones).await?;
            let (now, tz) = (state.clock.now(), ctx.workspace.tz());
            let values = c.attributes();
            let shown: Vec<(String, String)> = attrs
                .defs
                .iter()
                .filter_map(|d| values.get(&d.key).map(|v| (d.label.clone(), value_text(v))))
                .collect();
            Some(context! {
                id => c.id.to_string(),
                name => c.display_name(),
                phone => c.phone.as_deref().map(phone_display),
                phone_e164 => c.phone.clone(),
                email => c.email.clone(),
                attributes => shown,
                suppressed => c.phone.as_ref().is_some_and(|p| suppressed.contains(p)),
                created => time::view(c.created_at, tz, now),
                updated => time::view(c.updated_at, tz, now),
            })
        }
        None => None,
    };
    let consent = match contact {
        Some(c) => Some(consent_pages::context(state, ctx, c, &form.consent).await?),
        None => None,
    };
    let title = contact.map_or_else(|| "New contact".to_string(), Contact::display_name);
    let value = context! {
        title => title,
        contact => details,
        consent => consent,
        delete_message => contact.map(delete_message),
        can_edit => ctx.can(Permission::EditResources),
        values => context! {
            name => form.value("name"),
            phone => form.value("phone"),
            email => form.value("email"),
            default_country => form.values.get("default_country").cloned().unwrap_or_else(|| "US".into()),
        },
        attribute_fields => fields,
        errors => form.errors,
        max_name => MAX_NAME_CHARS,
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render_status(state, status, "contacts/form.html", value).await
}

pub async fn new_contact_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    render_form(&state, &ctx, &page, None, FormState::default(), StatusCode::OK).await
}

/// The form's fields, with attribute fields named `attributes.<key>`.
pub struct ContactForm {
    values: BTreeMap<String, String>,
}

impl ContactForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let values = pairs.into_iter().filter(|(k, _)| !k.starts_with('_')).collect();
        ContactForm { values }
    }

    /// The input and its country; a boolean attribute's unticked box is `false`.
    fn input(&self, attrs: &AttributeSet) -> AppResult<(ContactInput, phonenumber::country::Id)> {
        let country = parse_country(self.values.get("default_country").map(String::as_str))
            .map_err(|m| AppError::field("default_country", m))?;
        let mut attributes = BTreeMap::new();
        for (key, value) in &self.values {
            if let Some(attr) = key.strip_prefix(ATTR_PREFIX) {
                attributes.insert(attr.to_string(), Value::String(value.clone()));
            }
        }
        for def in attrs.defs.iter().filter(|d| d.ty == AttributeType::Boolean) {
            attributes.entry(def.key.clone()).or_insert_with(|| Value::String("false".into()));
        }
        // Every stored attribute is on the form: one left out is cleared.
        for def in &attrs.defs {
            attributes.entry(def.key.clone()).or_insert(Value::Null);
        }
        let text = |k: &str| Some(self.values.get(k).cloned().unwrap_or_default());
        Ok((ContactInput { name: text("name"), phone: text("phone"), email: text("email"), attributes }, country))
    }

    fn refused(self, errors: BTreeMap<String, String>) -> FormState {
        FormState { values: self.values, errors, consent: consent_pages::Shown::default() }
    }
}

pub async fn create_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let form = ContactForm::from_pairs(pairs);
    let attrs = service::attribute_set(&state, &ctx.workspace.id).await?;
    let created = match form.input(&attrs) {
        Ok((input, country)) => service::create(&state, &ctx, &input, country).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(c) => Ok(redirect_with_flash(CONTACTS, Flash::success(format!("Contact “{}” created.", c.display_name())))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let status = err.problem().map_or(StatusCode::UNPROCESSABLE_ENTITY, |p| p.status);
            render_form(&state, &ctx, &page, None, form.refused(errors), status).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ContactParams {
    /// The consent history's page.
    #[serde(default)]
    consent_cursor: Option<String>,
}

pub async fn contact_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Query(params): Query<ContactParams>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    let contact = service::find(&state, &ctx, &id).await?;
    let consent = consent_pages::Shown { cursor: params.consent_cursor, ..Default::default() };
    let form = FormState { consent, ..FormState::of(&contact) };
    render_form(&state, &ctx, &page, Some(&contact), form, StatusCode::OK).await
}

pub async fn update_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let contact = service::find(&state, &ctx, &id).await?;
    let form = ContactForm::from_pairs(pairs);
    let attrs = service::attribute_set(&state, &ctx.workspace.id).await?;
    let updated = match form.input(&attrs) {
        Ok((input, country)) => service::update(&state, &ctx, &id, &input, country).await,
        Err(err) => Err(err),
    };
    match updated {
        Ok(c) => Ok(redirect_with_flash(
            &format!("{CONTACTS}/{}", c.id),
            Flash::success(format!("Contact “{}” saved.", c.display_name())),
        )),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let status = err.problem().map_or(StatusCode::UNPROCESSABLE_ENTITY, |p| p.status);
            render_form(&state, &ctx, &page, Some(&contact), form.refused(errors), status).await
        }
    }
}

fn delete_message(contact: &Contact) -> String {
    format!(
        "Delete the contact “{}”? Its attribute values go with it; its consent records and any suppression of its \
         number stay. This cannot be undone.",
        contact.display_name()
    )
}

/// The delete confirmation as a page of its own (without JavaScript).
pub async fn delete_contact_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let contact = service::find(&state, &ctx, &id).await?;
    Confirm {
        heading: format!("Delete {}", contact.display_name()),
        message: delete_message(&contact),
        action: format!("{CONTACTS}/{}/delete", contact.id),
        button: format!("Delete {}", contact.display_name()),
        back: format!("{CONTACTS}/{}", contact.id),
    }
    .render(&state, &ctx, &page)
    .await
}

pub async fn delete_contact(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let contact = service::delete(&state, &ctx, &id).await?;
    Ok(redirect_with_flash(CONTACTS, Flash::success(format!("Contact “{}” deleted.", contact.display_name()))))
}
