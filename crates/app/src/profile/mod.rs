//! The Profile Modal: a user's own name, avatar and phone number. Personal,
//! not part of Settings: any signed-in user may use it.
pub mod api;
pub mod model;
pub mod pages;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feature::Feature;
use crate::routes::{Access, Routes};

pub const FEATURE: Feature =
    Feature { routes, api_tags: &[("profile", "The signed-in user's own profile")], ..Feature::new("profile") };

fn routes(r: &mut Routes) {
    r.pages(Access::SignedIn)
        .get("/profile", pages::profile_page)
        .post("/profile", pages::save_profile)
        .post("/profile/avatar", pages::upload_avatar)
        .post("/profile/avatar/delete", pages::remove_avatar);
    r.api(
        Access::SignedIn,
        OpenApiRouter::new()
            .routes(routes!(api::get_me, api::update_me))
            .routes(routes!(api::upload_avatar, api::delete_avatar)),
    );
}
