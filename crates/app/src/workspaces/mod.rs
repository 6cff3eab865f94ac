//! Workspaces: creating and switching them, and Settings → General's
//! workspace fields (logo, name, website, timezone).
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
