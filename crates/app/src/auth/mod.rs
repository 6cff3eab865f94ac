//! Accounts and sessions: sign-up, sign-in (throttled), sign-out,
//! server-side sessions, CSRF protection, and the extractors that turn a
//! request into a signed-in user or a [`crate::policy::WorkspaceCtx`].
pub mod api_token;
pub mod csrf;
pub mod model;

pub mod password;
pub mod session;
pub mod session_list;
pub mod throttle;
pub mod token_cache;
pub mod token_facts;
pub mod token_format;
pub mod token_store;
pub mod users;

pub use session::{MaybeSession, Session, SignedIn};
