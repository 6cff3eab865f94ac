//! The API reference at `/docs/api`: the OpenAPI document of
//! `/api/v1/openapi.json`, rendered on the server as one readable page
//! (a contents list by tag, an anchored section per operation, examples).
//! Public, like the document itself; no script and nothing from a CDN.
mod curl;
pub mod reference;
pub mod schema;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};

use crate::error::AppResult;
use crate::state::AppState;
use crate::web::Page;

/// The finished document, as `routes::router` serves it.
pub fn document(state: &AppState) -> utoipa::openapi::OpenApi {
    let (_, mut doc) = crate::routes::api_routes(state).split_for_parts();
    crate::api::openapi::finish(&mut doc, &state.features);
    doc
}

/// The view model, built on the first request. The document is fixed at
/// compile time; only the base URL of the curl examples comes from the
/// state, so another URL (tests run several servers in one process)
/// builds its own rather than showing the wrong one.
fn reference(state: &AppState) -> Value {
    static CACHE: OnceLock<(String, Value)> = OnceLock::new();
    let build = || Value::from_serialize(reference::build(&document(state), &state.public_url));
    let (url, cached) = CACHE.get_or_init(|| (state.public_url.clone(), build()));
    if *url == state.public_url { cached.clone() } else { build() }
}

pub async fn api_page(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    let api = reference(&state);
    page.render(&state, "docs/api.html", context! { title => "API reference", api }).await
}
