//! The [`Page`] extractor: everything the layout needs (user, switcher,
//! CSRF token, toasts), and rendering a template inside it.
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::Value;
use serde::Serialize;

use super::assets;
use super::flash::{FLASH_COOKIE, Flash};
use crate::auth::csrf::ANON_CSRF_COOKIE;
use crate::auth::model::initials;
use crate::auth::session::Session;
use crate::auth::users;
use crate::error::AppResult;
use crate::experiments as features;
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::tenancy;

pub struct Page {
    pub session: Option<Arc<Session>>,
    pub csrf: String,
    set_anon_csrf: bool,
    toasts: Vec<Flash>,
    clear_flash: bool,
    pub path: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        // A workspace context, when the handler resolved one, knows the
        // session's current workspace best (it may have just moved).
        let session = match parts.extensions.get::<WorkspaceCtx>() {
            Some(ctx) => ctx.session.clone(),
            None => parts.extensions.get::<crate::auth::MaybeSession>().and_then(|s| s.0.clone()),
        };
        let (csrf, set_anon_csrf) = match (&session, jar.get(ANON_CSRF_COOKIE)) {
            (Some(s), _) => (s.csrf_token.clone(), false),
            (None, Some(c)) if c.value().len() >= 32 => (c.value().to_string(), false),
            (None, _) => (crate::secrets::random_token(32), true),
        };
        let flash_cookie = jar.get(FLASH_COOKIE);
        let toasts = flash_cookie.and_then(|c| Flash::decode(c.value())).into_iter().collect();
        Ok(Page {
            session,
            csrf,
            set_anon_csrf,
            toasts,
            clear_flash: flash_cookie.is_some(),
            path: parts.uri.path().to_string(),
        })
    }
}

#[derive(Serialize)]
struct UserView {
    id: String,
    name: String,
    email: String,
    initials: String,
    avatar_url: Option<String>,
    avatar_url_large: Option<String>,
    phone: Option<String>,
    email_verified: bool,
}

#[derive(Serialize)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub initials: String,
    pub logo_url: Option<String>,
    pub logo_url_large: Option<String>,
    pub role: String,
    pub current: bool,
}

impl Page {
    /// A page with no session, for error pages rendered by middleware.
    pub fn bare(path: &str) -> Self {
        Page {
            session: None,
            csrf: String::new(),
            set_anon_csrf: false,
            toasts: Vec::new(),
            clear_flash: false,
            path: path.to_string(),
        }
    }

    /// Adds a toast to this render (for errors shown without a redirect).
    pub fn toast(&mut self, flash: Flash) {
        self.toasts.push(flash);
    }

    pub async fn render(&self, state: &AppState, template: &str, ctx: Value) -> AppResult<Response> {
        self.render_status(state, StatusCode::OK, template, ctx).await
    }

    pub async fn render_status(
        &self,
        state: &AppState,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> AppResult<Response> {
        let mut layout: BTreeMap<String, Value> = BTreeMap::new();
        let mut user_view = None;
        let mut current = None;
        let mut switcher = Vec::new();
        let mut body_classes: Vec<&str> = Vec::new();
        let mut sessions = Vec::new();
        if let Some(session) = &self.session {
            // The Profile Modal lists them.
            sessions = crate::auth::session_list::views(&state.db, session, state.clock.now()).await?;
            let user = users::find(&state.db, &session.user_id).await?;
            user_view = user.map(|u| UserView {
                initials: initials(&u.name),
                avatar_url: u.avatar_version.map(|v| crate::files::avatar_url(&u.id, v, 64)),
                avatar_url_large: u.avatar_version.map(|v| crate::files::avatar_url(&u.id, v, 256)),
                id: u.id.to_string(),
                name: u.name,
                email: u.email,
                phone: u.phone_e164,
                email_verified: u.email_verified_at.is_some(),
            });
            for entry in tenancy::workspaces_of(&state.db, &session.user_id).await? {
                let ws = &entry.workspace;
                let is_current = session.current_workspace_id.as_ref() == Some(&ws.id);
                let view = WorkspaceView {
                    id: ws.id.to_string(),
                    name: ws.name.clone(),
                    initials: initials(&ws.name),
                    logo_url: ws.logo_url(64),
                    logo_url_large: ws.logo_url(256),
                    role: entry.role.clone(),
                    current: is_current,
                };
                if is_current {
                    current = Some(Value::from_serialize(&view));
                    if features::is_enabled(ws, &features::COMPACT_TABLES) {
                        body_classes.push("compact-tables");
                    }
                }
                switcher.push(view);
            }
        }
        layout.insert("user".into(), Value::from_serialize(&user_view));
        layout.insert("sessions".into(), Value::from_serialize(&sessions));
        layout.insert("workspace".into(), current.unwrap_or(Value::from(())));
        layout.insert("workspaces".into(), Value::from_serialize(&switcher));
        layout.insert("body_class".into(), Value::from(body_classes.join(" ")));
        layout.insert("csrf".into(), Value::from(self.csrf.clone()));
        layout.insert("toasts".into(), Value::from_serialize(&self.toasts));
        layout.insert("path".into(), Value::from(self.path.clone()));
        layout.insert("css_url".into(), Value::from(assets::url("app.css")));
        layout.insert("js_url".into(), Value::from(assets::url("app.js")));
        layout.insert("icon_url".into(), Value::from(assets::url("icon.svg")));
        if let Ok(iter) = ctx.try_iter() {
            for key in iter {
                if let Some(name) = key.as_str() {
                    let value = ctx.get_attr(name).unwrap_or_default();
                    layout.insert(name.to_string(), value);
                }
            }
        }
        let html = state
            .templates
            .render(template, Value::from_serialize(&layout))
            .map_err(|e| anyhow::anyhow!("rendering {template}: {e:#}"))?;
        let mut response = (status, Html(html)).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.clear_flash {
            append_cookie(&mut response, Cookie::build((FLASH_COOKIE, "")).path("/").max_age(zero()).build());
        }
        if self.set_anon_csrf {
            let cookie = Cookie::build((ANON_CSRF_COOKIE, self.csrf.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.config.secure_cookies())
                .build();
            append_cookie(&mut response, cookie);
        }
        Ok(response)
    }
}

fn zero() -> time::Duration {
    time::Duration::ZERO
}

pub fn append_cookie(response: &mut Response, cookie: Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
