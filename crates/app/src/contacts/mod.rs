//! Contacts (SPEC §12, issue 17): the workspace's custom contact attributes
//! (key, label, type text/number/boolean/date/enum, options, required) and
//! its contacts (phone in E.164, email, name, attribute values checked by
//! type). The Contacts page sits in the top navigation (every role reads;
//! Members and Admins, the Editor access kind, create, edit and delete);
//! `/api/v1/contacts` does the same, and `/api/v1/contact-attributes` is
//! read by every role and changed by Admins (the Attributes tab of
//! Settings → Audiences is in the `audiences` feature).
//!
//! - [`model`]: the rules (pure); [`store`], [`attribute_store`]: the tables.
//! - [`service`]: contacts; [`attributes`]: attributes and their checks
//!   against stored values; [`suppressed`]: the `SUPPRESSED` badge's source.
//! - [`api`], [`attributes_api`], [`pages`]; [`consent_pages`]: a
//!   contact's consent section and its "Record consent" form.
//!
//! What other features may use:
//! - [`store::ids_by_phone`]: the workspace's contacts with a phone.
//! - [`service::upsert_in`] (with [`attribute_store::set`] loaded once,
//!   [`model::parse_country`], [`service::ContactInput`] and
//!   [`service::OnDuplicate`]): one imported row in the caller's transaction.
//! - [`attributes::list`] / [`attributes::create`] / [`attributes::update`] /
//!   [`attributes::delete`] for the Attributes tab.
pub mod api;
pub mod attribute_store;
pub mod attributes;
pub mod attributes_api;
pub mod consent_pages;
pub mod import;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod suppressed;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const GROUP: ActionGroup = ActionGroup { title: "Contacts", filter: "contact.*" };
pub const ATTRIBUTE_GROUP: ActionGroup = ActionGroup { title: "Contact attributes", filter: "contact_attribute.*" };

const FIELDS: &[&str] = &["name", "phone", "email", "attributes"];

pub const CREATED_EVENT: EventType = EventType::change(
    "contact.created",
    "A contact was created (by hand, the API or an import); `changes` holds each field it was created with.",
    "contact",
    FIELDS,
);
pub const UPDATED_EVENT: EventType = EventType::change(
    "contact.updated",
    "A contact's name, phone, email or attribute values changed; `changes.attributes` holds the changed values.",
    "contact",
    FIELDS,
);
pub const DELETED_EVENT: EventType = EventType::change(
    "contact.deleted",
    "A contact was deleted; `changes` holds the fields it had.",
    "contact",
    FIELDS,
);

pub const CREATED: Action = Action::publishing("contact.created", "Contact created", &GROUP, &CREATED_EVENT);
pub const UPDATED: Action = Action::publishing("contact.updated", "Contact updated", &GROUP, &UPDATED_EVENT);
pub const DELETED: Action = Action::publishing("contact.deleted", "Contact deleted", &GROUP, &DELETED_EVENT);
pub const ATTRIBUTE_CREATED: Action =
    Action::new("contact_attribute.created", "Contact attribute added", &ATTRIBUTE_GROUP);
pub const ATTRIBUTE_UPDATED: Action =
    Action::new("contact_attribute.updated", "Contact attribute changed", &ATTRIBUTE_GROUP);
pub const ATTRIBUTE_DELETED: Action =
    Action::new("contact_attribute.deleted", "Contact attribute deleted (with its values)", &ATTRIBUTE_GROUP);

pub const ACTIONS: &[&Action] =
    &[&CREATED, &UPDATED, &DELETED, &ATTRIBUTE_CREATED, &ATTRIBUTE_UPDATED, &ATTRIBUTE_DELETED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[
        ("contact-attributes", "The workspace's custom contact attributes: read by every role, changed by Admins"),
        ("contacts", "Contacts of the current workspace: phone, email, name and attribute values"),
    ],
    actions: ACTIONS,
    targets: &[("contact", "Contact"), ("contact_attribute", "Contact attribute")],
    ..Feature::new("contacts")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Member).get("/contacts", pages::list_contacts).get("/contacts/{id}", pages::contact_page);
    r.pages(Access::Editor)
        .get("/contacts/new", pages::new_contact_page)
        .post("/contacts", pages::create_contact)
        .post("/contacts/{id}", pages::update_contact)
        .get("/contacts/{id}/delete", pages::delete_contact_page)
        .post("/contacts/{id}/delete", pages::delete_contact)
        .post("/contacts/{id}/consent", consent_pages::record_consent);
    r.api(
        Access::Member,
        OpenApiRouter::new()
            .routes(routes!(attributes_api::list_attributes))
            .routes(routes!(api::list_contacts))
            .routes(routes!(api::get_contact)),
    );
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(attributes_api::create_attribute))
            .routes(routes!(attributes_api::update_attribute, attributes_api::delete_attribute)),
    );
    r.api(
        Access::Editor,
        OpenApiRouter::new()
            .routes(routes!(api::create_contact))
            .routes(routes!(api::update_contact, api::delete_contact)),
    );
}
