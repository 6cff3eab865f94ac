//! The Switchboard server: web UI, JSON API and CLI in one binary.
//! `ARCHITECTURE.md` (and the README's layout section) describe the shape.
pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod developer;
pub mod docs;
pub mod error;
pub mod files;
pub mod home;
pub mod images;
pub mod invitations;
pub mod jobs;
pub mod members;
pub mod ops;
pub mod policy;
pub mod profile;
pub mod ratelimit;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod server_key;
pub mod settings;
pub mod state;
pub mod web;
pub mod workspaces;
