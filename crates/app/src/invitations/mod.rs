//! Invitations by email: invite, resend, revoke, and accepting through the
//! link (`/invite/<token>`) as a new user, an existing user, or the user
//! already signed in. Tokens are random (192 bits), single-use, stored only
//! as SHA-256 hashes, and valid for 7 days.
pub mod api;
pub mod email;
pub mod pages;
pub mod service;
pub mod store;
