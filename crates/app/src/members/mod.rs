//! Memberships: who belongs to which workspace with which role. Inviting,
//! the Members table, removal and leaving build on this (next issue).
pub mod api;
pub mod cli;
pub mod pages;
pub mod service;
pub mod store;
