//! The Settings shell: the eight sections in the seed's order, the redirect
//! from `/settings`, and an honest page for sections not built yet. Every
//! route here sits behind `policy::require_admin`.
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::Page;
use crate::web::flash::redirect;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Section {
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub available: bool,
}

/// The sidebar, in the seed's order.
pub const SECTIONS: [Section; 8] = [
    Section {
        slug: "general",
        title: "General",
        summary: "Workspace name, icon, member management, and delete workspace.",
        available: true,
    },
    Section {
        slug: "audiences",
        title: "Audiences",
        summary: "Contact attributes, consent and the suppression list.",
        available: false,
    },
    Section {
        slug: "phone-numbers",
        title: "Phone Numbers",
        summary: "Manage and buy phone numbers for your workspace.",
        available: false,
    },
    Section { slug: "voices", title: "Voices", summary: "Manage and clone voices.", available: false },
    Section {
        slug: "usage",
        title: "Usage",
        summary: "Monitor credit consumption by type and agent.",
        available: false,
    },
    Section {
        slug: "subscription",
        title: "Subscription",
        summary: "Manage your plan, billing cycle, and credits.",
        available: false,
    },
    Section {
        slug: "developer",
        title: "Developer",
        summary: "API tokens, webhooks, user/team IDs, and experimental features.",
        available: true,
    },
    Section {
        slug: "audit-log",
        title: "Audit Log",
        summary: "Track all changes made in your workspace.",
        available: true,
    },
];

pub fn section(slug: &str) -> Option<Section> {
    SECTIONS.iter().copied().find(|s| s.slug == slug)
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
    let current = section(slug).ok_or_else(|| crate::error::AppError::not_found("That section"))?;
    page.render(
        &state,
        "settings/unavailable.html",
        context! { sections => SECTIONS, section => current, title => current.title },
    )
    .await
}
