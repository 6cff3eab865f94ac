//! Settings → Developer (SPEC §5, without webhooks): API tokens, the user
//! and team IDs, and experimental features. Token authentication itself
//! lives in `auth::api_token`; the token format in `auth::token_format`.
pub mod api;
pub mod features;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
