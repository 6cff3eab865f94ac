//! CSS, JavaScript and the icon, embedded in the binary. URLs carry a
//! content hash (`?v=`), so browsers may cache them for a year.
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", body: include_str!("../../static/app.css") },
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", body: include_str!("../../static/app.js") },
    Asset {
        name: "voices.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/voices.js"),
    },
    Asset {
        name: "voices-worklet.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/voices-worklet.js"),
    },
    Asset {
        name: "imports.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/imports.js"),
    },
    Asset { name: "icon.svg", content_type: "image/svg+xml", body: include_str!("../../static/icon.svg") },
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let all: String = ASSETS.iter().map(|a| a.body).collect();
    crate::secrets::sha256_hex(&all)[..12].to_string()
});

/// The URL of an asset, with its cache-busting version.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

pub async fn serve_asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
