//! Settings → Audiences (SPEC §12; Admins): the section's shell — its
//! sidebar entry, `/settings/audiences` (which opens the Attributes tab)
//! and the tabs partial (`audiences/_tabs.html`: Attributes, Consent,
//! Suppression, and a link to the Contacts page) — and the Attributes tab
//! ([`pages`]), which calls `contacts::attributes`. The Consent and
//! Suppression tabs are the `consent` and `suppressions` features' pages.
pub mod pages;

use crate::feature::{Feature, Section};
use crate::routes::{Access, Routes};

pub const SECTION: Section = Section {
    slug: "audiences",
    title: "Audiences",
    summary: "Contact attributes, consent and the suppression list.",
    order: 20,
};

pub const FEATURE: Feature = Feature { section: Some(SECTION), routes, ..Feature::new("audiences") };

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get("/settings/audiences", pages::audiences_index)
        .get(pages::ATTRIBUTES, pages::attributes_page)
        .post(pages::ATTRIBUTES, pages::create_attribute)
        .get("/settings/audiences/attributes/{id}", pages::attribute_page)
        .post("/settings/audiences/attributes/{id}", pages::update_attribute)
        .get("/settings/audiences/attributes/{id}/delete", pages::delete_attribute_page)
        .post("/settings/audiences/attributes/{id}/delete", pages::delete_attribute);
}
