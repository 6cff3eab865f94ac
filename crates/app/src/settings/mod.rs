//! The Settings shell: the sidebar built from the registered features'
//! sections (in the seed's order), the redirect from `/settings`, an
//! honest page for sections not built yet, and [`render`], which every
//! settings page uses so the sidebar is always there. Every route here
//! sits behind the Admin layer.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::feature::Feature;
pub use crate::feature::Section;
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::web::Page;
use crate::web::flash::redirect;

/// Sections the seed shows that no feature has built yet. A feature that
/// registers a section with one of these slugs replaces it.
pub const PLANNED: &[Section] = &[
    Section {
        slug: "audiences",
        title: "Audiences",
        summary: "Contact attributes, consent and the suppression list.",
        order: 20,
    },
    Section {
        slug: "phone-numbers",
        title: "Phone Numbers",
        summary: "Manage and buy phone numbers for your workspace.",
        order: 30,
    },
    Section { slug: "voices", title: "Voices", summary: "Manage and clone voices.", order: 40 },
    Section { slug: "usage", title: "Usage", summary: "Monitor credit consumption by type and agent.", order: 50 },
    Section {
        slug: "subscription",
        title: "Subscription",
        summary: "Manage your plan, billing cycle, and credits.",
        order: 60,
    },
];

/// A sidebar entry.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SectionView {
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub available: bool,
}

/// The sidebar: built sections and planned ones, in order.
pub fn sections(features: &[Feature]) -> Vec<SectionView> {
    let built: Vec<Section> = features.iter().filter_map(|f| f.section).collect();
    let planned = PLANNED.iter().filter(|p| !built.iter().any(|b| b.slug == p.slug));
    let mut all: Vec<(Section, bool)> = built.iter().map(|s| (*s, true)).chain(planned.map(|s| (*s, false))).collect();
    all.sort_by_key(|(s, _)| s.order);
    all.into_iter()
        .map(|(s, available)| SectionView { slug: s.slug, title: s.title, summary: s.summary, available })
        .collect()
}

/// Mounts `/settings` and a page for each planned section not built yet.
pub fn planned_sections(features: &[Feature], routes: &mut Routes) {
    let mut pages = routes.pages(Access::Admin).get("/settings", settings_index);
    for section in sections(features).into_iter().filter(|s| !s.available) {
        let slug = section.slug;
        pages = pages.get(&format!("/settings/{slug}"), move |st, ctx, page| unavailable_section(st, ctx, page, slug));
    }
}

/// Renders a settings page: `template` with `ctx`, plus the sidebar
/// (`sections`) and the current section (`section`).
pub async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    slug: &str,
    template: &str,
    ctx: Value,
) -> AppResult<Response> {
    let sections = sections(&state.features);
    let current = sections.iter().find(|s| s.slug == slug).copied();
    page.render_status(state, status, template, context! { sections => sections, section => current, ..ctx }).await
}

pub async fn settings_index(ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    Ok(redirect("/settings/general"))
}

/// A section that is not built yet says so rather than pretending.
pub async fn unavailable_section(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    slug: &'static str,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let title = sections(&state.features)
        .into_iter()
        .find(|s| s.slug == slug)
        .map(|s| s.title)
        .ok_or_else(|| AppError::not_found("That section"))?;
    render(&state, &page, StatusCode::OK, slug, "settings/unavailable.html", context! { title => title }).await
}
