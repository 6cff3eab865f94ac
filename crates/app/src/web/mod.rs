//! The web frame shared by every page: templates, static assets, the
//! layout's data (user, switcher, toasts), flash messages across redirects,
//! and the HTTP middleware.
pub mod assets;
pub mod client_ip;
pub mod confirm;
pub mod flash;
pub mod format;
pub mod middleware;
pub mod nul;
pub mod page;
pub mod redirect;
pub mod secure_cookies;
pub mod templates;
pub mod time;

pub use flash::{Flash, redirect_with_flash};
pub use page::Page;

/// The caller's address and user agent, for audit entries and throttling.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientMeta>().cloned().unwrap_or_default())
    }
}
