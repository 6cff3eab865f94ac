//! `Cache-Control: no-store` on every `/api/` response, errors included:
//! API answers carry account and workspace data (sometimes secrets), and
//! no browser cache or shared proxy may keep them. Applied outside the
//! idempotency layer, which reads a handler's own `no-store` to decide not
//! to keep a response, so adding it here changes nothing there.
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn no_store(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    if api {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
