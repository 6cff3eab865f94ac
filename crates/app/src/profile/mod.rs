//! The Profile Modal: a user's own name, avatar and phone number. Personal,
//! not part of Settings: any signed-in user may use it.
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
