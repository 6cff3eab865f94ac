//! Settings → General: the workspace's name, website, timezone and logo,
//! the Members card and the Danger Zone, on one page that this feature
//! owns (see `pages`).
pub mod pages;

use crate::feature::{Feature, Section};
use crate::routes::{Access, Routes};

pub const FEATURE: Feature = Feature {
    section: Some(Section {
        slug: "general",
        title: "General",
        summary: "Workspace name, icon, member management, and delete workspace.",
        order: 10,
    }),
    routes,
    ..Feature::new("general")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get("/settings/general", pages::general_page)
        .post("/settings/general", pages::save_general)
        .post("/settings/general/logo", pages::upload_logo)
        .post("/settings/general/logo/delete", pages::remove_logo)
        .post("/settings/general/delete", pages::delete_workspace)
        .post("/settings/members/invite", pages::invite_member);
}
