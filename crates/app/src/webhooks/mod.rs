//! Settings → Developer → Webhooks: endpoints that receive the workspace's
//! events, signed per Standard Webhooks, delivered durably with retries.
//!
//! - [`events`]: the catalogue and payload schemas;
//! - [`enqueue`]: events enqueued in the transaction of their change;
//! - [`delivery`]: the worker (claims under a lease, HTTP, outcomes);
//! - [`secret`]: `whsec_` secrets, signatures, encryption at rest;
//! - [`ssrf`]: no requests to internal addresses;
//! - [`service`], [`api`]: endpoint management and the log;
//! - [`pages`], [`log_pages`], [`secret_pages`]: Settings → Developer → Webhooks.
pub mod api;
pub mod delivery;
mod email;
pub mod enqueue;
pub mod events;
pub mod log_pages;
pub mod model;
pub mod pages;
pub mod secret;
pub mod secret_pages;
pub mod service;
pub mod ssrf;
pub mod store;
